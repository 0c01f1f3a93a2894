/** Times are epoch milliseconds inside, ISO 8601 UTC with a `Z` and whole seconds at the edge. */
export function isoSeconds (epochMs: number): string {
  // toISOString always ends ".sssZ": dropping the milliseconds is rounding down to the second.
  return `${new Date(epochMs).toISOString().slice(0, -5)}Z`
}

/** The same with milliseconds ("2026-04-10T12:00:00.123Z"), where two changes can fall in one second. */
export function isoMillis (epochMs: number): string {
  return new Date(epochMs).toISOString()
}

export function isoOrNull (epochMs: number | null | undefined): string | null {
  return epochMs === null || epochMs === undefined ? null : isoSeconds(epochMs)
}

/** The clock is injectable so expiry and retry tests never sleep. */
export interface Clock { now: () => number }

/**
 * A clock that also waits: what a loop with timers takes (the modem runner's back-off and scan
 * period, the expiry sweeper), so a test moves time (test/support/manual-clock.ts) instead of
 * sleeping through it.
 */
export interface TimerClock extends Clock {
  /** Runs `fn` once `ms` have passed; returns what cancels it. `unref`: the wait alone never keeps the process alive. */
  after: (ms: number, fn: () => void, options?: { unref?: boolean }) => () => void
}

export const systemClock: TimerClock = {
  now: () => Date.now(),
  after: (ms, fn, options) => {
    const timer = setTimeout(fn, ms)
    if (options?.unref === true) timer.unref()
    return () => { clearTimeout(timer) }
  }
}
