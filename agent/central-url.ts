import type { LookupFunction } from 'node:net'
import { HarpoonError } from '../core/errors.js'
import { classifyAddress, classifyHostname, systemResolver, type ResolvedAddress, type Resolver } from '../webhooks/ssrf.js'

/**
 * Where an agent sends its SMS. HTTPS, whose certificate proves the central is the central; plain
 * HTTP only inside a network that is not the internet: a loopback or private address (RFC 1918,
 * CGNAT, unique-local, link-local), for tests and one-LAN set-ups. The key travels in every request,
 * so it must never cross the internet in clear. A host name over http:// must resolve to such
 * addresses only, at start and at every connect (the address checked is the address used).
 */
export class CentralUrlError extends HarpoonError {
  constructor (message: string) {
    super('central_url_refused', message)
    this.name = 'CentralUrlError'
  }
}

const PLAIN_HTTP_RULE = 'plain http:// is allowed only to a loopback or private address (for tests and one-LAN set-ups); use https://'

/** The URL's own problems (no DNS): returns the base URL, without a trailing slash, or throws CentralUrlError. */
export function checkCentralUrl (raw: string): URL {
  let url: URL
  try { url = new URL(raw) } catch { throw new CentralUrlError('is not an absolute URL (https://central.example.com)') }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CentralUrlError('must be an https:// URL')
  if (url.username !== '' || url.password !== '') throw new CentralUrlError('must not hold credentials: the agent authenticates with agent.key')
  if (url.search !== '' || url.hash !== '') throw new CentralUrlError('must not have a query or fragment')
  if (url.protocol === 'http:') {
    const cls = classifyHostname(url.hostname)
    if (cls === 'public' || cls === 'forbidden') throw new CentralUrlError(`${PLAIN_HTTP_RULE} (${url.hostname} is not one)`)
  }
  url.pathname = url.pathname.replace(/\/+$/, '')
  return url
}

/** True when requests to this URL go in clear: the host's addresses must then be private ones. */
export function isPlainHttp (url: URL): boolean {
  return url.protocol === 'http:'
}

function refusePublic (hostname: string, addresses: readonly ResolvedAddress[]): void {
  if (addresses.length === 0) throw new CentralUrlError(`host ${hostname} does not resolve`)
  for (const a of addresses) {
    if (classifyAddress(a.address) !== 'private') throw new CentralUrlError(`${PLAIN_HTTP_RULE} (${hostname} resolves to ${a.address})`)
  }
}

/** Start-up check of a plain-http host name: every address it resolves to must be private. */
export async function checkCentralAddresses (url: URL, resolver: Resolver = systemResolver): Promise<void> {
  if (!isPlainHttp(url) || classifyHostname(url.hostname) !== 'name') return
  let found: ResolvedAddress[]
  try {
    found = await resolver(url.hostname)
  } catch (err) {
    throw new CentralUrlError(`host ${url.hostname} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'DNS error'})`)
  }
  refusePublic(url.hostname, found)
}

/** A connect lookup for plain http: resolves, refuses any public address, connects to one checked. */
export function privateOnlyLookup (resolver: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolver(hostname).then((found) => {
      refusePublic(hostname, found)
      const family = options.family === 4 || options.family === 6 ? options.family : 0
      const usable = family === 0 ? found : found.filter((a) => a.family === family)
      const first = usable[0]
      if (first === undefined) throw new CentralUrlError(`host ${hostname} has no IPv${family} address`)
      if (options.all === true) callback(null, usable)
      else callback(null, first.address, first.family)
    }).catch((err: Error) => { callback(err as NodeJS.ErrnoException, '', 0) })
  }
}
