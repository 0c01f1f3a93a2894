import type { TimerClock } from '../../core/time.js'

interface Timer { at: number, seq: number, fn: () => void }

/**
 * Time that stands still until a test moves it: `advance(ms)` runs every timer that falls due, in
 * order, each at its own moment. Given to the code under test as its TimerClock, so back-off,
 * polling and sweeps are driven by the test, and nothing is proved by waiting on the wall clock.
 */
export class ManualClock implements TimerClock {
  #now: number
  #seq = 0
  #timers: Timer[] = []

  constructor (start = 1_800_000_000_000) {
    this.#now = start
  }

  now (): number {
    return this.#now
  }

  after (ms: number, fn: () => void): () => void {
    const timer: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn }
    this.#timers.push(timer)
    this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq)
    return () => { this.#timers = this.#timers.filter((t) => t !== timer) }
  }

  /** How long until each waiting timer is due, soonest first. */
  waiting (): number[] {
    return this.#timers.map((t) => t.at - this.#now)
  }

  advance (ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward')
    const end = this.#now + ms
    for (;;) {
      const next = this.#timers[0]
      if (next === undefined || next.at > end) break
      this.#timers.shift()
      this.#now = next.at
      next.fn()
    }
    this.#now = end
  }
}
