import { parseIPv4, parseIPv6 } from './ip.js'

/**
 * IP allow-lists of API keys: entries are addresses or CIDR ranges, IPv4 or IPv6
 * ("203.0.113.7", "203.0.113.0/24", "2001:db8::/32"). An IPv4 client reaching an IPv6 socket shows
 * as "::ffff:203.0.113.7" and is judged as the IPv4 address it is.
 */
interface Range { family: 4 | 6, bits: bigint, prefix: number }

const WIDTH = { 4: 32, 6: 128 } as const

function addressBits (text: string): { family: 4 | 6, bits: bigint } | null {
  const v4 = parseIPv4(text)
  if (v4 !== null) return { family: 4, bits: BigInt(v4) }
  const v6 = parseIPv6(text)
  if (v6 === null || text.includes('%')) return null
  const bits = v6.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n)
  // IPv4-mapped (::ffff:a.b.c.d): the IPv4 address it carries.
  if (bits >> 32n === 0xffffn) return { family: 4, bits: bits & 0xffffffffn }
  return { family: 6, bits }
}

function mask (family: 4 | 6, prefix: number): bigint {
  const width = BigInt(WIDTH[family])
  return ((1n << width) - 1n) ^ ((1n << (width - BigInt(prefix))) - 1n)
}

function format (family: 4 | 6, bits: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((bits >> s) & 0xffn)).join('.')
  const words = Array.from({ length: 8 }, (_, i) => Number((bits >> BigInt(112 - 16 * i)) & 0xffffn).toString(16))
  // The longest run of zero words (two or more) becomes "::", as RFC 5952 writes it.
  let best = { at: -1, len: 1 }
  for (let i = 0; i < 8;) {
    let j = i
    while (j < 8 && words[j] === '0') j++
    if (j - i > best.len) best = { at: i, len: j - i }
    i = j === i ? i + 1 : j
  }
  if (best.at < 0) return words.join(':')
  return `${words.slice(0, best.at).join(':')}::${words.slice(best.at + best.len).join(':')}`
}

function parseRange (entry: string): Range | null {
  const [addr = '', prefixText, extra] = entry.trim().split('/')
  if (extra !== undefined) return null
  const parsed = addressBits(addr)
  if (parsed === null) return null
  // "::ffff:10.0.0.0/104" and the like: a mapped address with an IPv6 prefix is not worth guessing at.
  if (parsed.family === 4 && parseIPv4(addr) === null && prefixText !== undefined) return null
  const width = WIDTH[parsed.family]
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null
  const prefix = prefixText === undefined ? width : Number(prefixText)
  if (prefix > width) return null
  return { family: parsed.family, bits: parsed.bits & mask(parsed.family, prefix), prefix }
}

/**
 * Checks and normalises a list as the API and the CLI take it: each entry becomes `address/prefix`
 * with the host bits cleared, so what is shown is exactly what is enforced ("10.0.0.5/8" →
 * "10.0.0.0/8"). Returns the entries that are not addresses or ranges instead, when there are any.
 */
export function normaliseAllowedIps (entries: readonly string[]): { ok: string[] } | { bad: string[] } {
  const bad: string[] = []
  const ok: string[] = []
  for (const entry of entries) {
    const range = parseRange(entry)
    if (range === null) bad.push(entry)
    else ok.push(`${format(range.family, range.bits)}/${range.prefix}`)
  }
  return bad.length > 0 ? { bad } : { ok: [...new Set(ok)] }
}

/** True when `ip` (the client address as the server saw it) is inside one of the ranges. */
export function ipAllowed (allowed: readonly string[], ip: string): boolean {
  const client = addressBits(ip)
  if (client === null) return false
  return allowed.some((entry) => {
    const range = parseRange(entry)
    return range !== null && range.family === client.family && (client.bits & mask(range.family, range.prefix)) === range.bits
  })
}
