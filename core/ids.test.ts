import { describe, expect, it } from 'vitest'
import { randomBase62, randomHex, timeOrderedHex } from './ids.js'

describe('randomHex', () => {
  it('gives 2 hex characters a byte, never the same bytes twice across refills of its pool', () => {
    // 16 bytes each: 1,000 ids cross the 4 KiB pool's refill several times.
    const ids = Array.from({ length: 1000 }, () => randomHex(16))
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('serves odd sizes and sizes larger than its pool', () => {
    expect(randomHex(1)).toMatch(/^[0-9a-f]{2}$/)
    expect(randomHex(4097)).toMatch(/^[0-9a-f]{8194}$/)
    expect(randomHex(0)).toBe('')
  })

  it('hands out bytes that are not all one value (the pool is filled, not zeroed)', () => {
    const hex = Array.from({ length: 300 }, () => randomHex(16)).join('')
    expect(new Set(hex).size).toBe(16)
  })
})

describe('randomBase62', () => {
  it('gives the asked length from the base62 alphabet', () => {
    expect(randomBase62(43)).toMatch(/^[0-9A-Za-z]{43}$/)
  })
})

describe('timeOrderedHex', () => {
  it('is 32 hex characters that sort as their times do, unique within one millisecond', () => {
    const t = Date.UTC(2026, 11, 2, 5, 0, 0, 123)
    const same = Array.from({ length: 1000 }, () => timeOrderedHex(t))
    expect(new Set(same).size).toBe(1000)
    for (const id of same) expect(id).toMatch(/^[0-9a-f]{32}$/)
    expect(same.every((id) => id.startsWith(t.toString(16).padStart(12, '0')))).toBe(true)
    const later = timeOrderedHex(t + 1)
    expect(same.every((id) => id < later)).toBe(true)
    expect(timeOrderedHex(1) < timeOrderedHex(0x10)).toBe(true)
  })
})
