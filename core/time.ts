/** Times are epoch milliseconds inside, ISO 8601 UTC with a `Z` and whole seconds at the edge. */
export function isoSeconds (epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

export function isoOrNull (epochMs: number | null | undefined): string | null {
  return epochMs === null || epochMs === undefined ? null : isoSeconds(epochMs)
}

/** The clock is injectable so expiry and retry tests never sleep. */
export interface Clock { now: () => number }
export const systemClock: Clock = { now: () => Date.now() }
