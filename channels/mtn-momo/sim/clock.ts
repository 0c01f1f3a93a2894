import type { Clock } from '../../../core/time.js'

interface Timer { at: number, seq: number, fn: () => void }

/**
 * The simulator's time: now() for token expiry and timestamps, at() for everything that happens
 * later (a payer deciding, an approval window closing, a callback leaving). `advance(ms)` jumps
 * forward and runs what fell due, so tests and operators never wait for MTN's five minutes.
 *
 * Real mode follows the wall clock (plus whatever was advanced) and fires timers by itself; manual
 * mode stands still until advanced, which is what deterministic tests want.
 */
export class SimClock implements Clock {
  readonly manual: boolean
  readonly #base: () => number
  #offset = 0
  #seq = 0
  #timers: Timer[] = []
  #armed: NodeJS.Timeout | undefined
  #stopped = false

  constructor (options: { manual?: boolean, start?: number } = {}) {
    this.manual = options.manual ?? false
    const start = options.start ?? Date.now()
    this.#base = this.manual ? () => start : () => Date.now()
  }

  now (): number {
    return this.#base() + this.#offset
  }

  /** Runs `fn` once the clock reaches `whenMs`; returns a cancel function. */
  at (whenMs: number, fn: () => void): () => void {
    const timer: Timer = { at: whenMs, seq: this.#seq++, fn }
    this.#timers.push(timer)
    this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq)
    // Never run inside the caller: a timer due now fires on the next turn of the event loop.
    if (whenMs <= this.now()) setImmediate(() => { this.#runDue() })
    else this.#arm()
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer)
      this.#arm()
    }
  }

  advance (ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward')
    this.#offset += ms
    this.#runDue()
  }

  /** Timers still waiting (for the control API's clock view). */
  pending (): number {
    return this.#timers.length
  }

  /** Drops every timer; the simulator is closing. */
  stop (): void {
    this.#stopped = true
    this.#timers = []
    if (this.#armed !== undefined) clearTimeout(this.#armed)
  }

  #runDue (): void {
    // A timer may schedule another already due (a repeated callback): loop until none is.
    for (;;) {
      const next = this.#timers[0]
      if (this.#stopped || next === undefined || next.at > this.now()) break
      this.#timers.shift()
      next.fn()
    }
    this.#arm()
  }

  #arm (): void {
    if (this.#armed !== undefined) { clearTimeout(this.#armed); this.#armed = undefined }
    const next = this.#timers[0]
    if (this.manual || this.#stopped || next === undefined) return
    this.#armed = setTimeout(() => { this.#armed = undefined; this.#runDue() }, Math.min(Math.max(0, next.at - this.now()), 2 ** 31 - 1))
    this.#armed.unref()
  }
}
