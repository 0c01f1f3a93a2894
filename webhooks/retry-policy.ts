/**
 * When to try again (SPEC §5). `retry_schedule` from the config is the only source of timing:
 * failure k (1-based) waits schedule[k-1] seconds, ±10 % jitter so that endpoints recovering from an
 * outage are not hit by every delivery in the same second; after the last entry the delivery is
 * dead until replayed.
 *
 * Retry-After (on 429/503 only) is honoured within bounds: a value longer than the schedule's delay
 * replaces it, capped at 24 h so a receiver cannot park a delivery for ever; a shorter value is
 * ignored, so a receiver cannot pull retries faster than the schedule.
 */
export const JITTER = 0.1
export const RETRY_AFTER_CAP_MS = 24 * 3600_000

export interface RetryInput {
  /** Failures since the delivery was (re)armed, this one included. */
  failures: number
  /** Retries allowed after the first attempt (the schedule's length, or 0 for a test delivery). */
  maxRetries: number
  scheduleSeconds: readonly number[]
  retryAfterMs: number | null
  random?: () => number
}

/** Milliseconds until the next attempt, or null when the delivery is dead. */
export function retryDelayMs (input: RetryInput): number | null {
  if (input.failures > input.maxRetries) return null
  const base = (input.scheduleSeconds[Math.min(input.failures, input.scheduleSeconds.length) - 1] ?? 0) * 1000
  const random = input.random ?? Math.random
  const jittered = Math.max(0, Math.round(base * (1 + (random() * 2 - 1) * JITTER)))
  if (input.retryAfterMs === null) return jittered
  return Math.max(jittered, Math.min(input.retryAfterMs, RETRY_AFTER_CAP_MS))
}
