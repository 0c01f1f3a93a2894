import { isIP } from 'node:net'

/** Dotted-quad IPv4 text as a 32-bit number ("10.0.0.1" → 167772161); null for anything else. */
export function parseIPv4 (text: string): number | null {
  if (isIP(text) !== 4) return null
  return text.split('.').reduce((acc, part) => acc * 256 + Number(part), 0)
}

/** 16 bytes of an IPv6 address (brackets and zone id dropped), or null. */
export function parseIPv6 (text: string): number[] | null {
  let addr = text.replace(/^\[|\]$/g, '').split('%')[0] as string
  if (isIP(addr) !== 6) return null
  // A dotted IPv4 tail ("::ffff:127.0.0.1") is two 16-bit groups written another way.
  addr = addr.replace(/(\d+\.\d+\.\d+\.\d+)$/, (q) => { const n = parseIPv4(q) as number; return `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}` })
  const groups = (s: string): number[] => s === '' ? [] : s.split(':').map((g) => parseInt(g, 16))
  const [left = '', right] = addr.split('::')
  const l = groups(left)
  const r = right === undefined ? [] : groups(right)
  const words = right === undefined ? l : [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r]
  if (words.length !== 8) return null
  return words.flatMap((w) => [w >>> 8, w & 0xff])
}
