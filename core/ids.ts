import { randomFillSync, randomInt } from 'node:crypto'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** Unbiased random base62 text (crypto-strong). */
export function randomBase62 (length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)]
  return out
}

/**
 * Random bytes drawn 4 KiB at a time and each handed out once, as crypto.randomUUID does: a
 * randomBytes call per id goes to the system's generator every time, about 10 µs on the bench
 * machine, and every payment, key and webhook id was one (README, Performance).
 */
const POOL = Buffer.alloc(4096)
let used = POOL.length

/** Unbiased random hex text of `bytes` bytes (crypto-strong). */
export function randomHex (bytes: number): string {
  if (bytes > POOL.length) return randomFillSync(Buffer.alloc(bytes)).toString('hex')
  if (used + bytes > POOL.length) {
    randomFillSync(POOL)
    used = 0
  }
  const hex = POOL.toString('hex', used, used + bytes)
  used += bytes
  return hex
}
