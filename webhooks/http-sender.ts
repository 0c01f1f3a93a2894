import type { IncomingHttpHeaders } from 'node:http'
import { Agent, type Dispatcher } from 'undici'
import { SharedDeadlines, type DeadlineSlot, type Expiring } from './deadlines.js'
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

/** What an attempt saw, before its duration is added. */
type Seen = Omit<SendResult, 'durationMs'>

/** A URL as undici dispatches it, with its judgement (checkTargetUrl): the refusal, or null. */
interface Target { refused: string | null, origin: string, path: string }

/**
 * One POST, as undici's dispatch handler: the status, the first RESPONSE_LIMIT bytes of the body
 * (there the request is aborted, so a huge or endless body costs 16 KiB, no more), or the error.
 * Dispatching directly instead of through undici's `request` spares a response stream, an async
 * resource and an abort listener per attempt, about 25 µs of a delivery's CPU (README, Performance:
 * webhook_fanout). Settles once; whatever undici reports after that changes nothing.
 */
class Attempt implements Dispatcher.DispatchHandler, Expiring {
  readonly #timeoutMs: number
  readonly #now: () => number
  readonly #slot: DeadlineSlot
  readonly #settle: (seen: Seen) => void
  #controller: Dispatcher.DispatchController | null = null
  /** The deadline passed before undici started the request: it is aborted as it starts. */
  #expired: Error | null = null
  #statusCode: number | null = null
  #retryAfter: string | string[] | undefined = undefined
  readonly #chunks: Buffer[] = []
  #size = 0
  #settled = false

  constructor (timeoutMs: number, now: () => number, slot: DeadlineSlot, settle: (seen: Seen) => void) {
    this.#timeoutMs = timeoutMs
    this.#now = now
    this.#slot = slot
    this.#settle = settle
    slot.add(this)
  }

  expire (reason: Error): void {
    if (this.#controller === null) this.#expired = reason
    else this.#controller.abort(reason)
  }

  onRequestStart (controller: Dispatcher.DispatchController): void {
    this.#controller = controller
    if (this.#expired !== null) controller.abort(this.#expired)
  }

  onResponseStart (_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // 1xx are informational: the final status follows.
    if (statusCode < 200) return
    this.#statusCode = statusCode
    if (statusCode === 429 || statusCode === 503) this.#retryAfter = headers['retry-after']
  }

  onResponseData (controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const take = Math.min(chunk.length, RESPONSE_LIMIT - this.#size)
    this.#chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take))
    this.#size += take
    if (this.#size < RESPONSE_LIMIT) return
    this.#answered()
    controller.abort(new Error('response read up to its limit'))
  }

  onResponseEnd (): void {
    this.#answered()
  }

  onResponseError (_controller: Dispatcher.DispatchController, err: Error): void {
    this.failed(err)
  }

  /** The overall deadline, a reset, a refused connection: the attempt failed (after it settled, this changes nothing). */
  failed (err: unknown): void {
    this.#finish({ delivered: false, statusCode: this.#statusCode, error: describe(err, this.#timeoutMs), retryAfterMs: null, responseBody: '' })
  }

  #answered (): void {
    const statusCode = this.#statusCode ?? 0
    const ok = statusCode >= 200 && statusCode < 300
    let error: string | null = null
    if (statusCode >= 300 && statusCode < 400) error = `HTTP ${statusCode}: redirects are not followed; register the final URL`
    else if (!ok) error = `HTTP ${statusCode}`
    const chunks = this.#chunks
    const responseBody = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8')
    this.#finish({ delivered: ok, statusCode, error, retryAfterMs: this.#retryAfter === undefined ? null : parseRetryAfter(this.#retryAfter, this.#now()), responseBody })
  }

  #finish (seen: Seen): void {
    if (this.#settled) return
    this.#settled = true
    this.#slot.delete(this)
    this.#settle(seen)
  }
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
  /** URLs already judged by checkTargetUrl (with the https rule in the key). */
  readonly #judged = new Map<string, Target>()
  /** Each attempt's overall deadline: timeoutMs from its start (plus at most one slot, see SharedDeadlines). */
  readonly #deadlines: SharedDeadlines

  constructor (options: HttpSenderOptions) {
    this.#timeoutMs = options.timeoutMs
    this.#deadlines = new SharedDeadlines(options.timeoutMs)
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

  /** The longest an attempt runs before it is aborted: what its lease must outlast. */
  get longestAttemptMs (): number { return this.#deadlines.longestMs }

  async send (req: SendRequest): Promise<SendResult> {
    const started = performance.now()
    const done = (r: Omit<SendResult, 'durationMs'>): SendResult => ({ ...r, durationMs: Math.round(performance.now() - started) })
    // IP-literal hosts never reach connect.lookup, so the URL is judged again here, before every send.
    const target = this.#target(req.url, req.requireHttps)
    if (target.refused !== null) return done({ delivered: false, statusCode: null, error: target.refused, retryAfterMs: null, responseBody: '' })
    const slot = this.#deadlines.slot()
    const seen = await new Promise<Seen>((resolve) => {
      const attempt = new Attempt(this.#timeoutMs, this.#now, slot, resolve)
      try {
        this.#agent.dispatch({ origin: target.origin, path: target.path, method: 'POST', headers: req.headers, body: req.body }, attempt)
      } catch (err) {
        // Refused before anything was sent (a header undici will not write, the agent closed).
        attempt.failed(err)
      }
    })
    return done(seen)
  }

  /**
   * The URL judged (its refusal, or null) and split as undici dispatches it. The judgement depends
   * on the URL's text and the policy alone (names are resolved and judged in connect.lookup), so it
   * is kept per URL: parsing and classifying cost 35 µs, a tenth of a whole attempt to a local
   * receiver (README, Performance: webhook_fanout).
   */
  #target (url: string, requireHttps: boolean): Target {
    const key = `${requireHttps ? 's' : 'p'}${url}`
    const known = this.#judged.get(key)
    if (known !== undefined) return known
    let target: Target
    try {
      const parsed = checkTargetUrl(url, { allowPrivateTargets: this.#allowPrivateTargets, requireHttps })
      target = { refused: null, origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` }
    } catch (err) {
      target = { refused: (err as Error).message, origin: '', path: '' }
    }
    // Bounded: a payment's own webhook_url makes many distinct URLs; the oldest is forgotten first.
    if (this.#judged.size >= JUDGED_URLS) this.#judged.delete(this.#judged.keys().next().value as string)
    this.#judged.set(key, target)
    return target
  }

  /** Abandons sockets in hand: the outbox leases make an abandoned attempt safe to repeat. */
  async close (): Promise<void> {
    await this.#agent.destroy()
    this.#deadlines.close()
  }
}
