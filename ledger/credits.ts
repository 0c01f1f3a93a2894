import { CLOSED_STATUSES, type CreditStatus } from '../core/enums.js'
import { formatAmount } from '../core/money.js'
import { randomHex } from '../core/ids.js'
import { isoSeconds } from '../core/time.js'
import type { Db } from './db.js'
import type { EventLog } from './events.js'
import { findCodeCandidates, nearbyValidCodes } from './hpn-code.js'
import type { Mode, Owner } from './modes.js'
import { statusForAmount, type MatchMethod, type PaymentRow, type PaymentStatus } from './payment-model.js'
import type { PaymentStatusChanger } from './payment-status.js'
import type { PaymentRepository } from './payments.js'

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

export type MatchOutcome =
  | { kind: 'duplicate', credit: CreditRow }
  | { kind: 'applied', credit: CreditRow, payment: PaymentRow, method: MatchMethod }
  | { kind: 'unmatched', credit: CreditRow }

export type ReconcileOutcome = 'VERIFIED' | 'ALREADY_CONFIRMED' | 'NOT_FOUND' | 'AMOUNT_MISMATCH'


/**
 * Credits and the matching rules of SPEC §6. Every function here runs inside the caller's
 * transaction (the ingest step's, or an API call's) and changes payments only through the
 * status-change function, so the webhook outbox row commits with the money.
 */
export function createCreditLedger (db: Db, events: EventLog, paymentStatus: PaymentStatusChanger, payments: PaymentRepository, now: () => number = Date.now) {
  const insert = db.prepare(`INSERT INTO credits (public_id, merchant_id, mode, network, telco_transaction_id, amount_minor, currency,
      payer_phone, payer_name, reference, balance_minor, fee_minor, risk_flags, status, received_at, sms_id, duplicate_of)
    VALUES (@public_id, @merchant_id, @mode, @network, @telco_transaction_id, @amount_minor, @currency,
      @payer_phone, @payer_name, @reference, @balance_minor, @fee_minor, @risk_flags, @status, @received_at, @sms_id, @duplicate_of)`)
  const byId = db.prepare('SELECT * FROM credits WHERE id = ?')
  const byPublicId = db.prepare('SELECT * FROM credits WHERE public_id = ? AND merchant_id = ? AND mode = ?')
  const original = db.prepare('SELECT * FROM credits WHERE mode = ? AND network = ? AND telco_transaction_id = ? AND status <> \'duplicate\'')
  const byTelcoId = db.prepare('SELECT * FROM credits WHERE telco_transaction_id = ? AND merchant_id = ? AND mode = ? AND status <> \'duplicate\' ORDER BY id LIMIT 2')
  const markApplied = db.prepare('UPDATE credits SET status = \'matched\', payment_id = ?, match_method = ?, applied_at = ?, note = COALESCE(?, note) WHERE id = ? AND status = \'unmatched\'')
  const sumFor = db.prepare('SELECT COALESCE(SUM(amount_minor), 0) FROM credits WHERE payment_id = ? AND status = \'matched\'').pluck()
  const payableByCode = db.prepare(`SELECT * FROM payments WHERE hpn_code = ? AND merchant_id = ? AND mode = ? AND status IN ('PENDING', 'PARTIAL')`)
  const pendingByPhoneAmount = db.prepare(`SELECT * FROM payments WHERE merchant_id = ? AND mode = ? AND status = 'PENDING'
      AND customer_phone = ? AND expected_minor = ? AND currency = ? LIMIT 2`)
  const setFlags = db.prepare('UPDATE credits SET risk_flags = ? WHERE id = ?')
  const list = db.prepare('SELECT * FROM credits WHERE merchant_id = @merchant AND mode = @mode AND id < @before ORDER BY id DESC LIMIT @limit')
  const listByStatus = db.prepare('SELECT * FROM credits WHERE merchant_id = @merchant AND mode = @mode AND status = @status AND id < @before ORDER BY id DESC LIMIT @limit')

  function requireTransaction (): void {
    if (!db.inTransaction) throw new Error('credits change only inside a ledger transaction')
  }

  function creditData (c: CreditRow): Record<string, unknown> {
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

  /**
   * Adds a credit to a payment: `actual_amount` becomes the sum of its credits and the status
   * follows SPEC §6 rules 2 and 3.
   */
  function applyTo (payment: PaymentRow, credit: CreditRow, method: MatchMethod, options: { holdForReview?: boolean, note?: string | null } = {}): PaymentRow {
    const info = markApplied.run(payment.id, method, now(), options.note ?? null, credit.id)
    if (info.changes !== 1) throw new Error(`credit ${credit.public_id} is not unmatched`)
    const actual = sumFor.get(payment.id) as number
    let status: PaymentStatus
    if (payment.currency !== credit.currency || CLOSED_STATUSES.includes(payment.status) || payment.status === 'MANUAL_REVIEW' || options.holdForReview === true) {
      status = 'MANUAL_REVIEW'
    } else if (payment.status === 'SUCCESS' || payment.status === 'OVERPAID') {
      status = 'OVERPAID'
    } else {
      status = statusForAmount(payment.expected_minor, actual)
    }
    return paymentStatus.change(payment, {
      status,
      actualMinor: actual,
      payerPhone: credit.payer_phone ?? payment.payer_phone,
      telcoProvider: credit.network,
      telcoTransactionId: credit.telco_transaction_id
    })
  }

  /** SPEC §6 rules 2–4: which payment, if any, this credit pays, and how it was found. */
  function findPayment (input: CreditInput): { payment: PaymentRow, method: MatchMethod } | { ambiguous: true } | null {
    const scope = input.reference ?? input.text
    const { valid, invalid } = findCodeCandidates(scope)
    const byCode = new Map<number, PaymentRow>()
    for (const code of valid) {
      const p = payments.findByCode(input, code)
      if (p !== undefined) byCode.set(p.id, p)
    }
    // Two different payments named in one note: an operator decides, never a guess.
    if (byCode.size > 1) return { ambiguous: true }
    const exact = [...byCode.values()][0]
    if (exact !== undefined) return { payment: exact, method: 'code' }

    const near = new Map<number, PaymentRow>()
    for (const typed of invalid) {
      for (const code of nearbyValidCodes(typed)) {
        for (const p of payableByCode.all(code, input.merchantId, input.mode) as PaymentRow[]) near.set(p.id, p)
      }
    }
    if (near.size === 1) {
      const p = [...near.values()][0] as PaymentRow
      const outstanding = p.expected_minor - (p.actual_minor ?? 0)
      const samePayer = input.payerPhone !== null && p.customer_phone === input.payerPhone
      if (p.currency === input.currency && (input.amountMinor === outstanding || samePayer)) return { payment: p, method: 'corrected_code' }
    }

    if (input.payerPhone !== null) {
      const candidates = pendingByPhoneAmount.all(input.merchantId, input.mode, input.payerPhone, input.amountMinor, input.currency) as PaymentRow[]
      if (candidates.length === 1) return { payment: candidates[0] as PaymentRow, method: 'phone_amount' }
    }
    return null
  }

  return {
    creditData,

    get (owner: Owner, publicId: string): CreditRow | undefined {
      return byPublicId.get(publicId, owner.merchantId, owner.mode) as CreditRow | undefined
    },

    getById (id: number): CreditRow | undefined {
      return byId.get(id) as CreditRow | undefined
    },

    list (owner: Owner, query: { status?: CreditStatus | undefined, limit: number, before?: number | undefined }): { items: CreditRow[], hasMore: boolean } {
      const params = { merchant: owner.merchantId, mode: owner.mode, status: query.status, before: query.before ?? Number.MAX_SAFE_INTEGER, limit: query.limit + 1 }
      const rows = (query.status === undefined ? list.all(params) : listByStatus.all(params)) as CreditRow[]
      return { items: rows.slice(0, query.limit), hasMore: rows.length > query.limit }
    },

    /** Records a trusted credit and applies SPEC §6 matching. Runs inside the ingest transaction. */
    record (input: CreditInput): MatchOutcome {
      requireTransaction()
      const first = original.get(input.mode, input.network, input.telcoTransactionId) as CreditRow | undefined
      const flags = [...input.riskFlags]
      if (first !== undefined && first.amount_minor !== input.amountMinor) flags.push('duplicate_amount_differs')
      const row = {
        public_id: `crd_${randomHex(12)}`,
        merchant_id: input.merchantId,
        mode: input.mode,
        network: input.network,
        telco_transaction_id: input.telcoTransactionId,
        amount_minor: input.amountMinor,
        currency: input.currency,
        payer_phone: input.payerPhone,
        payer_name: input.payerName,
        reference: input.reference,
        balance_minor: input.balanceMinor,
        fee_minor: input.feeMinor,
        risk_flags: JSON.stringify(flags),
        status: first === undefined ? 'unmatched' : 'duplicate',
        received_at: input.receivedAt,
        sms_id: input.smsId,
        duplicate_of: first?.id ?? null
      }
      const credit = byId.get(Number(insert.run(row).lastInsertRowid)) as CreditRow
      // Rule 1: a telco transaction counts once (per mode), whatever SMS carries it.
      if (first !== undefined) return { kind: 'duplicate', credit }

      const found = findPayment(input)
      if (found === null || 'ambiguous' in found) {
        if (found !== null) setFlags.run(JSON.stringify([...flags, 'ambiguous_code']), credit.id)
        events.append({ merchantId: input.merchantId, mode: input.mode, type: 'credit.unmatched', paymentId: null, creditId: credit.id, data: creditData(credit) })
        return { kind: 'unmatched', credit: byId.get(credit.id) as CreditRow }
      }
      const payment = applyTo(found.payment, credit, found.method, { holdForReview: input.holdForReview })
      return { kind: 'applied', credit: byId.get(credit.id) as CreditRow, payment, method: found.method }
    },

    /** An operator applies an unmatched credit to a payment (SPEC §4 assign). */
    assign (credit: CreditRow, payment: PaymentRow, note: string | null = null): PaymentRow {
      requireTransaction()
      return applyTo(payment, credit, 'assigned', { note })
    },

    /**
     * The customer's own telco transaction id for a payment (SPEC §4 reconcile). A credit already
     * applied anywhere is never applied again.
     */
    reconcile (owner: Owner, payment: PaymentRow, telcoTransactionId: string, amountMinor: number | null, note: string | null): { outcome: ReconcileOutcome, payment: PaymentRow } {
      requireTransaction()
      const found = byTelcoId.all(telcoTransactionId.trim(), owner.merchantId, owner.mode) as CreditRow[]
      const credit = found[0]
      if (credit === undefined || found.length > 1) return { outcome: 'NOT_FOUND', payment }
      if (credit.status === 'matched') return { outcome: 'ALREADY_CONFIRMED', payment }
      if (amountMinor !== null && amountMinor !== credit.amount_minor) return { outcome: 'AMOUNT_MISMATCH', payment }
      return { outcome: 'VERIFIED', payment: applyTo(payment, credit, 'reconciled', { note }) }
    },

    paymentOf (credit: CreditRow): PaymentRow | undefined {
      return credit.payment_id === null ? undefined : payments.getById(credit.payment_id)
    }
  }
}

export type CreditLedger = ReturnType<typeof createCreditLedger>
