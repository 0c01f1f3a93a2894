/**
 * Runs `round` now and then every `intervalMs`, never two at once: a `wake()` during a round asks
 * for one more right after it, several wakes in one turn of the event loop make one round. The
 * loop of a worker that claims due rows from the ledger (the outbox of channel calls).
 */
export class PollLoop {
  readonly #round: () => Promise<void>
  readonly #intervalMs: number
  #timer: NodeJS.Timeout | null = null
  #running: Promise<void> | null = null
  #again = false
  #wakeQueued = false
  #stopped = true

  /** `round` must not reject; a rejection is swallowed so the loop never stops. */
  constructor (round: () => Promise<void>, intervalMs: number) {
    this.#round = round
    this.#intervalMs = intervalMs
  }

  start (): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#tick()
  }

  /** One more round soon (after the current transaction committed, say). */
  wake (): void {
    if (this.#stopped || this.#wakeQueued) return
    this.#wakeQueued = true
    setImmediate(() => { this.#wakeQueued = false; this.#tick() })
  }

  /** No more rounds; resolves once the round in progress, if any, has ended. */
  async stop (): Promise<void> {
    this.#stopped = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    await this.#running
  }

  #tick (): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    if (this.#stopped) return
    if (this.#running !== null) { this.#again = true; return }
    this.#running = this.#round().catch(() => {}).finally(() => {
      this.#running = null
      if (this.#stopped) return
      if (this.#again) { this.#again = false; this.#tick(); return }
      this.#timer = setTimeout(() => { this.#tick() }, this.#intervalMs)
    })
  }
}
