import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto'
import { formatAmount, parseAmount } from '../../../core/money.js'
import { isoSeconds } from '../../../core/time.js'
import type { MtnProductCredentials } from '../client.js'
import { normaliseMtnAmount, type MtnParty, type MtnPaymentBody, type MtnProduct, type MtnStatus } from '../wire.js'
import { SANDBOX_NUMBERS, type CallbackBehaviour, type PartyBehaviour } from './behaviour.js'
import { CallbackSender, type CallbackAttempt } from './callbacks.js'
import type { SimClock } from './clock.js'
import { Faults, type SimOperation } from './faults.js'
import type { SimSettings } from './settings.js'

export interface SimApiUser {
  id: string
  /** The product whose subscription key created it; its tokens work for that product only. */
  product: MtnProduct
  providerCallbackHost: string
  apiKey: string | null
  /** Bumped by every new API key: tokens minted before it stop working. */
  keyGeneration: number
}

interface SimToken { userId: string, product: MtnProduct, keyGeneration: number, expiresAt: number }

/** Who settled a transaction: its number's script, the operator, or the approval window. */
export type DecidedBy = 'script' | 'operator' | 'window'

export interface SimTransaction {
  product: MtnProduct
  referenceId: string
  apiUser: string
  request: MtnPaymentBody
  amountMinor: number
  callbackUrl: string | null
  status: MtnStatus
  reason: string | null
  financialTransactionId: string | null
  behaviour: PartyBehaviour
  callback: CallbackBehaviour
  decidedBy: DecidedBy | null
  createdAt: number
  updatedAt: number
  callbacks: CallbackAttempt[]
  cancelTimers: Array<() => void>
}

/** One call the simulator received, for `GET /_sim/log`. */
export interface ReceivedCall {
  seq: number
  at: string
  method: string
  path: string
  operation: SimOperation | null
  referenceId: string | null
  status: number | 'hang' | 'reset'
  fault: number | null
}

const LOG_LIMIT = 2_000

function secretHex (bytes: number): string {
  return randomBytes(bytes).toString('hex')
}

function sameSecret (a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** Looks like MTN's JWT (three base64url parts); only the simulator can read its meaning. */
function jwtLike (payload: Record<string, unknown>): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${part({ typ: 'JWT', alg: 'R256' })}.${part(payload)}.${randomBytes(48).toString('base64url')}`
}

export interface SimStateOptions {
  environment: string
  currency: string
  clock: SimClock
  settings: SimSettings
  credentials: Record<MtnProduct, MtnProductCredentials>
  callbackHost: string
  balances: Record<MtnProduct, number>
}

/**
 * Everything the simulated MTN knows: subscriptions, API users, tokens, requests to pay and
 * transfers, account balances, and what it received. Routes and the control API both act through
 * it, so an approval by the operator and one by a test number take the same path.
 */
export class SimState {
  readonly environment: string
  readonly currency: string
  readonly clock: SimClock
  readonly faults = new Faults()
  settings: SimSettings
  readonly subscriptionKeys: Record<MtnProduct, string>
  readonly balances: Record<MtnProduct, number>
  readonly #users = new Map<string, SimApiUser>()
  readonly #tokens = new Map<string, SimToken>()
  readonly #issued: string[] = []
  readonly #transactions = new Map<string, SimTransaction>()
  readonly #numbers = new Map<string, PartyBehaviour>()
  #log: ReceivedCall[] = []
  #seq = 0
  readonly #reads = new Map<string, { second: number, count: number }>()
  readonly #callbacks: CallbackSender

  constructor (options: SimStateOptions) {
    this.environment = options.environment
    this.currency = options.currency
    this.clock = options.clock
    this.settings = options.settings
    this.balances = { ...options.balances }
    this.#callbacks = new CallbackSender(options.clock)
    this.subscriptionKeys = { collection: options.credentials.collection.subscription_key, disbursement: options.credentials.disbursement.subscription_key }
    for (const product of ['collection', 'disbursement'] as const) {
      const c = options.credentials[product]
      this.#users.set(c.api_user.toLowerCase(), { id: c.api_user.toLowerCase(), product, providerCallbackHost: options.callbackHost, apiKey: c.api_key, keyGeneration: 1 })
    }
  }

  // ---- subscriptions, API users, tokens ----

  /** The product a subscription key belongs to, or null (APIM's 401). */
  productOfKey (key: string | undefined): MtnProduct | null {
    if (key === undefined) return null
    for (const product of ['collection', 'disbursement'] as const) if (sameSecret(key, this.subscriptionKeys[product])) return product
    return null
  }

  user (id: string): SimApiUser | undefined {
    return this.#users.get(id.toLowerCase())
  }

  createUser (id: string, product: MtnProduct, providerCallbackHost: string): boolean {
    if (this.#users.has(id.toLowerCase())) return false
    this.#users.set(id.toLowerCase(), { id: id.toLowerCase(), product, providerCallbackHost, apiKey: null, keyGeneration: 0 })
    return true
  }

  /** A new 32-hex API key; the user's earlier key and tokens stop working. */
  createApiKey (user: SimApiUser): string {
    user.apiKey = secretHex(16)
    user.keyGeneration++
    return user.apiKey
  }

  /** `Authorization: Basic base64(user:key)` for `product` → a token, or null for bad credentials. */
  mintToken (product: MtnProduct, authorization: string | undefined): { token: string, expiresIn: number } | null {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/.exec(authorization ?? '')
    if (m === null) return null
    const [userId = '', key = ''] = Buffer.from(m[1] ?? '', 'base64').toString('utf8').split(':')
    const user = this.user(userId)
    if (user === undefined || user.product !== product || user.apiKey === null || !sameSecret(key, user.apiKey)) return null
    const expiresIn = this.settings.tokenLifetimeSeconds
    const expiresAt = this.clock.now() + expiresIn * 1000
    const token = jwtLike({ clientId: user.id, expires: new Date(expiresAt).toISOString(), sessionId: secretHex(8) })
    this.#tokens.set(token, { userId: user.id, product, keyGeneration: user.keyGeneration, expiresAt })
    this.#issued.push(token)
    return { token, expiresIn }
  }

  /** The API user behind a `Bearer` token valid now for `product`, or null (401). */
  userOfToken (product: MtnProduct, authorization: string | undefined): SimApiUser | null {
    const m = /^Bearer\s+(\S+)$/.exec(authorization ?? '')
    const held = m === null ? undefined : this.#tokens.get(m[1] ?? '')
    if (held === undefined || held.product !== product || held.expiresAt <= this.clock.now()) return null
    const user = this.user(held.userId)
    return user !== undefined && user.keyGeneration === held.keyGeneration ? user : null
  }

  /** In-process only (never on the control API): the tokens issued so far, for tests proving redaction. */
  issuedTokens (): string[] {
    return [...this.#issued]
  }

  /** Every token issued so far stops working now (the control API's way to force a 401). */
  expireTokens (): number {
    const n = this.#tokens.size
    this.#tokens.clear()
    return n
  }

  /** MTN caps status reads per second; false when this read is over the cap. */
  allowStatusRead (userId: string): boolean {
    const limit = this.settings.statusRateLimit
    if (limit === null) return true
    const second = Math.floor(this.clock.now() / 1000)
    const seen = this.#reads.get(userId)
    const count = seen?.second === second ? seen.count + 1 : 1
    this.#reads.set(userId, { second, count })
    return count <= limit
  }

  // ---- requests to pay and transfers ----

  find (product: MtnProduct, referenceId: string): SimTransaction | undefined {
    return this.#transactions.get(`${product}:${referenceId.toLowerCase()}`)
  }

  /** The behaviour of a payer/payee: an operator's override, else the test-number table, else the default. */
  behaviourOf (partyId: string, product: MtnProduct = 'collection'): PartyBehaviour {
    const outcome = product === 'disbursement' ? this.settings.transferOutcome ?? this.settings.defaultOutcome : this.settings.defaultOutcome
    return this.#numbers.get(partyId) ?? SANDBOX_NUMBERS[partyId] ?? { label: 'default', outcome }
  }

  numbers (): Record<string, PartyBehaviour> {
    return { ...SANDBOX_NUMBERS, ...Object.fromEntries(this.#numbers) }
  }

  setNumber (partyId: string, behaviour: PartyBehaviour): void {
    this.#numbers.set(partyId, behaviour)
  }

  deleteNumber (partyId: string): boolean {
    return this.#numbers.delete(partyId)
  }

  /** Records an accepted request (202) and sets its payer's script running. */
  create (product: MtnProduct, referenceId: string, user: SimApiUser, body: MtnPaymentBody, callbackUrl: string | null, behaviour: PartyBehaviour): SimTransaction {
    const now = this.clock.now()
    const tx: SimTransaction = {
      product,
      referenceId: referenceId.toLowerCase(),
      apiUser: user.id,
      request: { ...body, amount: normaliseMtnAmount(body.amount) },
      amountMinor: parseAmount(body.amount) ?? 0,
      callbackUrl,
      status: 'PENDING',
      reason: null,
      financialTransactionId: null,
      behaviour,
      callback: { ...this.settings.callback, ...behaviour.callback },
      decidedBy: null,
      createdAt: now,
      updatedAt: now,
      callbacks: [],
      cancelTimers: []
    }
    this.#transactions.set(`${product}:${tx.referenceId}`, tx)
    if (behaviour.outcome === 'wait') {
      // Only a customer approving a prompt has a window; a transfer waits for the operator.
      if (product === 'collection') tx.cancelTimers.push(this.clock.at(now + this.settings.approvalWindowMs, () => { this.decide(tx, 'FAILED', this.settings.approvalTimeoutReason, 'window') }))
    } else {
      const after = behaviour.afterMs ?? this.settings.decisionDelayMs
      const status = behaviour.outcome === 'approve' ? 'SUCCESSFUL' : 'FAILED'
      tx.cancelTimers.push(this.clock.at(now + after, () => { this.decide(tx, status, behaviour.reason ?? 'INTERNAL_PROCESSING_ERROR', 'script') }))
    }
    return tx
  }

  /**
   * Moves a PENDING transaction to its final state, moves the money and sends the callback.
   * Returns false when it was already final (a decision is made once).
   */
  decide (tx: SimTransaction, status: 'SUCCESSFUL' | 'FAILED', reason: string, by: DecidedBy): boolean {
    if (tx.status !== 'PENDING') return false
    for (const cancel of tx.cancelTimers.splice(0)) cancel()
    if (status === 'SUCCESSFUL' && tx.product === 'disbursement' && this.balances.disbursement < tx.amountMinor) {
      status = 'FAILED'
      reason = 'NOT_ENOUGH_FUNDS'
    }
    tx.status = status
    tx.decidedBy = by
    tx.updatedAt = this.clock.now()
    if (status === 'SUCCESSFUL') {
      tx.financialTransactionId = String(randomInt(1_000_000_000, 9_999_999_999))
      this.balances[tx.product] += tx.product === 'collection' ? tx.amountMinor : -tx.amountMinor
    } else {
      tx.reason = reason
    }
    if (tx.callbackUrl !== null) {
      this.#callbacks.schedule({ url: tx.callbackUrl, behaviour: tx.callback, body: JSON.stringify(this.statusBody(tx)), record: (a) => { tx.callbacks.push(a) } })
    }
    return true
  }

  /** The body of a status read and of a callback, in MTN's field order. */
  statusBody (tx: SimTransaction): Record<string, unknown> {
    const r = tx.request
    const partyField = tx.product === 'collection' ? 'payer' : 'payee'
    return {
      ...(tx.financialTransactionId === null ? {} : { financialTransactionId: tx.financialTransactionId }),
      externalId: r.externalId,
      amount: r.amount,
      currency: r.currency,
      [partyField]: r.party,
      payerMessage: r.payerMessage,
      payeeNote: r.payeeNote,
      status: tx.status,
      ...(tx.reason === null ? {} : { reason: tx.reason })
    }
  }

  /** What the control API shows of a transaction. */
  view (tx: SimTransaction): Record<string, unknown> {
    const party: MtnParty = tx.request.party
    return {
      product: tx.product,
      referenceId: tx.referenceId,
      status: tx.status,
      reason: tx.reason,
      financialTransactionId: tx.financialTransactionId,
      amount: tx.request.amount,
      currency: tx.request.currency,
      externalId: tx.request.externalId,
      [tx.product === 'collection' ? 'payer' : 'payee']: party,
      payerMessage: tx.request.payerMessage,
      payeeNote: tx.request.payeeNote,
      callbackUrl: tx.callbackUrl,
      behaviour: tx.behaviour.label ?? tx.behaviour.outcome,
      decidedBy: tx.decidedBy,
      apiUser: tx.apiUser,
      createdAt: isoSeconds(tx.createdAt),
      updatedAt: isoSeconds(tx.updatedAt),
      callbacks: tx.callbacks
    }
  }

  list (product: MtnProduct, status?: MtnStatus): SimTransaction[] {
    return [...this.#transactions.values()].filter((t) => t.product === product && (status === undefined || t.status === status))
  }

  balance (product: MtnProduct): string {
    return normaliseMtnAmount(formatAmount(this.balances[product]))
  }

  // ---- what it received ----

  record (entry: Omit<ReceivedCall, 'seq' | 'at'>): void {
    this.#log.push({ seq: ++this.#seq, at: isoSeconds(this.clock.now()), ...entry })
    if (this.#log.length > LOG_LIMIT) this.#log = this.#log.slice(-LOG_LIMIT)
  }

  received (sinceSeq = 0): readonly ReceivedCall[] {
    return this.#log.filter((e) => e.seq > sinceSeq)
  }

  /** Forgets transactions, the log, faults and number overrides; users, keys and settings stay. */
  reset (): void {
    for (const tx of this.#transactions.values()) for (const cancel of tx.cancelTimers.splice(0)) cancel()
    this.#transactions.clear()
    this.#log = []
    this.#numbers.clear()
    this.faults.clear()
  }

  async close (): Promise<void> {
    this.clock.stop()
    await this.#callbacks.close()
  }
}
