import type { Static, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Agent as Dispatcher, request } from 'undici'
import { parseRetryAfter } from '../webhooks/http-sender.js'
import type { Resolver } from '../webhooks/ssrf.js'
import { isPlainHttp, privateOnlyLookup } from './central-url.js'
import { AGENT_PATHS, HeartbeatReply, MessageReply, TestSmsClaimReply, type HeartbeatBody, type MessageBody } from './protocol.js'

/** What one call to the central came to. Only `ok` means the central has (and committed) what was sent. */
export type CallResult<T> =
  | { kind: 'ok', data: T }
  /** The link or the central is down, busy or failing (no answer, 5xx, 429): send the same again later. */
  | { kind: 'unavailable', error: string, retryAfterMs: number | null }
  /** The central calls this body malformed (400, 413, 422): sending it again will not change that (an older central?). */
  | { kind: 'refused', error: string }
  /** The central refuses this agent (revoked key, wrong scope, an id another merchant owns, not a central): a person must act. */
  | { kind: 'rejected', status: number, code: string, error: string }

export interface CentralClientOptions {
  /** The checked base URL (agent/central-url.ts). */
  url: URL
  key: string
  timeoutMs: number
  version: string
  resolver?: Resolver
}

const RESPONSE_LIMIT = 256 * 1024

/** Why a call failed, for the log: the request's own words, never the key. */
function describe (err: unknown): string {
  const e = err as { name?: string, code?: string, message?: string, cause?: { code?: string, message?: string } }
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /timeout/i.test(e.code ?? '')) return `no answer in time (${e.code ?? e.name ?? 'timeout'})`
  const code = e.code ?? e.cause?.code
  return `${code !== undefined ? `${code}: ` : ''}${e.cause?.message ?? e.message ?? String(err)}`.slice(0, 300)
}

interface Envelope { success?: unknown, data?: unknown, error?: { code?: unknown, message?: unknown } }

/** The API's envelope, or null for a body that is not JSON (a proxy's error page): judged by its status then. */
function envelopeOf (text: string): Envelope | null {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null ? value as Envelope : null
  } catch {
    return null
  }
}

/**
 * The agent's side of the wire (agent/protocol.ts). One keep-alive connection pool to the central;
 * for plain http the connect resolves the host and refuses any public address, so the key never
 * leaves the private network in clear. Redirects are never followed.
 */
export class CentralClient {
  readonly #o: CentralClientOptions
  readonly #dispatcher: Dispatcher

  constructor (o: CentralClientOptions) {
    this.#o = o
    this.#dispatcher = new Dispatcher({
      connect: { timeout: o.timeoutMs, ...(isPlainHttp(o.url) ? { lookup: privateOnlyLookup(o.resolver) } : {}) },
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      keepAliveTimeout: 30_000
    })
  }

  async heartbeat (body: HeartbeatBody): Promise<CallResult<HeartbeatReply>> {
    return await this.#post(AGENT_PATHS.heartbeat, body, HeartbeatReply)
  }

  async forward (body: MessageBody): Promise<CallResult<MessageReply>> {
    return await this.#post(AGENT_PATHS.messages, body, MessageReply)
  }

  async claimTestSms (agentId: string): Promise<CallResult<TestSmsClaimReply>> {
    return await this.#post(AGENT_PATHS.testSms, { agent: agentId }, TestSmsClaimReply)
  }

  async close (): Promise<void> { await this.#dispatcher.destroy() }

  async #post<S extends TSchema> (path: string, body: unknown, reply: S): Promise<CallResult<Static<S>>> {
    const url = new URL(this.#o.url.href)
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`
    let status: number
    let text: string
    let retryAfter: string | string[] | undefined
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.#o.key}`, 'content-type': 'application/json', 'user-agent': `Harpoon-Agent/${this.#o.version}` },
        body: JSON.stringify(body),
        dispatcher: this.#dispatcher,
        signal: AbortSignal.timeout(this.#o.timeoutMs)
      })
      status = res.statusCode
      retryAfter = res.headers['retry-after']
      const chunks: Buffer[] = []
      let size = 0
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length
        if (size > RESPONSE_LIMIT) break
        chunks.push(chunk)
      }
      text = Buffer.concat(chunks).toString('utf8')
    } catch (err) {
      return { kind: 'unavailable', error: describe(err), retryAfterMs: null }
    }
    const json = envelopeOf(text)
    const code = typeof json?.error?.code === 'string' ? json.error.code : `http_${status}`
    const message = typeof json?.error?.message === 'string' ? json.error.message : `HTTP ${status}`
    if (status >= 200 && status < 300) {
      if (json?.success === true && Value.Check(reply, json.data)) return { kind: 'ok', data: json.data }
      return { kind: 'rejected', status, code: 'not_a_central', error: `HTTP ${status} without a Harpoon answer: is agent.central_url a Harpoon daemon (and not a proxy's page)?` }
    }
    if (status === 429 || status >= 500) return { kind: 'unavailable', error: `${code}: ${message}`, retryAfterMs: parseRetryAfter(retryAfter, Date.now()) }
    if (status === 400 || status === 413 || status === 422) return { kind: 'refused', error: message }
    if (status >= 300 && status < 400) return { kind: 'rejected', status, code: 'redirect', error: `HTTP ${status}: the central URL redirects; set agent.central_url to where it leads` }
    return { kind: 'rejected', status, code, error: message }
  }
}
