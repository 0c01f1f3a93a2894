import { CLOSED_STATUSES, PAYABLE_STATUSES, type CreditStatus, type MatchMethod, type Mode, type PaymentStatus } from '../core/enums.js'
import { formatAmount } from '../core/money.js'
import { randomHex } from '../core/ids.js'
import { NETWORK_INFO, isNetwork } from '../core/networks.js'
import { isoSeconds } from '../core/time.js'
import { findCodeCandidates, nearbyValidCodes } from './hpn-code.js'
import { ConflictError } from './errors.js'
import type { Owner } from './modes.js'
import { pageOf } from './page.js'
import { PAYMENT_COLUMNS, amountDue, statusForAmount, type PaymentRow } from './payment-model.js'
import { columns } from './columns.js'
import type { LedgerScope } from './scope.js'
import { literal, sql } from './sql.js'

/** A trusted telco credit, as the ingest step hands it over (amounts in minor units). */
export interface CreditInput {
  merchantId: string
  mode: Mode
  network: string
  telcoTransactionId: string
  amountMinor: number
  currency: string
  payerPhone: string | null
  payerName: string | null
  /** The payer's own note, when the message format has one. */
  reference: string | null
  /** The whole message text: searched for a code only when the format has no note. */
  text: string
  balanceMinor: number | null
  feeMinor: number | null
  receivedAt: number
  smsId: number | null
  riskFlags: readonly string[]
  /** Send to MANUAL_REVIEW instead of settling (a broken balance chain, when configured). */
  holdForReview: boolean
}

/** Money a channel's provider confirmed (MTN's status answer), for a payment it was collected for. */
export interface ProviderCreditInput {
  /** The telco whose wallet the money moved on (`mtn`): the same id space as its SMS receipts. */
  network: string
  /** The provider's own transaction id (MTN's financialTransactionId). */
  telcoTransactionId: string
  amountMinor: number
  currency: string
  payerPhone: string | null
  /** The payer's name as the provider registered it (iPay); null when it gave none. */
  payerName?: string | null | undefined
  /** The provider reference of the collection. */
  reference: string
  receivedAt: number
  /** The provider's amount or currency differs from what was asked (or it flags the money): the money goes to review. */
  holdForReview: boolean
  /** Why, when the provider said (default: `provider_amount_differs` when held). */
  riskFlags?: readonly string[] | undefined
}

export type { CreditStatus } from '../core/enums.js'

export interface CreditRow {
  id: number
  public_id: string
  merchant_id: string
  mode: Mode
  network: string
  telco_transaction_id: string
  amount_minor: number
  currency: string
  payer_phone: string | null
  payer_name: string | null
  reference: string | null
  balance_minor: number | null
  fee_minor: number | null
  risk_flags: string
  status: CreditStatus
  payment_id: number | null
  match_method: MatchMethod | null
  received_at: number
  applied_at: number | null
  sms_id: number | null
  duplicate_of: number | null
  note: string | null
}

const CREDIT_COLUMNS = columns<CreditRow>()(['id', 'public_id', 'merchant_id', 'mode', 'network', 'telco_transaction_id', 'amount_minor', 'currency',
  'payer_phone', 'payer_name', 'reference', 'balance_minor', 'fee_minor', 'risk_flags', 'status', 'payment_id', 'match_method', 'received_at',
  'applied_at', 'sms_id', 'duplicate_of', 'note'])

export type MatchOutcome =
  | { kind: 'duplicate', credit: CreditRow }
  | { kind: 'applied', credit: CreditRow, payment: PaymentRow, method: MatchMethod }
  | { kind: 'unmatched', credit: CreditRow }

export type ReconcileOutcome = 'VERIFIED' | 'ALREADY_CONFIRMED' | 'NOT_FOUND' | 'AMOUNT_MISMATCH'

/** A trusted telco message saying it took back an earlier incoming transaction (parsers/reversal.ts). */
export interface ReversalInput {
  merchantId: string
  mode: Mode
  network: string
  /** The transaction taken back: a credit's `telco_transaction_id`. */
  telcoTransactionId: string
  /** The reversal's own code, when the message has one. */
  reversalTransactionId: string | null
  smsId: number | null
  receivedAt: number
}

export type ReversalOutcome =
  /** The same reversal was recorded before (a resent message): nothing more happens. */
  | { kind: 'repeated' }
  /** No credit of that transaction yet: kept, so the credit, when it comes, pays nothing. */
  | { kind: 'awaiting_credit' }
  /** The credit is flagged `reversed`; its payment, if it had one, is in MANUAL_REVIEW. */
  | { kind: 'reversed', credit: CreditRow, payment: PaymentRow | null }

/** The risk flag of a credit whose money the telco took back. */
export const REVERSED_FLAG = 'reversed'


const MATCHED = literal('matched' satisfies CreditStatus)
const UNMATCHED = literal('unmatched' satisfies CreditStatus)
const DUPLICATE = literal('duplicate' satisfies CreditStatus)
const PENDING = literal('PENDING' satisfies PaymentStatus)
const PAYABLE = literal(PAYABLE_STATUSES)
const OPEN_OR_EXPIRED = literal(['PENDING', 'EXPIRED'] as const satisfies readonly PaymentStatus[])

/** Whether the telco took this credit's money back. */
export function isReversed (credit: CreditRow): boolean {
  return (JSON.parse(credit.risk_flags) as string[]).includes(REVERSED_FLAG)
}

/**
 * Whether the payer's name on a receipt fits the customer's name given at initialize: true when
 * either is unknown, or when they share a word (M-PESA shows two names since March 2026, the
 * merchant may know three, in any order and case).
 */
export function namesAgree (payer: string | null, customer: string | null): boolean {
  const words = (name: string): string[] => name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toUpperCase().split(/[^A-Z]+/).filter((w) => w.length >= 2)
  if (payer === null || customer === null) return true
  const mine = new Set(words(customer))
  const theirs = words(payer)
  if (mine.size === 0 || theirs.length === 0) return true
  return theirs.some((w) => mine.has(w))
}

/** A credit as webhooks (`credit.unmatched`) carry it. */
export function creditData (c: CreditRow): Record<string, unknown> {
  return {
    id: c.public_id,
    amount: formatAmount(c.amount_minor),
    currency: c.currency,
    payer_phone: c.payer_phone,
    payer_name: c.payer_name,
    reference: c.reference,
    telco_provider: c.network,
    telco_transaction_id: c.telco_transaction_id,
    received_at: isoSeconds(c.received_at)
  }
}

export interface CreditListQuery {
  status?: CreditStatus | undefined
  limit: number
  /** Only credits with a smaller id (the page cursor). */
  before?: number | undefined
}

/**
 * Credits and the matching rules of SPEC §6. The changing methods run inside a transaction (the
 * ingest step's, or an API call's) and change payments only through the status-change store, so
 * the webhook outbox row commits with the money.
 */
export interface CreditStore {
  get: (owner: Owner, publicId: string) => Promise<CreditRow | undefined>
  getById: (id: number) => Promise<CreditRow | undefined>
  list: (owner: Owner, query: CreditListQuery) => Promise<{ items: CreditRow[], hasMore: boolean }>
  /** Records a trusted credit and applies SPEC §6 matching. Inside the ingest transaction. */
  record: (input: CreditInput) => Promise<MatchOutcome>
  /**
   * Money a channel's provider confirmed for `payment`: recorded as a credit (a telco transaction
   * counts once, whether the provider's answer or the wallet's SMS told of it first) and applied with
   * `match_method` `channel`. Inside a transaction.
   */
  recordFromProvider: (payment: PaymentRow, input: ProviderCreditInput) => Promise<MatchOutcome>
  /** An operator applies an unmatched credit to a payment (SPEC §4 assign). Inside a transaction. */
  assign: (credit: CreditRow, payment: PaymentRow, note?: string | null) => Promise<PaymentRow>
  /**
   * The customer's own telco transaction id for a payment (SPEC §4 reconcile). A credit already
   * applied anywhere is never applied again. Inside a transaction.
   */
  reconcile: (owner: Owner, payment: PaymentRow, telcoTransactionId: string, amountMinor: number | null, note: string | null) => Promise<{ outcome: ReconcileOutcome, payment: PaymentRow }>
  paymentOf: (credit: CreditRow) => Promise<PaymentRow | undefined>
  /**
   * The telco took an incoming transaction back (SPEC §6 is silent; README "Reversals"): its credit is
   * flagged `reversed` and never counts for an order again, and the payment it paid goes to
   * MANUAL_REVIEW (`transaction.disputed`), since the merchant may ship for money that is gone.
   * Inside the ingest transaction.
   */
  reverse: (input: ReversalInput) => Promise<ReversalOutcome>
  /** The payment the newest counted credit with this telco transaction id went to (operator lookup). */
  paymentIdOfTelcoTransaction: (owner: Owner, telcoTransactionId: string) => Promise<number | undefined>
}

export class SqlCreditStore implements CreditStore {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async get (owner: Owner, publicId: string): Promise<CreditRow | undefined> {
    return await this.#s.ex.get<CreditRow>(sql`SELECT ${CREDIT_COLUMNS} FROM credits WHERE public_id = ${publicId} AND merchant_id = ${owner.merchantId} AND mode = ${owner.mode}`)
  }

  async getById (id: number): Promise<CreditRow | undefined> {
    return await this.#s.ex.get<CreditRow>(sql`SELECT ${CREDIT_COLUMNS} FROM credits WHERE id = ${id}`)
  }

  async list (owner: Owner, query: CreditListQuery): Promise<{ items: CreditRow[], hasMore: boolean }> {
    const before = query.before ?? Number.MAX_SAFE_INTEGER
    const limit = query.limit + 1
    const rows = query.status === undefined
      ? await this.#s.ex.all<CreditRow>(sql`SELECT ${CREDIT_COLUMNS} FROM credits WHERE merchant_id = ${owner.merchantId} AND mode = ${owner.mode} AND id < ${before}
          ORDER BY id DESC LIMIT ${limit}`)
      : await this.#s.ex.all<CreditRow>(sql`SELECT ${CREDIT_COLUMNS} FROM credits WHERE merchant_id = ${owner.merchantId} AND mode = ${owner.mode} AND status = ${query.status}
          AND id < ${before} ORDER BY id DESC LIMIT ${limit}`)
    return pageOf(rows, query.limit)
  }

  async record (input: CreditInput): Promise<MatchOutcome> {
    this.#s.inTransaction('recording a credit')
    const { credit, duplicate, flags } = await this.#insert(input)
    // Rule 1: a telco transaction counts once (per mode), whatever SMS carries it.
    if (duplicate) return { kind: 'duplicate', credit }
    // Its reversal came first: the money was gone before it could pay anything, so it pays nothing
    // and nobody is told of money to claim; GET /v1/credits shows it, flagged.
    const reversed = await this.#markReversed(credit)
    if (reversed !== null) return { kind: 'unmatched', credit: reversed }

    const found = await this.#findPayment(input)
    if (found === null || 'ambiguous' in found) {
      if (found !== null) await this.#addRiskFlag(credit.id, flags, found.ambiguous)
      await this.#s.events.append({ merchantId: input.merchantId, mode: input.mode, type: 'credit.unmatched', paymentId: null, creditId: credit.id, data: creditData(credit) })
      return { kind: 'unmatched', credit: await this.getById(credit.id) as CreditRow }
    }
    // An amount says nothing about who paid: where both names are known they must agree, else review.
    let holdForReview = input.holdForReview
    if (found.method === 'unique_amount' && !namesAgree(input.payerName, (await this.#s.paymentDetails.of(found.payment.id))?.customerName ?? null)) {
      await this.#addRiskFlag(credit.id, flags, 'payer_name_mismatch')
      holdForReview = true
    }
    const payment = await this.#applyTo(found.payment, credit, found.method, { holdForReview })
    return { kind: 'applied', credit: await this.getById(credit.id) as CreditRow, payment, method: found.method }
  }

  async recordFromProvider (payment: PaymentRow, input: ProviderCreditInput): Promise<MatchOutcome> {
    this.#s.inTransaction('recording a provider credit')
    const { credit, duplicate } = await this.#insert({
      merchantId: payment.merchant_id, mode: payment.mode, network: input.network, telcoTransactionId: input.telcoTransactionId,
      amountMinor: input.amountMinor, currency: input.currency, payerPhone: input.payerPhone, payerName: input.payerName ?? null, reference: input.reference,
      balanceMinor: null, feeMinor: null, receivedAt: input.receivedAt, smsId: null, riskFlags: input.riskFlags ?? (input.holdForReview ? ['provider_amount_differs'] : [])
    })
    if (duplicate) return { kind: 'duplicate', credit }
    const after = await this.#applyTo(payment, credit, 'channel', { holdForReview: input.holdForReview })
    return { kind: 'applied', credit: await this.getById(credit.id) as CreditRow, payment: after, method: 'channel' }
  }

  async assign (credit: CreditRow, payment: PaymentRow, note: string | null = null): Promise<PaymentRow> {
    this.#s.inTransaction('assigning a credit')
    if (isReversed(credit)) throw new ConflictError('credit_reversed', `the telco reversed ${credit.network} transaction ${credit.telco_transaction_id}: its money can pay no payment`)
    return await this.#applyTo(payment, credit, 'assigned', { note })
  }

  async reconcile (owner: Owner, payment: PaymentRow, telcoTransactionId: string, amountMinor: number | null, note: string | null): Promise<{ outcome: ReconcileOutcome, payment: PaymentRow }> {
    this.#s.inTransaction('reconciling a payment')
    const found = await this.#s.ex.all<CreditRow>(sql`SELECT ${CREDIT_COLUMNS} FROM credits
      WHERE telco_transaction_id = ${telcoTransactionId.trim()} AND merchant_id = ${owner.merchantId} AND mode = ${owner.mode} AND status <> ${DUPLICATE}
      ORDER BY id LIMIT 2`)
    const credit = found[0]
    // A reversed credit is money the telco took back: there is nothing to count.
    if (credit === undefined || found.length > 1 || isReversed(credit)) return { outcome: 'NOT_FOUND', payment }
    if (credit.status === 'matched') return { outcome: 'ALREADY_CONFIRMED', payment }
    if (amountMinor !== null && amountMinor !== credit.amount_minor) return { outcome: 'AMOUNT_MISMATCH', payment }
    return { outcome: 'VERIFIED', payment: await this.#applyTo(payment, credit, 'reconciled', { note }) }
  }

  async paymentOf (credit: CreditRow): Promise<PaymentRow | undefined> {
    return credit.payment_id === null ? undefined : await this.#s.payments.getById(credit.payment_id)
  }

  async reverse (input: ReversalInput): Promise<ReversalOutcome> {
    this.#s.inTransaction('recording a reversal')
    const ex = this.#s.ex
    const id = input.telcoTransactionId
    const recorded = await ex.value<number>(sql`INSERT INTO credit_reversals (merchant_id, mode, network, telco_transaction_id, reversal_transaction_id, sms_id, received_at)
      VALUES (${input.merchantId}, ${input.mode}, ${input.network}, ${id}, ${input.reversalTransactionId}, ${input.smsId}, ${input.receivedAt})
      ON CONFLICT (mode, network, telco_transaction_id) DO NOTHING RETURNING id`)
    if (recorded === undefined) return { kind: 'repeated' }
    // Only this merchant's own wallet can have received the money its SIM now sees taken back.
    const credit = await ex.get<CreditRow>(sql`SELECT ${CREDIT_COLUMNS} FROM credits
      WHERE mode = ${input.mode} AND network = ${input.network} AND telco_transaction_id = ${id} AND merchant_id = ${input.merchantId} AND status <> ${DUPLICATE}`)
    const after = credit === undefined ? null : await this.#markReversed(credit)
    if (after === null) return { kind: 'awaiting_credit' }
    const payment = await this.paymentOf(after)
    if (payment === undefined) return { kind: 'reversed', credit: after, payment: null }
    // Already in review: the status stays, but the merchant still hears that more went wrong.
    const changed = await this.#s.paymentStatus.change(payment, { status: 'MANUAL_REVIEW', event: 'transaction.disputed' })
    return { kind: 'reversed', credit: after, payment: changed }
  }

  async paymentIdOfTelcoTransaction (owner: Owner, telcoTransactionId: string): Promise<number | undefined> {
    return await this.#s.ex.value<number>(sql`SELECT payment_id FROM credits
      WHERE merchant_id = ${owner.merchantId} AND mode = ${owner.mode} AND telco_transaction_id = ${telcoTransactionId}
        AND payment_id IS NOT NULL AND status <> ${DUPLICATE}
      ORDER BY id DESC LIMIT 1`)
  }

  /**
   * Ties a recorded reversal of this credit's transaction to it and flags the credit `reversed`: the
   * credit as it is now, or null when no reversal of it waits (or one is tied already). Both ways a
   * reversal meets its credit (the notice first, or the credit first) go through here.
   */
  async #markReversed (credit: CreditRow): Promise<CreditRow | null> {
    const { changes } = await this.#s.ex.run(sql`UPDATE credit_reversals SET credit_id = ${credit.id}
      WHERE mode = ${credit.mode} AND network = ${credit.network} AND telco_transaction_id = ${credit.telco_transaction_id}
        AND merchant_id = ${credit.merchant_id} AND credit_id IS NULL`)
    if (changes !== 1) return null
    await this.#addRiskFlag(credit.id, JSON.parse(credit.risk_flags) as string[], REVERSED_FLAG)
    return await this.getById(credit.id) as CreditRow
  }

  /** Adds one risk flag to a credit whose flags are `flags`. */
  async #addRiskFlag (creditId: number, flags: readonly string[], flag: string): Promise<void> {
    await this.#s.ex.run(sql`UPDATE credits SET risk_flags = ${JSON.stringify([...flags, flag])} WHERE id = ${creditId}`)
  }

  /**
   * Writes a credit: `duplicate` (pointing at the first) when its telco transaction was seen before in its
   * mode. The first credit claims the transaction id through the unique index credits_telco_id, so two
   * nodes (or an SMS and a provider's answer) that see the same transaction at once cannot both count it:
   * the second finds the first and is a duplicate.
   */
  async #insert (input: Omit<CreditInput, 'text' | 'holdForReview'>): Promise<{ credit: CreditRow, duplicate: boolean, flags: readonly string[] }> {
    const ex = this.#s.ex
    const insert = async (status: CreditStatus, flags: readonly string[], duplicateOf: number | null): Promise<CreditRow | undefined> => await ex.get<CreditRow>(sql`
      INSERT INTO credits (public_id, merchant_id, mode, network, telco_transaction_id, amount_minor, currency,
        payer_phone, payer_name, reference, balance_minor, fee_minor, risk_flags, status, received_at, sms_id, duplicate_of)
      VALUES (${`crd_${randomHex(12)}`}, ${input.merchantId}, ${input.mode}, ${input.network}, ${input.telcoTransactionId}, ${input.amountMinor}, ${input.currency},
        ${input.payerPhone}, ${input.payerName}, ${input.reference}, ${input.balanceMinor}, ${input.feeMinor}, ${JSON.stringify(flags)}, ${status},
        ${input.receivedAt}, ${input.smsId}, ${duplicateOf})
      ON CONFLICT (mode, network, telco_transaction_id) WHERE status <> ${DUPLICATE} DO NOTHING
      RETURNING ${CREDIT_COLUMNS}`)
    const credit = await insert('unmatched', input.riskFlags, null)
    if (credit !== undefined) return { credit, duplicate: false, flags: input.riskFlags }
    const first = await ex.get<CreditRow>(sql`SELECT ${CREDIT_COLUMNS} FROM credits
      WHERE mode = ${input.mode} AND network = ${input.network} AND telco_transaction_id = ${input.telcoTransactionId} AND status <> ${DUPLICATE}`) as CreditRow
    const flags = first.amount_minor !== input.amountMinor ? [...input.riskFlags, 'duplicate_amount_differs'] : input.riskFlags
    return { credit: await insert('duplicate', flags, first.id) as CreditRow, duplicate: true, flags }
  }

  /**
   * Adds a credit to a payment: `actual_amount` becomes the sum of its credits and the status
   * follows SPEC §6 rules 2 and 3.
   */
  async #applyTo (payment: PaymentRow, credit: CreditRow, method: MatchMethod, options: { holdForReview?: boolean, note?: string | null } = {}): Promise<PaymentRow> {
    const ex = this.#s.ex
    const { changes } = await ex.run(sql`UPDATE credits SET status = ${MATCHED}, payment_id = ${payment.id}, match_method = ${method}, applied_at = ${this.#s.now()},
        note = COALESCE(${options.note ?? null}, note)
      WHERE id = ${credit.id} AND status = ${UNMATCHED}`)
    if (changes !== 1) throw new Error(`credit ${credit.public_id} is not unmatched`)
    const actual = await ex.value<number>(sql`SELECT COALESCE(SUM(amount_minor), 0) FROM credits WHERE payment_id = ${payment.id} AND status = ${MATCHED}`) ?? 0
    let status: PaymentStatus
    if (payment.currency !== credit.currency || CLOSED_STATUSES.includes(payment.status) || payment.status === 'MANUAL_REVIEW' || options.holdForReview === true) {
      status = 'MANUAL_REVIEW'
    } else if (payment.status === 'SUCCESS' || payment.status === 'OVERPAID') {
      status = 'OVERPAID'
    } else {
      status = statusForAmount(amountDue(payment), actual)
    }
    return await this.#s.paymentStatus.change(payment, {
      status,
      actualMinor: actual,
      payerPhone: credit.payer_phone ?? payment.payer_phone,
      telcoProvider: credit.network,
      telcoTransactionId: credit.telco_transaction_id
    })
  }

  /**
   * SPEC §6 rules 2–4: which payment, if any, this credit pays, and how it was found. A network
   * whose receipts carry no payer's note (M-PESA) is matched by unique amount instead of code.
   */
  async #findPayment (input: CreditInput): Promise<{ payment: PaymentRow, method: MatchMethod } | { ambiguous: 'ambiguous_code' | 'ambiguous_amount' } | null> {
    const ex = this.#s.ex
    if (isNetwork(input.network) && !NETWORK_INFO[input.network].hasReference) return await this.#findByAmount(input)
    const scope = input.reference ?? input.text
    const { valid, invalid } = findCodeCandidates(scope)
    const byCode = new Map<number, PaymentRow>()
    for (const code of valid) {
      const p = await this.#s.payments.findByCode(input, code)
      if (p !== undefined) byCode.set(p.id, p)
    }
    // Two different payments named in one note: an operator decides, never a guess.
    if (byCode.size > 1) return { ambiguous: 'ambiguous_code' }
    const exact = [...byCode.values()][0]
    if (exact !== undefined) return { payment: exact, method: 'code' }

    const near = new Map<number, PaymentRow>()
    for (const typed of invalid) {
      for (const code of nearbyValidCodes(typed)) {
        const payable = await ex.all<PaymentRow>(sql`SELECT ${PAYMENT_COLUMNS} FROM payments
          WHERE hpn_code = ${code} AND merchant_id = ${input.merchantId} AND mode = ${input.mode} AND status IN ${PAYABLE}`)
        for (const p of payable) near.set(p.id, p)
      }
    }
    if (near.size === 1) {
      const p = [...near.values()][0] as PaymentRow
      const outstanding = amountDue(p) - (p.actual_minor ?? 0)
      const samePayer = input.payerPhone !== null && p.customer_phone === input.payerPhone
      if (p.currency === input.currency && (input.amountMinor === outstanding || samePayer)) return { payment: p, method: 'corrected_code' }
    }

    if (input.payerPhone !== null) {
      const candidates = await ex.all<PaymentRow>(sql`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE merchant_id = ${input.merchantId} AND mode = ${input.mode} AND status = ${PENDING}
          AND customer_phone = ${input.payerPhone} AND COALESCE(amount_to_pay_minor, expected_minor) = ${input.amountMinor} AND currency = ${input.currency} LIMIT 2`)
      if (candidates.length === 1) return { payment: candidates[0] as PaymentRow, method: 'phone_amount' }
    }
    return null
  }

  /**
   * The payment waiting for exactly this amount (its `amount_to_pay`) whose window, from creation to
   * expiry, holds the moment the money arrived. Open payments never share an amount (the index
   * payments_open_amount); one the sweeper expired while the message waited may still be it (and
   * goes to review as any closed payment does). Two candidates: an operator decides.
   */
  async #findByAmount (input: CreditInput): Promise<{ payment: PaymentRow, method: MatchMethod } | { ambiguous: 'ambiguous_amount' } | null> {
    const found = await this.#s.ex.all<PaymentRow>(sql`SELECT ${PAYMENT_COLUMNS} FROM payments
      WHERE merchant_id = ${input.merchantId} AND mode = ${input.mode} AND currency = ${input.currency} AND amount_to_pay_minor = ${input.amountMinor}
        AND status IN ${OPEN_OR_EXPIRED} AND created_at <= ${input.receivedAt} AND expires_at >= ${input.receivedAt}
      ORDER BY id LIMIT 2`)
    if (found.length > 1) return { ambiguous: 'ambiguous_amount' }
    const payment = found[0]
    return payment === undefined ? null : { payment, method: 'unique_amount' }
  }
}
