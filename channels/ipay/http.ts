import { Agent, request } from 'undici'

/** A longer answer is no iPay answer: the call fails rather than download it. */
export const RESPONSE_LIMIT = 64 * 1024

/**
 * One HTTP exchange with the provider, as the channel's audit trail keeps it. Bodies are redacted
 * before they are handed out: no key, no computed hash ever leaves through a leg.
 */
export interface Leg {
  /** Which call of the client made it ("transact", "stk_push", …). */
  call: string
  method: 'GET' | 'POST'
  url: string
  /** HTTP status of the answer; null when none came (timeout, refused). */
  statusCode: number | null
  durationMs: number
  /** Epoch ms when the request started. */
  startedAt: number
  requestBody: string | null
  responseBody: string
  /** Why no usable answer came (timeout, connection refused …); null when one did. */
  error: string | null
}

export interface Answer { statusCode: number, body: string }

/**
 * A call that got no usable HTTP answer: none in time, a broken connection, or one too large.
 * `sent` says whether the request may have reached the provider.
 */
export class TransportFailure extends Error {
  readonly kind: 'timeout' | 'network' | 'too_large'
  readonly sent: boolean
  constructor (message: string, kind: TransportFailure['kind'], sent: boolean) {
    super(message)
    this.name = 'TransportFailure'
    this.kind = kind
    this.sent = sent
  }
}

/** Errors raised before a byte left this machine: repeating the call cannot double anything. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_INVALID_URL'])

export interface LegHttpOptions {
  timeoutMs: number
  /** Masks secrets in any text that goes into a leg or an error message. */
  redact: (text: string) => string
  onLeg?: ((leg: Leg) => void) | undefined
  now?: () => number
}

/**
 * The client's one way out: form-encoded POSTs and GETs with a timeout at every stage plus an
 * overall deadline, answers refused beyond RESPONSE_LIMIT, redirects never followed, and one leg
 * reported per exchange whatever happens.
 */
export class LegHttp {
  readonly #agent: Agent
  readonly #options: LegHttpOptions
  readonly #now: () => number

  constructor (options: LegHttpOptions) {
    this.#options = options
    this.#now = options.now ?? Date.now
    this.#agent = new Agent({
      connect: { timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 4_000,
      maxResponseSize: RESPONSE_LIMIT
    })
  }

  /**
   * `form.sent` goes as application/x-www-form-urlencoded (what iPay's pages and most clients use);
   * `form.shown` is the same content as the audit trail may show it (hash fields masked).
   */
  async exchange (call: string, method: 'GET' | 'POST', url: string, form?: { sent: Readonly<Record<string, string>>, shown: Readonly<Record<string, string>> }): Promise<Answer> {
    const startedAt = this.#now()
    const started = performance.now()
    const body = form === undefined ? undefined : new URLSearchParams(Object.entries(form.sent)).toString()
    const leg = (statusCode: number | null, responseBody: string, error: string | null): void => {
      this.#options.onLeg?.({
        call,
        method,
        url: this.#options.redact(url),
        statusCode,
        durationMs: Math.round(performance.now() - started),
        startedAt,
        requestBody: form === undefined ? null : this.#options.redact(new URLSearchParams(Object.entries(form.shown)).toString().replaceAll('%5Bredacted%5D', '[redacted]')),
        responseBody: this.#options.redact(responseBody),
        error: error === null ? null : this.#options.redact(error)
      })
    }
    let statusCode: number | null = null
    try {
      const res = await request(url, {
        method,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) },
        body,
        dispatcher: this.#agent,
        signal: AbortSignal.timeout(this.#options.timeoutMs)
      })
      statusCode = res.statusCode
      // The agent's maxResponseSize cuts a huge or endless answer off with an error.
      const text = await res.body.text()
      leg(statusCode, text, null)
      return { statusCode, body: text }
    } catch (err) {
      const failure = describe(err, this.#options.timeoutMs)
      leg(statusCode, '', failure.message)
      throw failure
    }
  }

  async close (): Promise<void> {
    await this.#agent.close()
  }
}

function describe (err: unknown, timeoutMs: number): TransportFailure {
  const e = err as { name?: string, code?: string, message?: string, cause?: { code?: string } }
  const code = e.code ?? e.cause?.code ?? ''
  const sent = !NOT_SENT.has(code)
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return new TransportFailure(`answer longer than ${RESPONSE_LIMIT} bytes`, 'too_large', sent)
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/i.test(code)) {
    return new TransportFailure(`no answer within ${timeoutMs} ms (${code !== '' ? code : e.name ?? 'timeout'})`, 'timeout', sent)
  }
  return new TransportFailure(`${code !== '' ? `${code}: ` : ''}${e.message ?? String(err)}`.slice(0, 300), 'network', sent)
}
