import { describe, expect, it } from 'vitest'
import { isoMillis, isoSeconds } from './time.js'

describe('isoSeconds', () => {
  it('writes whole seconds, rounded down, as ISO 8601 UTC with a Z', () => {
    expect(isoSeconds(Date.UTC(2026, 3, 10, 12, 0, 0, 999))).toBe('2026-04-10T12:00:00Z')
    expect(isoSeconds(Date.UTC(2026, 3, 10, 12, 0, 1))).toBe('2026-04-10T12:00:01Z')
    expect(isoSeconds(0)).toBe('1970-01-01T00:00:00Z')
    expect(isoSeconds(-1)).toBe('1969-12-31T23:59:59Z')
    expect(isoSeconds(-1000)).toBe('1969-12-31T23:59:59Z')
    expect(isoMillis(Date.UTC(2026, 3, 10, 12, 0, 0, 123))).toBe('2026-04-10T12:00:00.123Z')
  })

  it('agrees with rounding the time down to its second first, over years of instants', () => {
    const floored = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
    for (let ms = -5e10; ms < 5e12; ms += 7_777_777_777 + 123) expect(isoSeconds(ms)).toBe(floored(ms))
    // Past year 9999 too (an expiry far away): "+010000-…".
    expect(isoSeconds(Date.UTC(10000, 0, 1, 0, 0, 0, 500))).toBe(floored(Date.UTC(10000, 0, 1, 0, 0, 0, 500)))
  })

  it('is toISOString to the millisecond, over years of instants, fractions and Date\'s whole range', () => {
    const instants = [0, -0, -1, -1.5, 1.5, 999.9, -999.9, 8.64e15, -8.64e15, Date.UTC(10000, 0, 1, 23, 59, 59, 999), Date.UTC(-1, 11, 31, 23, 59, 59, 1)]
    for (let ms = -5e10; ms < 5e12; ms += 777_777_777 + 123) instants.push(ms)
    for (const ms of instants) {
      const iso = new Date(ms).toISOString()
      expect(isoMillis(ms)).toBe(iso)
      expect(isoSeconds(ms)).toBe(`${iso.slice(0, -5)}Z`)
    }
  })

  it('throws as toISOString does outside Date\'s range', () => {
    for (const bad of [Number.NaN, 8.64e15 + 1, Number.POSITIVE_INFINITY]) {
      expect(() => isoSeconds(bad)).toThrow(RangeError)
      expect(() => isoMillis(bad)).toThrow(RangeError)
    }
  })
})
