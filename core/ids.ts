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

/**
 * 16 bytes of hex that sort by time: the epoch milliseconds `at` in the first 6 bytes, 10 random
 * bytes after. A payment's reference is one (`hpn_trx_` and 32 hex, as before): its unique index,
 * and the audit trail's index of targets, then grow at their end, where a commit of many payments
 * dirties one page, instead of a page per payment at random places (README, Performance:
 * api_initialize). The 80 random bits keep it unguessable; the time it shows is the payment's
 * `created_at`, shown beside it anyway.
 */
export function timeOrderedHex (at: number): string {
  return Math.max(0, Math.min(Math.floor(at), 0xffff_ffff_ffff)).toString(16).padStart(12, '0') + randomHex(10)
}
