/**
 * GSM 03.38 default alphabet and its extension table (TS 23.038 §6.2.1). Written out as data so the
 * two places other decoders get wrong are visible: 0x5F is `§` (not a backtick) and an unknown
 * escape falls back to the base character, never to `?`.
 */
const BASE = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'

const EXTENSION: ReadonlyMap<number, string> = new Map([
  [0x0A, '\f'], [0x14, '^'], [0x28, '{'], [0x29, '}'], [0x2F, '\\'],
  [0x3C, '['], [0x3D, '~'], [0x3E, ']'], [0x40, '|'], [0x65, '€']
])

export const ESCAPE = 0x1B

const BASE_CODE = new Map<string, number>()
for (let i = 0; i < BASE.length; i++) if (i !== ESCAPE) BASE_CODE.set(BASE[i] as string, i)
const EXTENSION_CODE = new Map<string, number>()
for (const [code, ch] of EXTENSION) EXTENSION_CODE.set(ch, code)

/** Septet values to text. A trailing lone escape is dropped; an escape before an unassigned code shows the base character. */
export function septetsToText (septets: readonly number[]): string {
  let out = ''
  for (let i = 0; i < septets.length; i++) {
    const s = septets[i] as number
    if (s !== ESCAPE) { out += BASE[s] ?? ''; continue }
    const next = septets[i + 1]
    if (next === undefined) break
    i++
    // 0x1B 0x1B is reserved for a further extension table; TS 23.038 says show a space.
    out += next === ESCAPE ? ' ' : (EXTENSION.get(next) ?? BASE[next] ?? '')
  }
  return out
}

/** Text to septets, or null when a character has no GSM 7-bit form (the caller then uses UCS-2). */
export function textToSeptets (text: string): number[] | null {
  const out: number[] = []
  for (const ch of text) {
    const base = BASE_CODE.get(ch)
    if (base !== undefined) { out.push(base); continue }
    const ext = EXTENSION_CODE.get(ch)
    if (ext === undefined) return null
    out.push(ESCAPE, ext)
  }
  return out
}

/** Reads `count` septets packed LSB-first, starting `startBit` bits into `bytes`. */
export function unpackSeptets (bytes: Uint8Array, startBit: number, count: number): number[] {
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    const bit = startBit + i * 7
    const byte = bit >> 3
    const shift = bit & 7
    const lo = bytes[byte] ?? 0
    const hi = bytes[byte + 1] ?? 0
    out.push(((lo | (hi << 8)) >> shift) & 0x7F)
  }
  return out
}

/** Packs septets LSB-first after `startBit` bits of zero fill (header + fill bits are the caller's). */
export function packSeptets (septets: readonly number[], startBit: number): Uint8Array {
  const totalBits = startBit + septets.length * 7
  const bytes = new Uint8Array(Math.ceil(totalBits / 8))
  septets.forEach((s, i) => {
    const bit = startBit + i * 7
    const byte = bit >> 3
    const shift = bit & 7
    const v = (s & 0x7F) << shift
    bytes[byte] = (bytes[byte] as number) | (v & 0xFF)
    if (v > 0xFF && byte + 1 < bytes.length) bytes[byte + 1] = (bytes[byte + 1] as number) | (v >> 8)
  })
  return bytes
}
