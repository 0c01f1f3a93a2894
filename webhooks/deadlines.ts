/** An attempt in flight that can be cut short. */
export interface Expiring {
  /** Its deadline passed: abort it with `reason` (a `TimeoutError`). Called at most once. */
  expire: (reason: Error) => void
}

/** The attempts that started within one slot, aborted together once the last one's deadline passed. */
export class DeadlineSlot {
  readonly #attempts = new Set<Expiring>()
  #expired: Error | null = null

  /** Adds an attempt; one joining after the slot expired is expired at once. */
  add (attempt: Expiring): void {
    if (this.#expired !== null) attempt.expire(this.#expired)
    else this.#attempts.add(attempt)
  }

  /** The attempt ended: its deadline no longer concerns it. */
  delete (attempt: Expiring): void {
    this.#attempts.delete(attempt)
  }

  expire (reason: Error): void {
    this.#expired = reason
    const attempts = [...this.#attempts]
    this.#attempts.clear()
    for (const a of attempts) a.expire(reason)
  }
}

/** The longest an attempt's deadline may run past its `timeoutMs`: the width of a slot. */
export const MAX_SLOT_MS = 100

/**
 * Overall deadlines for many attempts with one timer per slot instead of one per attempt: the
 * attempts that start within the same slot (at most MAX_SLOT_MS, a twentieth of the timeout when
 * that is less) share one timer, fired `timeoutMs` after the slot ends. So each attempt gets at
 * least `timeoutMs` and at most `timeoutMs` plus one slot (`longestMs`), well inside its lease (the
 * dispatcher's LEASE_MARGIN_MS); a slot only ever aborts attempts past their own deadline, and a slow
 * receiver only ever holds its own attempts. `AbortSignal.timeout` per attempt cost a timer, a weak
 * reference and an EventTarget listener each time (README, Performance: webhook_fanout).
 */
export class SharedDeadlines {
  readonly #timeoutMs: number
  readonly #slotMs: number
  readonly #now: () => number
  #slot: { slot: DeadlineSlot, endsAt: number } | null = null
  readonly #timers = new Set<NodeJS.Timeout>()

  constructor (timeoutMs: number, now: () => number = () => performance.now()) {
    this.#timeoutMs = timeoutMs
    this.#slotMs = Math.max(1, Math.min(MAX_SLOT_MS, Math.floor(timeoutMs / 20)))
    this.#now = now
  }

  /** The longest an attempt may run before it is expired: `timeoutMs` and one slot (the timer's own lateness aside). */
  get longestMs (): number { return this.#timeoutMs + this.#slotMs }

  /** The slot of an attempt starting now; the caller adds the attempt, and deletes it once it ended. */
  slot (): DeadlineSlot {
    const now = this.#now()
    const current = this.#slot
    if (current !== null && now < current.endsAt) return current.slot
    const endsAt = now + this.#slotMs
    const slot = new DeadlineSlot()
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      slot.expire(new DOMException(`The operation was aborted due to timeout (${this.#timeoutMs} ms)`, 'TimeoutError'))
    }, endsAt + this.#timeoutMs - now)
    // An attempt keeps the process alive by its socket, never by its deadline.
    timer.unref()
    this.#timers.add(timer)
    this.#slot = { slot, endsAt }
    return slot
  }

  /** Clears every pending timer (the sender closes and abandons what is in flight). */
  close (): void {
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    this.#slot = null
  }
}
