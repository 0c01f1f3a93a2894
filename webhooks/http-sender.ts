import type { Readable } from 'node:stream'
import { Agent, request } from 'undici'
import { checkTargetUrl, guardedLookup, systemResolver, type Resolver } from './ssrf.js'

/** At most this much of a response is read and kept; the rest is never downloaded (SPEC §5). */
export const RESPONSE_LIMIT = 16 * 1024
/** How many target URLs' judgements the sender keeps. */
const JUDGED_URLS = 1024

export interface SendRequest {
  url: string
  headers: Record<string, string>
  /** The stored body, sent byte for byte. */
  body: string
  requireHttps: boolean
}

export interface SendResult {
  /** A 2xx whose response finished (or was cut at the limit) within the timeout. */
  delivered: boolean
  statusCode: number | null
  /** Why the attempt failed, fit for the merchant's eyes: never headers, never secrets. */
  error: string | null
  /** The receiver's Retry-After on 429/503, in ms from now; null when absent or unreadable. */
  retryAfterMs: number | null
  responseBody: string
  durationMs: number
}

export interface HttpSenderOptions {
  timeoutMs: number
  allowPrivateTargets: boolean
  resolver?: Resolver
  now?: () => number
}

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3); garbage is ignored. */
export function parseRetryAfter (value: string | string[] | undefined, nowMs: number): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  if (text === undefined || text === '') return null
  if (/^\d+$/.test(text)) return Number(text) * 1000
  if (!/[a-z]/i.test(text)) return null
  const at = Date.parse(text)
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs)
}

function describe (err: unknown, timeoutMs: number): string {
  const e = err as { name?: string, code?: string, message?: string }
  // undici's own timers (UND_ERR_HEADERS_TIMEOUT, …) race the overall deadline on a loaded machine: the same timeout.
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /timeout/i.test(e.code ?? '')) return `timed out after ${timeoutMs} ms (${e.code ?? e.name ?? 'timeout'})`
  const text = `${e.code !== undefined ? `${e.code}: ` : ''}${e.message ?? String(err)}`
  return text.slice(0, 500)
}

/**
 * The first RESPONSE_LIMIT bytes of a response, as text; the stream is destroyed there, so a huge or
 * endless body costs 16 KiB, no more. Read by its events rather than an async iterator, which cost
 * a promise and an end-of-stream watcher per response (README, Performance: webhook_fanout).
 */
async function firstBytes (body: Readable): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const text = (): string => chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8')
    body.on('data', (chunk: Buffer) => {
      const take = Math.min(chunk.length, RESPONSE_LIMIT - size)
      chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take))
      size += take
      if (size >= RESPONSE_LIMIT) { body.destroy(); resolve(text()) }
    })
    body.once('end', () => { resolve(text()) })
    // The overall deadline's abort, a reset: the attempt failed (after a resolve, this changes nothing).
    body.once('error', reject)
  })
}

/**
 * POSTs one signed body. One shared undici Agent for every endpoint: keep-alive where receivers
 * allow it, the SSRF guard inside connect (so the checked address is the connected one), and
 * timeouts at every stage plus one overall deadline, so a hanging or trickling receiver frees its
 * slot after `timeoutMs`. `request` never follows redirects: a 3xx is a failed attempt and its
 * Location is never contacted.
 */
export class HttpSender {
  readonly #agent: Agent
  readonly #timeoutMs: number
  readonly #allowPrivateTargets: boolean
  readonly #now: () => number
  /** URLs already judged by checkTargetUrl (with the https rule in the key): the refusal, or null. */
  readonly #judged = new Map<string, string | null>()

  constructor (options: HttpSenderOptions) {
    this.#timeoutMs = options.timeoutMs
    this.#allowPrivateTargets = options.allowPrivateTargets
    this.#now = options.now ?? Date.now
    this.#agent = new Agent({
      connect: { timeout: options.timeoutMs, lookup: guardedLookup(options.resolver ?? systemResolver, { allowPrivateTargets: options.allowPrivateTargets }) },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 4_000,
      maxResponseSize: -1
    })
  }

  async send (req: SendRequest): Promise<SendResult> {
    const started = performance.now()
    const done = (r: Omit<SendResult, 'durationMs'>): SendResult => ({ ...r, durationMs: Math.round(performance.now() - started) })
    // IP-literal hosts never reach connect.lookup, so the URL is judged again here, before every send.
    const refused = this.#refusal(req.url, req.requireHttps)
    if (refused !== null) return done({ delivered: false, statusCode: null, error: refused, retryAfterMs: null, responseBody: '' })
    let statusCode: number | null = null
    try {
      const res = await request(req.url, {
        method: 'POST',
        headers: req.headers,
        body: req.body,
        dispatcher: this.#agent,
        signal: AbortSignal.timeout(this.#timeoutMs)
      })
      statusCode = res.statusCode
      const responseBody = await firstBytes(res.body)
      const ok = statusCode >= 200 && statusCode < 300
      const retryAfterMs = statusCode === 429 || statusCode === 503 ? parseRetryAfter(res.headers['retry-after'], this.#now()) : null
      let error: string | null = null
      if (statusCode >= 300 && statusCode < 400) error = `HTTP ${statusCode}: redirects are not followed; register the final URL`
      else if (!ok) error = `HTTP ${statusCode}`
      return done({ delivered: ok, statusCode, error, retryAfterMs, responseBody })
    } catch (err) {
      return done({ delivered: false, statusCode, error: describe(err, this.#timeoutMs), retryAfterMs: null, responseBody: '' })
    }
  }

  /**
   * Why the URL is refused, or null. The judgement depends on the URL's text and the policy alone
   * (names are resolved and judged in connect.lookup), so it is kept per URL: parsing and classifying
   * cost 35 µs, a tenth of a whole attempt to a local receiver (README, Performance: webhook_fanout).
   */
  #refusal (url: string, requireHttps: boolean): string | null {
    const key = `${requireHttps ? 's' : 'p'}${url}`
    const known = this.#judged.get(key)
    if (known !== undefined) return known
    let refused: string | null = null
    try {
      checkTargetUrl(url, { allowPrivateTargets: this.#allowPrivateTargets, requireHttps })
    } catch (err) {
      refused = (err as Error).message
    }
    // Bounded: a payment's own webhook_url makes many distinct URLs; the oldest is forgotten first.
    if (this.#judged.size >= JUDGED_URLS) this.#judged.delete(this.#judged.keys().next().value as string)
    this.#judged.set(key, refused)
    return refused
  }

  /** Abandons sockets in hand: the outbox leases make an abandoned attempt safe to repeat. */
  async close (): Promise<void> {
    await this.#agent.destroy()
  }
}
