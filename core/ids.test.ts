import { describe, expect, it } from 'vitest'
import { randomBase62, randomHex } from './ids.js'

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
