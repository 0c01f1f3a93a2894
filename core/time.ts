/**
 * Times are epoch milliseconds inside, ISO 8601 UTC with a `Z` and whole seconds at the edge. The
 * same text as `toISOString` without its milliseconds; the date part comes from a cache of days, the
 * time of day from tables: a payment's four times were ~3 % of a GET's CPU through `toISOString`.
 */
export function isoSeconds (epochMs: number): string {
  const t = Math.trunc(epochMs)
  // Outside Date's range (and NaN): toISOString's own RangeError.
  if (!(t >= -MAX_TIME && t <= MAX_TIME)) return `${new Date(epochMs).toISOString().slice(0, -5)}Z`
  const day = Math.floor(t / DAY_MS)
  const s = Math.floor((t - day * DAY_MS) / 1000)
  return `${datePrefix(day)}${timeOfDay(s)}Z`
}

/** The same with milliseconds ("2026-04-10T12:00:00.123Z"), where two changes can fall in one second. */
export function isoMillis (epochMs: number): string {
  const t = Math.trunc(epochMs)
  if (!(t >= -MAX_TIME && t <= MAX_TIME)) return new Date(epochMs).toISOString()
  const day = Math.floor(t / DAY_MS)
  const ms = t - day * DAY_MS
  return `${datePrefix(day)}${timeOfDay(Math.floor(ms / 1000))}.${THREE_DIGITS[ms % 1000] as string}Z`
}

const DAY_MS = 86_400_000
/** The largest time a Date holds (ECMAScript's TimeClip). */
const MAX_TIME = 8.64e15
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'))
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'))
/** "YYYY-MM-DDT" by day since the epoch; cleared when full, so it never grows past a few hundred KB. */
const dates = new Map<number, string>()
const MAX_DATES = 4096

function datePrefix (day: number): string {
  let prefix = dates.get(day)
  if (prefix === undefined) {
    if (dates.size >= MAX_DATES) dates.clear()
    // toISOString of midnight ends "T00:00:00.000Z": keep what precedes "00:00…", years past 9999 too.
    prefix = new Date(day * DAY_MS).toISOString().slice(0, -13)
    dates.set(day, prefix)
  }
  return prefix
}

/** "HH:MM:SS" of a second of the day (0 to 86,399). */
function timeOfDay (second: number): string {
  return `${TWO_DIGITS[Math.floor(second / 3600)] as string}:${TWO_DIGITS[Math.floor(second / 60) % 60] as string}:${TWO_DIGITS[second % 60] as string}`
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
