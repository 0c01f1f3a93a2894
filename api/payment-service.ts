import { formatAmount, parseAmount } from '../core/money.js'
import { CUSTOMER_PHONE_RULE, needsUniqueAmount, normaliseNetworkPhone } from '../core/networks.js'
import { NUMBERING } from '../core/phone.js'
import { prepareCollection, startCollection, type PreparedCollection } from '../channels/collect.js'
import { ChannelCallError, type Channel, type ProviderLeg } from '../channels/channel.js'
import { holdingLegs, recordHeldLegs } from '../channels/legs.js'
import type { AuthContext } from '../ledger/api-keys.js'
import { ConflictError, InvalidFieldError, NotFoundError } from '../ledger/errors.js'
import type { Ledger, LedgerStores, LedgerTx } from '../ledger/ledger.js'
import type { Mode } from '../ledger/modes.js'
import type { PaymentRow } from '../ledger/payment-model.js'
import { nothingAttached, type CreditsAndRefunds } from '../ledger/payment-status.js'
import type { ReconcileOutcome } from '../ledger/credits.js'
import type { InitializeInput, UniqueAmountRule } from '../ledger/payments.js'
import { isValidCode, normaliseCode } from '../ledger/hpn-code.js'
import type { FieldProblem } from './envelope.js'
import { HttpError, validationFailed } from './http-errors.js'
import { payableCurrencies, type Wallets } from './payment-view.js'
import { AMOUNT_RULE } from './schemas.js'
import type { ChannelAccess } from './routes/channels.js'

/**
 * The one service layer under both route families: `/v1/payments` (SPEC §4) and `/v1/transactions`
 * (Harpoon's newer docs) name their fields differently and answer in different shapes, but a
 * payment is checked, created, found, cancelled and reconciled here, once. Route files translate
 * their body into these inputs and the result into their shape; nothing else.
 */
export interface PaymentServiceDeps {
  ledger: Ledger
  maxAmountMinor: number
  defaultExpiresIn: number
  wallets: Wallets
  /** The currencies of every network a modem can be on (see payableCurrencies). */
  networkCurrencies: readonly string[]
  /**
   * Judges a payment's own `webhook_url` as an endpoint URL is judged (webhooks/endpoints.ts
   * checkWebhookTarget, DNS included) and returns it normalised. Without it (an API built without
   * the webhooks layer) the field is refused.
   */
  checkWebhookUrl?: ((url: string, mode: Mode, field: string) => Promise<string>) | undefined
  /** The channels payments may be collected through (`channel` on initialize); absent: SMS only. */
  channels?: ChannelAccess | undefined
  /** How SMS payments in a currency without references get their unique amount (ledger/payments.ts); absent: DEFAULT_UNIQUE_AMOUNT. */
  uniqueAmount?: UniqueAmountRule | undefined
}

/** Config `matching.unique_amount` defaults: up to 50 whole units above, an amount held an hour after its payment closed. */
export const DEFAULT_UNIQUE_AMOUNT: UniqueAmountRule = { stepMinor: 100, maxOffsetMinor: 5_000, holdMs: 3_600_000 }

/** An initialize's fields, whichever family sent them; `names` says what each is called in its body. */
export interface InitializeFields {
  amount: unknown
  /** A channel id of the caller's merchant and mode; absent or `sms`: the SMS channel. */
  channel?: string | undefined
  /** How the customer pays on a channel with several ways (iPay: mpesa, airtel); absent: its first. */
  method?: string | undefined
  currency?: string | undefined
  clientReference?: string | undefined
  customerPhone?: string | undefined
  meta?: Record<string, unknown> | undefined
  expiresInSeconds?: number | undefined
  customerName?: string | undefined
  description?: string | undefined
  redirectUrl?: string | undefined
  webhookUrl?: string | undefined
}

export type FieldNames = Record<'amount' | 'channel' | 'currency' | 'customerPhone' | 'meta' | 'redirectUrl' | 'webhookUrl', string> & { method?: string }

/** The fields after every rule held: what `initialize` writes (the payment's, then its details). */
export interface CheckedInitialize extends InitializeInput {
  /** The request-to-pay channel that collects it; null: the SMS channel (the customer pays the HPN code). */
  collectVia: Channel | null
  /** The channel's way to pay (`method`), null without one. */
  method: string | null
  /** The provider session opened before the transaction (iPay's transact) and the calls that opened it; null when none. */
  prepared: { collection: PreparedCollection, legs: ProviderLeg[] } | null
  customerName: string | null
  description: string | null
  redirectUrl: string | null
  webhookUrl: string | null
}

export interface Initialized {
  payment: PaymentRow
  created: boolean
  /** The hosted checkout link's token, when one was asked for. */
  checkoutToken: string | null
  /** Its credits and refund flag for the view when known without a read (a payment just created has none); else undefined. */
  attached: CreditsAndRefunds | undefined
}

export type Lookup = 'any' | 'reference' | 'code' | 'client_reference'

const META_LIMIT = 4096

/** "a number of Uganda for mtn-ug: 0… or +256…", or any international number for a channel of no country. */
function phoneRule (channel: Channel): string {
  if (channel.country === null) return `must be an international number (+ and 6 to 15 digits) for ${channel.id}`
  const n = NUMBERING[channel.country]
  return `must be a number of ${n?.name ?? channel.country} for ${channel.id}: ${n?.trunkZero === true ? '0… or ' : ''}+${n?.callingCode ?? ''}…`
}

/** Raised for what a publishable key may never do: 403 `invalid_key_type`. */
export function publishableRefused (message: string, field?: string): HttpError {
  return new HttpError(403, 'invalid_key_type', message, field === undefined ? [] : [{ field, message }])
}

/**
 * A redirect target for the customer's browser: absolute http(s), no credentials (they would be
 * shown in the address bar and sent to the merchant's logs). Null when it is not one.
 */
function redirectTarget (raw: string): string | null {
  let url: URL
  try { url = new URL(raw) } catch { return null }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') return null
  return url.href
}

export class PaymentService {
  readonly #d: PaymentServiceDeps
  constructor (deps: PaymentServiceDeps) { this.#d = deps }

  get ledger (): Ledger { return this.#d.ledger }

  /**
   * Every business rule of an initialize beyond its schema: amount, phone, payable currency, meta
   * size, redirect and webhook targets. Adds to `problems` (the schema's, so every bad field is
   * reported in one 422) and throws when there are any. Runs before the transaction: checking a
   * webhook URL resolves DNS.
   */
  async checkInitialize (auth: AuthContext, f: InitializeFields, names: FieldNames, problems: FieldProblem[]): Promise<CheckedInitialize> {
    const bad = new Set(problems.map((p) => p.field))
    const add = (field: string, message: string): void => { if (!bad.has(field)) { bad.add(field); problems.push({ field, message }) } }

    if (f.webhookUrl !== undefined && auth.type === 'publishable') {
      throw publishableRefused('a publishable key cannot set webhook_url: it would let any page holding the key send this payment\'s events anywhere', names.webhookUrl)
    }
    const amountMinor = parseAmount(f.amount)
    if (!bad.has(names.amount)) {
      if (amountMinor === null) add(names.amount, AMOUNT_RULE)
      else if (amountMinor <= 0) add(names.amount, 'must be greater than 0')
      else if (amountMinor > this.#d.maxAmountMinor) add(names.amount, `must be at most ${formatAmount(this.#d.maxAmountMinor)}`)
    }
    let channel: Channel | null = null
    if (f.channel !== undefined && f.channel !== 'sms' && !bad.has(names.channel)) {
      const registry = this.#d.channels?.registry
      channel = registry?.find(auth, f.channel) ?? null
      if (channel === null) {
        const known = registry?.forOwner(auth).map((c) => c.id) ?? []
        add(names.channel, `is not a channel of this merchant in ${auth.mode} mode (${known.length === 0 ? 'it has none; "sms" is always there' : `it has ${known.join(', ')}, and "sms"`})`)
      }
    }
    let method: string | null = null
    const methodField = names.method ?? 'method'
    if (f.method !== undefined && !bad.has(methodField)) {
      if (channel === null || channel.methods.length === 0) add(methodField, channel === null ? 'needs a channel that offers ways to pay (an iPay channel)' : `is not taken by ${channel.id}: it has one way to pay`)
      else if (!channel.methods.includes(f.method)) add(methodField, `must be ${channel.methods.map((m) => JSON.stringify(m)).join(' or ')} for ${channel.id}`)
      else method = f.method
    }
    if (channel !== null && method === null && channel.methods.length > 0) method = channel.methods[0] ?? null
    let customerPhone: string | null = null
    if (channel !== null && f.customerPhone === undefined && !bad.has(names.customerPhone)) add(names.customerPhone, 'is required with a channel: it is the number the provider prompts')
    if (f.customerPhone !== undefined && !bad.has(names.customerPhone)) {
      customerPhone = channel === null ? normaliseNetworkPhone(f.customerPhone) : channel.displayPhone(f.customerPhone)
      if (customerPhone === null) add(names.customerPhone, channel === null ? CUSTOMER_PHONE_RULE : phoneRule(channel))
    }
    const currency = f.currency ?? channel?.currency ?? 'GHS'
    if (!bad.has(names.currency)) {
      if (channel !== null) {
        if (currency !== channel.currency) add(names.currency, `must be ${channel.currency}: the only currency ${channel.id} collects`)
      } else {
        const payable = payableCurrencies(this.#d.wallets, this.#d.networkCurrencies, auth)
        if (!payable.has(currency)) add(names.currency, `cannot be paid to this merchant's wallets, which take ${[...payable].join(', ')}`)
      }
    }
    // Paid by SMS to a wallet whose receipts carry no reference: told apart by a unique whole amount.
    const uniqueAmount = channel === null && needsUniqueAmount(currency) ? (this.#d.uniqueAmount ?? DEFAULT_UNIQUE_AMOUNT) : null
    if (uniqueAmount !== null && amountMinor !== null && amountMinor % uniqueAmount.stepMinor !== 0 && !bad.has(names.amount)) {
      add(names.amount, `must be a whole number of ${currency}: its wallets' receipts carry no reference, so the payment is told apart by a whole amount`)
    }
    if (f.meta !== undefined && !bad.has(names.meta) && Buffer.byteLength(JSON.stringify(f.meta)) > META_LIMIT) {
      add(names.meta, 'must be at most 4 KiB of JSON')
    }
    let redirectUrl: string | null = null
    if (f.redirectUrl !== undefined && !bad.has(names.redirectUrl)) {
      redirectUrl = redirectTarget(f.redirectUrl)
      if (redirectUrl === null) add(names.redirectUrl, 'must be an absolute http:// or https:// URL without credentials')
    }
    let webhookUrl: string | null = null
    if (f.webhookUrl !== undefined && !bad.has(names.webhookUrl)) {
      webhookUrl = await this.#webhookUrl(auth, f.webhookUrl, names.webhookUrl, add)
    }
    if (problems.length > 0) throw validationFailed(problems)
    const prepared = channel === null ? null : await this.#prepare(channel, { amountMinor: amountMinor as number, currency, customerPhone: customerPhone as string, method, externalId: f.clientReference ?? '', description: f.description ?? '' })
    return {
      collectVia: channel,
      method,
      prepared,
      amountMinor: amountMinor as number,
      currency,
      clientReference: f.clientReference ?? null,
      customerPhone,
      meta: f.meta ?? null,
      expiresInSeconds: f.expiresInSeconds ?? this.#d.defaultExpiresIn,
      uniqueAmount,
      customerName: f.customerName ?? null,
      description: f.description ?? null,
      redirectUrl,
      webhookUrl
    }
  }

  /**
   * Creates the payment with its details (or returns the PENDING one that already has this
   * `client_reference`, SPEC §4 "idempotent by default"), and a checkout token when asked. Inside
   * the caller's transaction; ledger work only.
   */
  async initialize (tx: LedgerTx, auth: AuthContext, c: CheckedInitialize, options: { checkout: boolean }): Promise<Initialized> {
    if (auth.type === 'publishable' && c.clientReference !== null) {
      // A browser key must not be able to fetch, or even learn of, a payment another key made by
      // guessing its client_reference.
      const existing = await tx.payments.findByClientReference(auth, c.clientReference)
      if (existing?.status === 'PENDING' && (await tx.paymentDetails.of(existing.id))?.createdByKey !== auth.keyId) {
        throw new ConflictError('duplicate_client_reference', 'a PENDING payment already has this client_reference')
      }
    }
    const { collectVia, method, prepared, ...input } = c
    const channels = this.#d.channels
    const { payment, created } = collectVia === null || channels === undefined
      ? await tx.payments.initialize(auth, input)
      : await startCollection(tx, collectVia, auth, { ...input, customerPhone: input.customerPhone as string, method, prepared: prepared?.collection }, channels.wake)
    // The session's calls belong to the payment they opened; another's (client_reference found PENDING) to none.
    if (prepared !== null && collectVia !== null) await recordHeldLegs(tx.audit, collectVia.id, created ? payment.id : null, prepared.legs)
    if (created) {
      await tx.paymentDetails.record(payment.id, {
        customerName: c.customerName, description: c.description, redirectUrl: c.redirectUrl, webhookUrl: c.webhookUrl, createdByKey: auth.keyId
      })
    }
    const checkoutToken = options.checkout ? await tx.checkoutTokens.issue(payment.id) : null
    return { payment, created, checkoutToken, attached: created ? nothingAttached() : undefined }
  }

  /**
   * A payment of the caller by one identifier (`any`: reference, then HPN code, then
   * client_reference). A publishable key finds only payments it made, and only by reference; any
   * other answer is 404, as for another merchant's payment.
   */
  async get (stores: Pick<LedgerStores, 'payments' | 'paymentDetails'>, auth: AuthContext, id: string, by: Lookup = 'any'): Promise<PaymentRow> {
    if (auth.type === 'publishable') {
      if (by !== 'any' && by !== 'reference') throw publishableRefused('a publishable key reads payments by reference only')
      const row = id.startsWith('hpn_trx_') ? await stores.payments.findByReference(auth, id) : undefined
      if (row === undefined || (await stores.paymentDetails.of(row.id))?.createdByKey !== auth.keyId) throw new NotFoundError('payment')
      return row
    }
    let row: PaymentRow | undefined
    switch (by) {
      case 'any': row = await stores.payments.find(auth, id); break
      case 'reference': row = await stores.payments.findByReference(auth, id); break
      case 'code': {
        // Any spelling a person types ("hk mvr2", O for 0), as SPEC §4 reads a code.
        const code = normaliseCode(id)
        row = code !== null && isValidCode(code) ? await stores.payments.findByCode(auth, code) : undefined
        break
      }
      case 'client_reference': row = await stores.payments.findByClientReference(auth, id); break
    }
    if (row === undefined) throw new NotFoundError('payment')
    return row
  }

  /**
   * `get` by any id, with the payment's credits and refund flag read in the same statement when the
   * caller may read by any id (a secret key): what a read that shows the payment needs, in one read.
   */
  async getWithCredits (stores: Pick<LedgerStores, 'payments' | 'paymentDetails'>, auth: AuthContext, id: string): Promise<{ row: PaymentRow, attached?: CreditsAndRefunds }> {
    if (auth.type === 'publishable') return { row: await this.get(stores, auth, id) }
    const found = await stores.payments.findWithCredits(auth, id)
    if (found === undefined) throw new NotFoundError('payment')
    return found
  }

  /** PENDING → CANCELLED (409 `invalid_status` otherwise), with the caller's reason as its note. Inside the caller's transaction. */
  async cancel (tx: LedgerTx, auth: AuthContext, id: string, by: Lookup = 'any', reason: string | null = null): Promise<PaymentRow> {
    const row = await this.get(tx, auth, id, by)
    return await tx.payments.cancel(auth, row.reference, reason)
  }

  /** SPEC §4 reconcile: the customer's telco transaction id. Inside the caller's transaction. */
  async reconcile (tx: LedgerTx, auth: AuthContext, id: string, input: { telcoTransactionId: string, amountMinor: number | null, note: string | null }, by: Lookup = 'any'): Promise<{ outcome: ReconcileOutcome, before: PaymentRow, payment: PaymentRow }> {
    const before = await this.get(tx, auth, id, by)
    const { outcome, payment } = await tx.credits.reconcile(auth, before, input.telcoTransactionId, input.amountMinor, input.note)
    return { outcome, before, payment }
  }

  /** Opens the channel's provider session, when it has one, before the payment's transaction (channels/collect.ts prepareCollection). */
  async #prepare (channel: Channel, input: Parameters<typeof prepareCollection>[1]): Promise<CheckedInitialize['prepared']> {
    if (channel.openSession === undefined) return null
    try {
      const { result, legs } = await holdingLegs(async () => await prepareCollection(channel, input))
      return result === null ? null : { collection: result, legs }
    } catch (err) {
      if (!(err instanceof ChannelCallError)) throw err
      throw new HttpError(502, 'channel_unavailable', `${channel.id} could not open the payment at its provider: ${err.message}`)
    }
  }

  async #webhookUrl (auth: AuthContext, raw: string, field: string, add: (field: string, message: string) => void): Promise<string | null> {
    if (this.#d.checkWebhookUrl === undefined) { add(field, 'cannot be used: this daemon runs without webhooks'); return null }
    if (await this.#d.ledger.webhookEndpoints.signer(auth) === undefined) {
      add(field, 'needs an active webhook endpoint of this mode first (POST /v1/webhooks): its secret is what signs the deliveries to this URL')
      return null
    }
    try {
      return await this.#d.checkWebhookUrl(raw, auth.mode, field)
    } catch (err) {
      if (!(err instanceof InvalidFieldError)) throw err
      add(field, err.details[0]?.message ?? err.message)
      return null
    }
  }
}

/** A reconcile's optional amount: null when absent, 422 naming `field` when it is not a positive amount. */
export function reconcileAmount (amount: unknown, field = 'amount'): number | null {
  if (amount === undefined) return null
  const minor = parseAmount(amount)
  if (minor === null || minor <= 0) throw validationFailed([{ field, message: 'must be a positive amount with at most 2 decimals' }])
  return minor
}
