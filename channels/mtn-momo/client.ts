import { Agent, request } from 'undici'
import { systemClock, type Clock } from '../../core/time.js'
import { errorForStatus, MtnError, type MtnOperation } from './errors.js'
import { Redactor, type MtnLeg } from './legs.js'
import { DEFAULT_REFRESH_BEFORE_MS, TokenCache, type MintedToken } from './token-cache.js'
import { readMtnTransaction, type RequestToPayState, type TransferState } from './transaction.js'
import { checkPaymentBody, isUuidV4, MTN_PAYMENT_PATHS, type MtnParty, type MtnProduct } from './wire.js'

/** One product's credentials, named as in the channel's config. */
export interface MtnProductCredentials { subscription_key: string, api_user: string, api_key: string }

/** The part of a channel's config the client needs (the config's own key names). */
export interface MtnClientConfig {
  base_url: string
  target_environment: string
  collection?: MtnProductCredentials | undefined
  disbursement?: MtnProductCredentials | undefined
}

export interface MtnClientOptions {
  /** Whole-call deadline, connect to last byte. Default 20 s. */
  timeoutMs?: number
  /** Renew a token this long before it expires (capped at a sixth of its life). Default 10 min. */
  refreshBeforeMs?: number
  clock?: Clock
  /**
   * Receives every HTTP exchange with MTN (token calls too), redacted, once it ends. Awaited before
   * the call returns or throws; if it throws, the call throws that error instead of its result,
   * which is safe because every MTN call here is idempotent by its reference id.
   */
  onLeg?: (leg: MtnLeg) => void | Promise<void>
}

export interface RequestToPayInput {
  /** UUIDv4, chosen by the caller and stored before the call: resending it is how a lost answer is recovered. */
  referenceId: string
  /** Decimal string in the environment's currency, e.g. "150.00". */
  amount: string
  currency: string
  /** Our own id (MTN does not require it unique); it comes back in status and callback bodies. */
  externalId: string
  payer: MtnParty
  payerMessage: string
  payeeNote: string
  /** Sent as `X-Callback-Url`; its host must be the API user's providerCallbackHost. */
  callbackUrl?: string | undefined
}

export interface TransferInput extends Omit<RequestToPayInput, 'payer'> { payee: MtnParty }

/** MTN has the request: created now (202), or it already had this reference (409). */
export interface MtnAccepted { referenceId: string, alreadyExisted: boolean }

export interface MtnBalance { availableBalance: string, currency: string }

/** Enough of any answer is kept for legs and parsing; the rest is never downloaded. */
const RESPONSE_LIMIT = 64 * 1024
const DEFAULT_TIMEOUT_MS = 20_000

interface Answer { statusCode: number, body: string, retryAfterMs: number | null }

interface Product {
  credentials: MtnProductCredentials
  tokens: TokenCache
  redactor: Redactor
}

interface Call {
  product: MtnProduct
  operation: MtnOperation
  referenceId: string | null
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  body?: string
}

/**
 * A client of MTN's MoMo Open API (Collection and Disbursement) over one keep-alive undici agent.
 * It makes exactly the calls asked for: no retries of its own except the one MTN's 401 calls for
 * (renew the token, repeat once). Back-off belongs to the caller's durable outbox, which the typed
 * errors (`MtnError.retryable`, `.ambiguous`) are made for. Every exchange is reported as a
 * redacted leg through `onLeg`; nothing is logged.
 */
export class MtnMomoClient {
  readonly #baseUrl: string
  readonly #environment: string
  readonly #timeoutMs: number
  readonly #clock: Clock
  readonly #onLeg: MtnClientOptions['onLeg']
  readonly #agent: Agent
  readonly #products = new Map<MtnProduct, Product>()

  constructor (config: MtnClientConfig, options: MtnClientOptions = {}) {
    this.#baseUrl = config.base_url.replace(/\/+$/, '')
    this.#environment = config.target_environment
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.#clock = options.clock ?? systemClock
    this.#onLeg = options.onLeg
    this.#agent = new Agent({ connect: { timeout: this.#timeoutMs }, headersTimeout: this.#timeoutMs, bodyTimeout: this.#timeoutMs, keepAliveTimeout: 4_000 })
    for (const product of ['collection', 'disbursement'] as const) {
      const credentials = config[product]
      if (credentials === undefined) continue
      const redactor = new Redactor()
      redactor.add(credentials.subscription_key)
      redactor.add(credentials.api_key)
      redactor.add(Buffer.from(`${credentials.api_user}:${credentials.api_key}`).toString('base64'))
      const tokens = new TokenCache(async () => await this.#mintToken(product), this.#clock, options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS)
      this.#products.set(product, { credentials, tokens, redactor })
    }
  }

  /** Whether the channel's config gave credentials for a product (refunds need disbursement). */
  has (product: MtnProduct): boolean {
    return this.#products.has(product)
  }

  /** `POST /collection/v1_0/requesttopay`: asks MTN to prompt the payer. Resolves once MTN holds the request. */
  async requestToPay (input: RequestToPayInput): Promise<MtnAccepted> {
    return await this.#createPayment('collection', 'requesttopay', input, input.payer)
  }

  /** `GET /collection/v1_0/requesttopay/{referenceId}`: the truth about a request to pay. */
  async requestToPayStatus (referenceId: string): Promise<RequestToPayState> {
    return await this.#readStatus('collection', 'requesttopay-status', referenceId, (body) => readMtnTransaction(body, 'payer'))
  }

  /** `POST /disbursement/v1_0/transfer`: pays money out of the disbursement account to a payee. */
  async transfer (input: TransferInput): Promise<MtnAccepted> {
    return await this.#createPayment('disbursement', 'transfer', input, input.payee)
  }

  /** `GET /disbursement/v1_0/transfer/{referenceId}`. */
  async transferStatus (referenceId: string): Promise<TransferState> {
    return await this.#readStatus('disbursement', 'transfer-status', referenceId, (body) => readMtnTransaction(body, 'payee'))
  }

  /** `GET /{product}/v1_0/account/balance`. */
  async accountBalance (product: MtnProduct): Promise<MtnBalance> {
    const answer = await this.#authorized({ product, operation: 'account-balance', referenceId: null, method: 'GET', path: `/${product}/v1_0/account/balance` })
    if (answer.statusCode !== 200) throw errorForStatus(product, 'account-balance', true, answer.statusCode, answer.body, answer.retryAfterMs)
    const o = this.#json(product, 'account-balance', answer.body) as Record<string, unknown>
    const availableBalance = typeof o['availableBalance'] === 'number' ? String(o['availableBalance']) : o['availableBalance']
    if (typeof availableBalance !== 'string' || typeof o['currency'] !== 'string') throw this.#badResponse(product, 'account-balance', 'a balance body without availableBalance and currency')
    return { availableBalance, currency: o['currency'] }
  }

  /**
   * `GET /{product}/v1_0/accountholder/{type}/{id}/active`: whether the party is a registered, active
   * MoMo user. A validity check only: it says nothing about funds.
   */
  async accountholderActive (product: MtnProduct, party: MtnParty): Promise<boolean> {
    const path = `/${product}/v1_0/accountholder/${party.partyIdType.toLowerCase()}/${encodeURIComponent(party.partyId)}/active`
    const answer = await this.#authorized({ product, operation: 'accountholder-active', referenceId: null, method: 'GET', path })
    if (answer.statusCode !== 200) throw errorForStatus(product, 'accountholder-active', true, answer.statusCode, answer.body, answer.retryAfterMs)
    const o = this.#json(product, 'accountholder-active', answer.body) as Record<string, unknown>
    if (typeof o['result'] !== 'boolean') throw this.#badResponse(product, 'accountholder-active', 'an answer without a boolean result')
    return o['result']
  }

  /** Frees the sockets. Calls in flight fail as network errors (safe: all are idempotent). */
  async close (): Promise<void> {
    await this.#agent.destroy()
  }

  async #createPayment (product: MtnProduct, operation: 'requesttopay' | 'transfer', input: RequestToPayInput | TransferInput, party: MtnParty): Promise<MtnAccepted> {
    const partyField = MTN_PAYMENT_PATHS[product].partyField
    const details = isUuidV4(input.referenceId) ? [] : [{ field: 'referenceId', message: 'must be a UUIDv4' }]
    const body = { amount: input.amount, currency: input.currency, externalId: input.externalId, [partyField]: party, payerMessage: input.payerMessage, payeeNote: input.payeeNote }
    details.push(...checkPaymentBody(body, partyField, { strict: true }).problems)
    if (input.callbackUrl !== undefined && !/^https?:\/\/[^/\s]+/.test(input.callbackUrl)) details.push({ field: 'callbackUrl', message: 'must be an http(s) URL' })
    if (details.length > 0) {
      throw new MtnError(`refused before calling MTN: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`, { kind: 'invalid_request', product, operation, details })
    }
    const answer = await this.#authorized({
      product,
      operation,
      referenceId: input.referenceId,
      method: 'POST',
      path: MTN_PAYMENT_PATHS[product].create,
      headers: {
        'Content-Type': 'application/json',
        'X-Reference-Id': input.referenceId,
        ...(input.callbackUrl === undefined ? {} : { 'X-Callback-Url': input.callbackUrl })
      },
      body: JSON.stringify(body)
    })
    if (answer.statusCode >= 200 && answer.statusCode < 300) return { referenceId: input.referenceId, alreadyExisted: false }
    // MTN already holds this reference: an earlier attempt whose answer was lost got through.
    if (answer.statusCode === 409) return { referenceId: input.referenceId, alreadyExisted: true }
    throw errorForStatus(product, operation, false, answer.statusCode, answer.body, answer.retryAfterMs)
  }

  async #readStatus<T> (product: MtnProduct, operation: 'requesttopay-status' | 'transfer-status', referenceId: string, read: (body: unknown) => T | null): Promise<T> {
    if (!isUuidV4(referenceId)) throw new MtnError('refused before calling MTN: referenceId must be a UUIDv4', { kind: 'invalid_request', product, operation, details: [{ field: 'referenceId', message: 'must be a UUIDv4' }] })
    const answer = await this.#authorized({ product, operation, referenceId, method: 'GET', path: `${MTN_PAYMENT_PATHS[product].create}/${referenceId}` })
    if (answer.statusCode !== 200) throw errorForStatus(product, operation, true, answer.statusCode, answer.body, answer.retryAfterMs)
    const state = read(this.#json(product, operation, answer.body))
    if (state === null) throw this.#badResponse(product, operation, 'a status body without a status')
    return state
  }

  /** A call with the product's bearer token; a 401 renews the token once and repeats the call once. */
  async #authorized (call: Call): Promise<Answer> {
    const product = this.#product(call.product, call.operation)
    const send = async (token: string): Promise<Answer> => await this.#send(call, {
      Authorization: `Bearer ${token}`,
      'Ocp-Apim-Subscription-Key': product.credentials.subscription_key,
      'X-Target-Environment': this.#environment,
      ...call.headers
    })
    const token = await product.tokens.get()
    const first = await send(token)
    if (first.statusCode !== 401) return first
    return await send(await product.tokens.renewAfterRejection(token))
  }

  async #mintToken (productName: MtnProduct): Promise<MintedToken> {
    const product = this.#product(productName, 'token')
    const { api_user: user, api_key: key } = product.credentials
    const answer = await this.#send({ product: productName, operation: 'token', referenceId: null, method: 'POST', path: `/${productName}/token/` }, {
      Authorization: `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}`,
      'Ocp-Apim-Subscription-Key': product.credentials.subscription_key
    })
    if (answer.statusCode !== 200) throw errorForStatus(productName, 'token', true, answer.statusCode, answer.body, answer.retryAfterMs)
    const o = this.#json(productName, 'token', answer.body) as Record<string, unknown>
    const token = o['access_token']
    const expiresIn = Number(o['expires_in'])
    if (typeof token !== 'string' || token === '' || !Number.isFinite(expiresIn) || expiresIn <= 0) throw this.#badResponse(productName, 'token', 'a token body without access_token and expires_in')
    return { token, expiresInMs: expiresIn * 1000 }
  }

  /** One HTTP exchange, reported as a leg whatever happens. Throws only for no answer (timeout, network). */
  async #send (call: Call, authHeaders: Record<string, string>): Promise<Answer> {
    const product = this.#product(call.product, call.operation)
    const url = `${this.#baseUrl}${call.path}`
    const headers = { ...authHeaders, ...call.headers }
    const startedAt = this.#clock.now()
    const started = performance.now()
    let statusCode: number | null = null
    let body = ''
    let retryAfterMs: number | null = null
    let failure: MtnError | null = null
    try {
      const res = await request(url, { method: call.method, headers, body: call.body, dispatcher: this.#agent, signal: AbortSignal.timeout(this.#timeoutMs) })
      statusCode = res.statusCode
      retryAfterMs = readRetryAfter(res.headers['retry-after'])
      body = await readLimited(res.body)
      // A token arriving in a body is a secret from now on, wherever it might be echoed.
      if (call.operation === 'token' && statusCode === 200) rememberToken(product.redactor, body)
    } catch (err) {
      failure = noAnswer(call, err, this.#timeoutMs)
    }
    const redactor = product.redactor
    await this.#onLeg?.({
      product: call.product,
      operation: call.operation,
      referenceId: call.referenceId,
      method: call.method,
      url: redactor.text(url),
      requestHeaders: redactor.headers(headers),
      requestBody: redactor.body(call.body ?? null),
      statusCode,
      responseBody: statusCode === null ? null : redactor.body(body),
      error: failure === null ? null : redactor.text(failure.message),
      startedAt,
      durationMs: Math.round(performance.now() - started)
    })
    if (failure !== null) throw failure
    return { statusCode: statusCode as number, body, retryAfterMs }
  }

  #product (name: MtnProduct, operation: MtnOperation): Product {
    const product = this.#products.get(name)
    if (product === undefined) throw new MtnError(`the channel has no ${name} credentials`, { kind: 'not_configured', product: name, operation })
    return product
  }

  #json (product: MtnProduct, operation: MtnOperation, body: string): unknown {
    try {
      const parsed: unknown = JSON.parse(body)
      if (typeof parsed === 'object' && parsed !== null) return parsed
    } catch { /* reported below */ }
    throw this.#badResponse(product, operation, 'a body that is not a JSON object')
  }

  #badResponse (product: MtnProduct, operation: MtnOperation, what: string): MtnError {
    return new MtnError(`MTN ${operation} answered with ${what}`, { kind: 'bad_response', product, operation })
  }
}

function rememberToken (redactor: Redactor, body: string): void {
  try {
    const token = (JSON.parse(body) as Record<string, unknown>)['access_token']
    if (typeof token === 'string') redactor.addToken(token)
  } catch { /* not a token body: nothing to remember */ }
}

async function readLimited (body: AsyncIterable<Buffer> & { destroy: () => void }): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    const take = Math.min(chunk.length, RESPONSE_LIMIT - size)
    chunks.push(chunk.subarray(0, take))
    size += take
    if (size >= RESPONSE_LIMIT) { body.destroy(); break }
  }
  return Buffer.concat(chunks).toString('utf8')
}

function readRetryAfter (value: string | string[] | undefined): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  return text !== undefined && /^\d{1,6}$/.test(text) ? Number(text) * 1000 : null
}

/** Timeout or network failure: the request may or may not have reached MTN. */
function noAnswer (call: Call, err: unknown, timeoutMs: number): MtnError {
  const e = err as { name?: string, code?: string, message?: string }
  const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/i.test(e.code ?? '')
  const facts = { product: call.product, operation: call.operation, ambiguous: call.method === 'POST' && call.operation !== 'token' }
  return timedOut
    ? new MtnError(`MTN ${call.operation} gave no answer within ${timeoutMs} ms`, { ...facts, kind: 'timeout' }, { cause: err })
    : new MtnError(`MTN ${call.operation} failed on the network: ${e.code ?? e.name ?? 'error'}${e.message === undefined ? '' : ` ${e.message}`}`.slice(0, 300), { ...facts, kind: 'network' }, { cause: err })
}
