import { lookup as dnsLookup } from 'node:dns/promises'
import type { LookupFunction } from 'node:net'
import { HarpoonError } from '../core/errors.js'
import { parseIPv6 } from '../core/ip.js'

export { parseIPv6 } from '../core/ip.js'

/**
 * SSRF guard for webhook targets (SPEC §4). Three layers, because each alone leaks:
 * 1. the URL as registered (scheme, credentials, IP literals, localhost and metadata names);
 * 2. every address the name resolves to, at registration;
 * 3. every address again inside the HTTP client's connect (`connect.lookup`), so a DNS answer that
 *    changes after the check (rebinding) is caught where it is used. IP-literal URLs never reach a
 *    lookup, which is why layer 1 is re-run before every send.
 * `allow_private_targets` opens loopback/private/link-local for development; the cloud metadata
 * addresses, multicast and reserved space stay blocked whatever the setting.
 */
export type AddressClass = 'public' | 'private' | 'forbidden'

export class TargetRefusedError extends HarpoonError {
  constructor (message: string) {
    super('target_refused', message)
    this.name = 'TargetRefusedError'
  }
}

type Range4 = readonly [base: number, bits: number]

const v4 = (text: string): number => text.split('.').reduce((acc, part) => acc * 256 + Number(part), 0)
const range4 = (cidr: string): Range4 => { const [a, b] = cidr.split('/'); return [v4(a as string), Number(b)] }
const inRange4 = (ip: number, [base, bits]: Range4): boolean => bits === 0 || Math.floor(ip / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits))

/** Cloud instance-metadata endpoints: credentials live there. Blocked always. */
const METADATA_V4 = ['169.254.169.254', '169.254.170.2', '169.254.170.23', '100.100.100.200', '192.0.0.192'].map(v4)
const METADATA_V6 = ['fd00:ec2::254', 'fd00:ec2::23']
const FORBIDDEN_V4 = ['224.0.0.0/4', '240.0.0.0/4'].map(range4)
const PRIVATE_V4 = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
  '192.0.2.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24'
].map(range4)

export function classifyIPv4 (ip: number): AddressClass {
  if (METADATA_V4.includes(ip) || FORBIDDEN_V4.some((r) => inRange4(ip, r))) return 'forbidden'
  if (PRIVATE_V4.some((r) => inRange4(ip, r))) return 'private'
  return 'public'
}

/**
 * IPv4 in the forms inet_aton (and so getaddrinfo) accepts: "127.0.0.1", "2130706433", "0x7f000001",
 * "0177.0.0.1", "127.1". Null when the text is not such a number.
 */
export function parseLegacyIPv4 (text: string): number | null {
  const parts = text.split('.')
  if (parts.length > 4 || parts.some((p) => p === '')) return null
  const nums: number[] = []
  for (const p of parts) {
    let n: number
    if (/^0x[0-9a-f]*$/i.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16)
    else if (/^0[0-7]*$/.test(p)) n = parseInt(p, 8)
    else if (/^[1-9][0-9]*$/.test(p)) n = parseInt(p, 10)
    else return null
    nums.push(n)
  }
  const last = nums.pop() as number
  if (nums.some((n) => n > 255) || last >= 256 ** (4 - nums.length)) return null
  return nums.reduce((acc, n, i) => acc + n * 256 ** (3 - i), 0) + last
}

const v4At = (b: readonly number[], i: number): number => (((b[i] as number) * 256 + (b[i + 1] as number)) * 256 + (b[i + 2] as number)) * 256 + (b[i + 3] as number)
const zeros = (b: readonly number[], from: number, to: number): boolean => b.slice(from, to).every((x) => x === 0)

export function classifyIPv6 (bytes: readonly number[]): AddressClass {
  const hex = (i: number): number => (bytes[i] as number) * 256 + (bytes[i + 1] as number)
  if (METADATA_V6.some((m) => (parseIPv6(m) as number[]).every((x, i) => x === bytes[i]))) return 'forbidden'
  // Forms that carry an IPv4 address inside: judge the IPv4 address, so ::ffff:127.0.0.1,
  // NAT64 64:ff9b::7f00:1 or 6to4 2002:7f00:1:: cannot smuggle loopback or metadata through.
  if (zeros(bytes, 0, 10) && hex(10) === 0xffff) return classifyIPv4(v4At(bytes, 12)) // IPv4-mapped
  if (zeros(bytes, 0, 12)) return 'private' // ::, ::1 and deprecated IPv4-compatible
  if (hex(0) === 0x64 && hex(2) === 0xff9b && zeros(bytes, 4, 12)) return classifyIPv4(v4At(bytes, 12)) // NAT64 well-known
  if (hex(0) === 0x64 && hex(2) === 0xff9b && hex(4) === 1) return worst(classifyIPv4(v4At(bytes, 12)), 'private') // local-use NAT64
  if (hex(0) === 0x2002) return worst(classifyIPv4(v4At(bytes, 2)), 'public') // 6to4
  if (hex(0) === 0x2001 && hex(2) === 0) return worst(classifyIPv4((v4At(bytes, 12) ^ 0xffffffff) >>> 0), 'public') // Teredo client
  const first = bytes[0] as number
  if (first === 0xff) return 'forbidden' // multicast
  if ((first & 0xfe) === 0xfc) return 'private' // unique local fc00::/7
  if (first === 0xfe && ((bytes[1] as number) & 0xc0) === 0x80) return 'private' // link-local fe80::/10
  if (first === 0xfe && ((bytes[1] as number) & 0xc0) === 0xc0) return 'private' // site-local fec0::/10
  if (hex(0) === 0x2001 && hex(2) === 0x0db8) return 'private' // documentation
  if (hex(0) === 0x0100 && zeros(bytes, 2, 8)) return 'private' // discard-only
  return 'public'
}

const ORDER: readonly AddressClass[] = ['public', 'private', 'forbidden']
const worst = (a: AddressClass, b: AddressClass): AddressClass => ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b

/** Classifies an IP address in any textual form; null when the text is not an address. */
export function classifyAddress (text: string): AddressClass | null {
  const bare = text.replace(/^\[|\]$/g, '')
  if (bare.includes(':')) {
    const bytes = parseIPv6(bare)
    return bytes === null ? null : classifyIPv6(bytes)
  }
  const n = parseLegacyIPv4(bare)
  return n === null ? null : classifyIPv4(n)
}

const LOCAL_NAMES = /^(localhost|localhost\.localdomain|ip6-localhost|ip6-loopback)$|\.localhost$/
const METADATA_NAMES = /^(metadata|metadata\.google\.internal|instance-data|instance-data\.ec2\.internal)$/

/** Judges a host name without resolving it: an IP literal, a localhost name or a metadata name. */
export function classifyHostname (hostname: string): AddressClass | 'name' {
  const host = hostname.toLowerCase().replace(/\.$/, '')
  const literal = classifyAddress(host)
  if (literal !== null) return literal
  if (METADATA_NAMES.test(host)) return 'forbidden'
  if (LOCAL_NAMES.test(host)) return 'private'
  return 'name'
}

export interface TargetPolicy {
  allowPrivateTargets: boolean
}

function refuse (what: string, cls: AddressClass, policy: TargetPolicy): void {
  if (cls === 'forbidden') throw new TargetRefusedError(`${what} is a metadata, multicast or reserved address, never a webhook target`)
  if (cls === 'private' && !policy.allowPrivateTargets) {
    throw new TargetRefusedError(`${what} is a loopback, private or link-local address (allowed only with webhooks.allow_private_targets)`)
  }
}

/**
 * Layer 1: the URL itself. Returns the parsed URL or throws TargetRefusedError (its message is safe
 * to show the merchant and names no secret). `requireHttps` is the mode rule of SPEC §4.
 */
export function checkTargetUrl (raw: string, policy: TargetPolicy & { requireHttps: boolean }): URL {
  let url: URL
  try { url = new URL(raw) } catch { throw new TargetRefusedError('is not an absolute URL') }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TargetRefusedError('must be an http(s) URL')
  if (url.protocol === 'http:' && policy.requireHttps) {
    throw new TargetRefusedError('must use https:// in live mode (http:// is for test mode, or live with webhooks.allow_private_targets)')
  }
  // Credentials in a URL end up in logs and proxies; signatures are how receivers authenticate us.
  if (url.username !== '' || url.password !== '') throw new TargetRefusedError('must not contain credentials')
  const cls = classifyHostname(url.hostname)
  if (cls !== 'name') refuse(`host ${url.hostname}`, cls, policy)
  return url
}

export interface ResolvedAddress { address: string, family: number }
/** All addresses of a name, like `dns.lookup(name, {all: true})`; injectable so tests can rebind. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>

export const systemResolver: Resolver = async (hostname) => await dnsLookup(hostname, { all: true, verbatim: true })

/** Layer 2 and 3: every address must pass, not only the first (an attacker controls the order). */
export function checkAddresses (hostname: string, addresses: readonly ResolvedAddress[], policy: TargetPolicy): void {
  if (addresses.length === 0) throw new TargetRefusedError(`host ${hostname} does not resolve`)
  for (const a of addresses) refuse(`host ${hostname} resolves to ${a.address}, which`, classifyAddress(a.address) ?? 'forbidden', policy)
}

export async function resolveAndCheck (hostname: string, resolver: Resolver, policy: TargetPolicy): Promise<ResolvedAddress[]> {
  const cls = classifyHostname(hostname)
  if (cls !== 'name') {
    refuse(`host ${hostname}`, cls, policy)
    return []
  }
  let addresses: ResolvedAddress[]
  try {
    addresses = await resolver(hostname)
  } catch (err) {
    throw new TargetRefusedError(`host ${hostname} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'DNS error'})`)
  }
  checkAddresses(hostname, addresses, policy)
  return addresses
}

/**
 * A `net.connect` lookup that checks every resolved address and then connects only to those, so the
 * address checked is the address used (no second resolution an attacker could answer differently).
 */
export function guardedLookup (resolver: Resolver, policy: TargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolveAndCheck(hostname, resolver, policy).then((found) => {
      const family = options.family === 4 || options.family === 6 ? options.family : 0
      const usable = family === 0 ? found : found.filter((a) => a.family === family)
      if (usable.length === 0) throw new TargetRefusedError(`host ${hostname} has no IPv${family} address`)
      if (options.all === true) callback(null, usable)
      else callback(null, (usable[0] as ResolvedAddress).address, (usable[0] as ResolvedAddress).family)
    }).catch((err: Error) => { callback(err as NodeJS.ErrnoException, '', 0) })
  }
}
