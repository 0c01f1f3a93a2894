import { randomBytes, randomInt } from 'node:crypto'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** Unbiased random base62 text (crypto-strong). */
export function randomBase62 (length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)]
  return out
}

export function randomHex (bytes: number): string {
  return randomBytes(bytes).toString('hex')
}
