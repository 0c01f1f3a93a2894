import { COMPLETED_STATUSES, PAYABLE_STATUSES, type PaymentStatus, type ResolvedStatus } from '../core/enums.js'
import { timeOrderedHex } from '../core/ids.js'
import { formatAmount } from '../core/money.js'
import { ConflictError, InvalidFieldError, NotFoundError } from './errors.js'
import { isValidCode, normaliseCode } from './hpn-code.js'
import type { Owner } from './modes.js'
import { pageOf } from './page.js'
import { PAYMENT_COLUMNS, type PaymentRow } from './payment-model.js'
import { creditsAndRefunds, creditsAndRefundsColumns, type CreditsAndRefunds, type CreditsAndRefundsColumns } from './payment-status.js'
import type { LedgerScope } from './scope.js'
import { literal, sql } from './sql.js'

export interface InitializeInput {
  amountMinor: number
  currency: string
  clientReference: string | null
  customerPhone: string | null
  meta: Record<string, unknown> | null
  expiresInSeconds: number
  /** The channel collecting it and the provider reference chosen for the collection; absent: SMS. */
  channel?: { id: string, type: string, reference: string } | null | undefined
  /**
   * Tell the payment apart by a unique amount (its wallets' receipts carry no reference): the
   * customer pays `amountMinor` plus the smallest offset, a multiple of `stepMinor` up to
   * `maxOffsetMinor`, that no open payment of the owner in this currency has, nor one that closed
   * within `holdMs` (late money for it must not pay a stranger's order). Absent: the HPN code.
   */
  uniqueAmount?: UniqueAmountRule | null | undefined
}

export interface UniqueAmountRule {
  stepMinor: number
  maxOffsetMinor: number
  holdMs: number
}

export interface ListQuery {
  status?: PaymentStatus | undefined
  limit: number
  cursor?: string | undefined
}

/** `GET /v1/transactions`: page-numbered, filtered, newest first. */
export interface SearchQuery {
  status?: PaymentStatus | undefined
  /** created_at at or after, epoch ms. */
  from?: number | undefined
  /** created_at at or before, epoch ms. */
  to?: number | undefined
  /** The customer's phone given at initialize, or the payer's: display form 0XXXXXXXXX. */
  phone?: string | undefined
  offset: number
  limit: number
}

export interface Page<T> {
  items: T[]
  hasMore: boolean
  nextCursor: string | null
}

/**
 * A code is not handed out again while anyone may still pay with it: the partial unique index
 * guards payable payments, and this window keeps a code away from late money for an expired or
 * cancelled payment (which must go to review, never to a stranger's new order).
 */
const CODE_REUSE_WINDOW_MS = 180 * 86_400_000
const CODE_ATTEMPTS = 25
/**
 * A channel's own poller expires its payments after one last check with the provider
 * (channels/outbound.ts); the sweeper takes them only this long after, should that check not get
 * through (provider unreachable), so a customer who approved at the last second is not expired first.
 */
export const CHANNEL_EXPIRY_GRACE_MS = 10 * 60_000

export function encodeCursor (id: number): string {
  return Buffer.from(`p:${id}`).toString('base64url')
}

export function decodeCursor (cursor: string, field = 'cursor'): number {
  const m = /^p:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (m === null) throw new InvalidFieldError(field, 'is not a cursor this API returned')
  return Number(m[1])
}

const PENDING = literal('PENDING' satisfies PaymentStatus)
const PAYABLE = literal(PAYABLE_STATUSES)

/**
 * A payment with what its data needs beyond the row, read in the same statement. The row object
 * also carries that statement's two extra columns (`applied_credits`, `has_refunds`): read it by
 * field, never copy it whole into something stored or sent.
 */
export interface PaymentWithCredits { row: PaymentRow, attached: CreditsAndRefunds }

/** How `find` looks an id up, as a reference, an HPN code or a client_reference. */
interface Lookups<T> {
  reference: (reference: string) => Promise<T | undefined>
  code: (code: string) => Promise<T | undefined>
  clientReference: (clientReference: string) => Promise<T | undefined>
}

export interface PaymentStore {
  /** A payment of this owner by reference, HPN code (any spelling a person types) or client_reference. */
  find: (owner: Owner, id: string) => Promise<PaymentRow | undefined>
  /**
   * `find` with the payment's credits and refund flag in the same statement, for PaymentStatusStore
   * `dataOf`: the polling GET's one read where it took three.
   */
  findWithCredits: (owner: Owner, id: string) => Promise<PaymentWithCredits | undefined>
  /** The newest payment of this owner with a canonical HPN code (codes are reused only after 180 days). */
  findByCode: (owner: Owner, code: string) => Promise<PaymentRow | undefined>
  /** By the `hpn_trx_…` reference only. */
  findByReference: (owner: Owner, reference: string) => Promise<PaymentRow | undefined>
  /** The newest payment with this `client_reference`. */
  findByClientReference: (owner: Owner, clientReference: string) => Promise<PaymentRow | undefined>
  /** `find`, or NotFoundError. */
  get: (owner: Owner, id: string) => Promise<PaymentRow>
  getById: (id: number) => Promise<PaymentRow | undefined>
  referenceOf: (id: number) => Promise<string | undefined>
  /**
   * Creates a PENDING payment, or returns the PENDING payment that already carries this
   * `client_reference` when amount and currency agree ("idempotent by default").
   */
  initialize: (owner: Owner, input: InitializeInput) => Promise<{ payment: PaymentRow, created: boolean }>
  list: (owner: Owner, query: ListQuery) => Promise<Page<PaymentRow>>
  /** One page of the owner's payments matching every filter given, newest first, and how many match in all. */
  search: (owner: Owner, query: SearchQuery) => Promise<{ items: PaymentRow[], total: number }>
  /** PENDING → CANCELLED; `note` (a reason) is kept on the payment. */
  cancel: (owner: Owner, id: string, note?: string | null) => Promise<PaymentRow>
  /** The owner's newest PENDING payment collected through `channelId` (the test customer's default). */
  newestPendingOnChannel: (owner: Owner, channelId: string) => Promise<PaymentRow | undefined>
  /** Records that money was returned to the customer outside the daemon. */
  refund: (owner: Owner, id: string, note: string | null) => Promise<PaymentRow>
  resolve: (owner: Owner, id: string, to: ResolvedStatus, note: string | null) => Promise<PaymentRow>
  /**
   * PENDING payments past `expires_at` become EXPIRED, one batch in one transaction; returns how
   * many. PARTIAL payments stay PARTIAL: money arrived, and the merchant decides. A channel payment
   * is its poller's to expire; the sweeper takes it only CHANNEL_EXPIRY_GRACE_MS later.
   */
  expireDue: (batch?: number) => Promise<number>
}

export class SqlPaymentStore implements PaymentStore {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async findByCode (owner: Owner, code: string): Promise<PaymentRow | undefined> {
    return await this.#s.ex.get<PaymentRow>(sql`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE hpn_code = ${code} AND merchant_id = ${owner.merchantId} AND mode = ${owner.mode}
      ORDER BY id DESC LIMIT 1`)
  }

  async findByReference (owner: Owner, reference: string): Promise<PaymentRow | undefined> {
    return await this.#s.ex.get<PaymentRow>(sql`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE reference = ${reference} AND merchant_id = ${owner.merchantId} AND mode = ${owner.mode}`)
  }

  async findByClientReference (owner: Owner, clientReference: string): Promise<PaymentRow | undefined> {
    return await this.#s.ex.get<PaymentRow>(sql`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE client_reference = ${clientReference} AND merchant_id = ${owner.merchantId} AND mode = ${owner.mode}
      ORDER BY id DESC LIMIT 1`)
  }

  async find (owner: Owner, id: string): Promise<PaymentRow | undefined> {
    return await lookUp(id, {
      reference: async (reference) => await this.findByReference(owner, reference),
      code: async (code) => await this.findByCode(owner, code),
      clientReference: async (clientReference) => await this.findByClientReference(owner, clientReference)
    })
  }

  async findWithCredits (owner: Owner, id: string): Promise<PaymentWithCredits | undefined> {
    const { ex } = this.#s
    const attached = creditsAndRefundsColumns(ex.dialect)
    type Row = PaymentRow & CreditsAndRefundsColumns
    // find's three statements again, with two more columns: call sites of their own, since the
    // statement cache keys by call site and one site with two select lists compiles on every call.
    const row = await lookUp(id, {
      reference: async (reference) => await ex.get<Row>(sql`SELECT ${PAYMENT_COLUMNS}, ${attached} FROM payments
        WHERE reference = ${reference} AND merchant_id = ${owner.merchantId} AND mode = ${owner.mode}`),
      code: async (code) => await ex.get<Row>(sql`SELECT ${PAYMENT_COLUMNS}, ${attached} FROM payments
        WHERE hpn_code = ${code} AND merchant_id = ${owner.merchantId} AND mode = ${owner.mode} ORDER BY id DESC LIMIT 1`),
      clientReference: async (clientReference) => await ex.get<Row>(sql`SELECT ${PAYMENT_COLUMNS}, ${attached} FROM payments
        WHERE client_reference = ${clientReference} AND merchant_id = ${owner.merchantId} AND mode = ${owner.mode} ORDER BY id DESC LIMIT 1`)
    })
    if (row === undefined) return undefined
    // The row keeps the two extra columns rather than being copied without them: a copy of 26
    // columns was the largest piece of JavaScript in the polling GET after SQLite itself.
    return { row, attached: creditsAndRefunds(row) }
  }

  async get (owner: Owner, id: string): Promise<PaymentRow> {
    const row = await this.find(owner, id)
    if (row === undefined) throw new NotFoundError('payment')
    return row
  }

  async getById (id: number): Promise<PaymentRow | undefined> {
    return await this.#s.ex.get<PaymentRow>(sql`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = ${id}`)
  }

  async referenceOf (id: number): Promise<string | undefined> {
    return await this.#s.ex.value<string>(sql`SELECT reference FROM payments WHERE id = ${id}`)
  }

  async initialize (owner: Owner, input: InitializeInput): Promise<{ payment: PaymentRow, created: boolean }> {
    return await this.#s.write(async (tx) => {
      if (input.clientReference !== null) {
        const existing = await tx.ex.get<PaymentRow>(sql`SELECT ${PAYMENT_COLUMNS} FROM payments
          WHERE client_reference = ${input.clientReference} AND merchant_id = ${owner.merchantId} AND mode = ${owner.mode} AND status = ${PENDING}
          ORDER BY id DESC LIMIT 1`)
        if (existing !== undefined) {
          const sameChannel = existing.channel_id === (input.channel?.id ?? null)
          const sameMatching = (existing.amount_to_pay_minor !== null) === (input.uniqueAmount != null)
          if (existing.expected_minor === input.amountMinor && existing.currency === input.currency && sameChannel && sameMatching) return { payment: existing, created: false }
          throw new ConflictError('duplicate_client_reference', `a PENDING payment ${existing.reference} already has client_reference ${JSON.stringify(input.clientReference)} with a different amount, currency or channel`)
        }
      }
      const t = tx.now()
      for (let i = 0; i < CODE_ATTEMPTS; i++) {
        const code = tx.shared.drawCode()
        const toPay = input.uniqueAmount == null ? null : await freeAmount(tx, owner, input.currency, input.amountMinor, input.uniqueAmount, t)
        // The code's reuse check rides in the INSERT (NOT EXISTS), one statement where it took two: a
        // code someone may still pay with (payable, or within CODE_REUSE_WINDOW_MS) inserts nothing
        // and is drawn again. On PostgreSQL the partial unique indexes payments_open_code and
        // payments_open_amount are the guards against a race: two nodes that drew the same free code
        // or amount at once both get here, and the second inserts nothing (or loses the serialization
        // race and runs again) and draws again. SQLite has one writer, so no race: there triggers
        // guard an open code (migration 017) and this NOT EXISTS is what keeps them from firing.
        const row = newPaymentRow(owner, input, code, toPay, t)
        // RETURNING the id alone: every other column is what this INSERT wrote or its default, so the
        // row is built here rather than read back (26 values a payment; a test holds it to a read).
        const id = await tx.ex.value<number>(sql`INSERT INTO payments (reference, merchant_id, mode, hpn_code, status, expected_minor, currency,
            client_reference, customer_phone, meta, expires_at, created_at, updated_at, channel_id, channel_type, channel_reference, amount_to_pay_minor)
          SELECT ${row.reference}, ${row.merchant_id}, ${row.mode}, ${row.hpn_code}, ${PENDING}, ${row.expected_minor}, ${row.currency},
            ${row.client_reference}, ${row.customer_phone}, ${row.meta}, ${row.expires_at}, ${row.created_at}, ${row.updated_at},
            ${row.channel_id}, ${row.channel_type}, ${row.channel_reference}, ${row.amount_to_pay_minor}
          WHERE NOT EXISTS (SELECT 1 FROM payments WHERE hpn_code = ${code} AND (status IN ${PAYABLE} OR created_at > ${t - CODE_REUSE_WINDOW_MS}))
          ON CONFLICT DO NOTHING
          RETURNING id`)
        if (id !== undefined) {
          row.id = Number(id)
          return { payment: row, created: true }
        }
      }
      // 25 collisions in a row means the code space is nearly exhausted: say so rather than loop.
      throw new Error(`could not find a free HPN code after ${CODE_ATTEMPTS} attempts`)
    })
  }

  async list (owner: Owner, query: ListQuery): Promise<Page<PaymentRow>> {
    const before = query.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(query.cursor)
    const limit = query.limit + 1
    const rows = query.status === undefined
      ? await this.#s.ex.all<PaymentRow>(sql`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE merchant_id = ${owner.merchantId} AND mode = ${owner.mode} AND id < ${before}
          ORDER BY id DESC LIMIT ${limit}`)
      : await this.#s.ex.all<PaymentRow>(sql`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE merchant_id = ${owner.merchantId} AND mode = ${owner.mode} AND status = ${query.status}
          AND id < ${before} ORDER BY id DESC LIMIT ${limit}`)
    const { items, hasMore } = pageOf(rows, query.limit)
    return { items, hasMore, nextCursor: hasMore && items.length > 0 ? encodeCursor((items.at(-1) as PaymentRow).id) : null }
  }

  async search (owner: Owner, q: SearchQuery): Promise<{ items: PaymentRow[], total: number }> {
    // Each filter is "absent, or matches": the casts give PostgreSQL a type for a NULL parameter.
    const status = q.status ?? null
    const from = q.from ?? null
    const to = q.to ?? null
    const phone = q.phone ?? null
    const ex = this.#s.ex
    const items = await ex.all<PaymentRow>(sql`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE merchant_id = ${owner.merchantId} AND mode = ${owner.mode}
        AND (CAST(${status} AS TEXT) IS NULL OR status = ${status})
        AND (CAST(${from} AS BIGINT) IS NULL OR created_at >= ${from}) AND (CAST(${to} AS BIGINT) IS NULL OR created_at <= ${to})
        AND (CAST(${phone} AS TEXT) IS NULL OR customer_phone = ${phone} OR payer_phone = ${phone})
      ORDER BY id DESC LIMIT ${q.limit} OFFSET ${q.offset}`)
    const total = await ex.value<number>(sql`SELECT COUNT(*) FROM payments WHERE merchant_id = ${owner.merchantId} AND mode = ${owner.mode}
        AND (CAST(${status} AS TEXT) IS NULL OR status = ${status})
        AND (CAST(${from} AS BIGINT) IS NULL OR created_at >= ${from}) AND (CAST(${to} AS BIGINT) IS NULL OR created_at <= ${to})
        AND (CAST(${phone} AS TEXT) IS NULL OR customer_phone = ${phone} OR payer_phone = ${phone})`) ?? 0
    return { items, total }
  }

  async newestPendingOnChannel (owner: Owner, channelId: string): Promise<PaymentRow | undefined> {
    return await this.#s.ex.get<PaymentRow>(sql`SELECT ${PAYMENT_COLUMNS} FROM payments
      WHERE merchant_id = ${owner.merchantId} AND mode = ${owner.mode} AND status = ${PENDING} AND channel_id = ${channelId} ORDER BY id DESC LIMIT 1`)
  }

  async cancel (owner: Owner, id: string, note: string | null = null): Promise<PaymentRow> {
    return await this.#mutate(owner, id, async (tx, row) => {
      if (row.status !== 'PENDING') throw new ConflictError('invalid_status', `payment is ${row.status}; only a PENDING payment can be cancelled`)
      return await tx.paymentStatus.change(row, note === null ? { status: 'CANCELLED' } : { status: 'CANCELLED', note })
    })
  }

  async refund (owner: Owner, id: string, note: string | null): Promise<PaymentRow> {
    return await this.#mutate(owner, id, async (tx, row) => {
      if (!COMPLETED_STATUSES.includes(row.status)) throw new ConflictError('invalid_status', `payment is ${row.status}; only a SUCCESS, PARTIAL or OVERPAID payment can be refunded`)
      return await tx.paymentStatus.change(row, { status: 'REFUNDED', note })
    })
  }

  async resolve (owner: Owner, id: string, to: ResolvedStatus, note: string | null): Promise<PaymentRow> {
    return await this.#mutate(owner, id, async (tx, row) => {
      if (row.status !== 'MANUAL_REVIEW') throw new ConflictError('invalid_status', `payment is ${row.status}; only a MANUAL_REVIEW payment can be resolved`)
      return await tx.paymentStatus.change(row, { status: to, note, event: 'transaction.resolved' })
    })
  }

  async expireDue (batch = 500): Promise<number> {
    return await this.#s.write(async (tx) => {
      const t = tx.now()
      // Every node sweeps. On PostgreSQL each takes the rows it expires with a row lock and skips
      // those another node (or a payment being paid right now) holds: a row is expired once, and a
      // sweep never waits behind ingest. The status change re-checks the row it locked. A channel's
      // payment gets a grace period past its expiry for the provider's last answer.
      const graceEnd = t - CHANNEL_EXPIRY_GRACE_MS
      const rows = tx.ex.dialect === 'postgres'
        ? await tx.ex.all<PaymentRow>(sql`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE status = ${PENDING} AND expires_at <= ${t}
            AND (channel_id IS NULL OR expires_at <= ${graceEnd}) ORDER BY expires_at LIMIT ${batch} FOR UPDATE SKIP LOCKED`)
        : await tx.ex.all<PaymentRow>(sql`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE status = ${PENDING} AND expires_at <= ${t}
            AND (channel_id IS NULL OR expires_at <= ${graceEnd}) ORDER BY expires_at LIMIT ${batch}`)
      for (const row of rows) await tx.paymentStatus.change(row, { status: 'EXPIRED' })
      return rows.length
    }, { isolation: 'read_committed' })
  }

  /** Runs `fn` on the payment's latest state inside one transaction. */
  async #mutate (owner: Owner, id: string, fn: (tx: LedgerScope, row: PaymentRow) => Promise<PaymentRow>): Promise<PaymentRow> {
    return await this.#s.write(async (tx) => await fn(tx, await tx.payments.get(owner, id)))
  }
}

/**
 * The row `initialize` inserts, as a read of it gives it (PAYMENT_COLUMNS' order): what it writes,
 * and the columns' defaults for the rest (`sequence` 1, no money yet, no note). The id is the
 * database's, set once inserted.
 */
function newPaymentRow (owner: Owner, input: InitializeInput, code: string, toPay: number | null, t: number): PaymentRow {
  const channel = input.channel ?? null
  return {
    id: 0,
    reference: `hpn_trx_${timeOrderedHex(t)}`,
    merchant_id: owner.merchantId,
    mode: owner.mode,
    hpn_code: code,
    status: 'PENDING',
    expected_minor: input.amountMinor,
    actual_minor: null,
    currency: input.currency,
    client_reference: input.clientReference,
    customer_phone: input.customerPhone,
    payer_phone: null,
    telco_provider: null,
    telco_transaction_id: null,
    meta: input.meta === null ? null : JSON.stringify(input.meta),
    note: null,
    expires_at: t + input.expiresInSeconds * 1000,
    verified_at: null,
    created_at: t,
    updated_at: t,
    sequence: 1,
    channel_id: channel?.id ?? null,
    channel_type: channel?.type ?? null,
    channel_reference: channel?.reference ?? null,
    failure_reason: null,
    amount_to_pay_minor: toPay
  }
}

/** `find`'s order: a reference by its prefix, then an HPN code (any spelling), then a client_reference. */
async function lookUp<T> (id: string, by: Lookups<T>): Promise<T | undefined> {
  if (id.startsWith('hpn_trx_')) return await by.reference(id)
  const code = normaliseCode(id)
  if (code !== null && isValidCode(code)) {
    const found = await by.code(code)
    if (found !== undefined) return found
  }
  return await by.clientReference(id)
}

/**
 * The smallest amount from `amountMinor` up in steps of `rule.stepMinor` (at most
 * `rule.maxOffsetMinor` above) that no PENDING payment of the owner in `currency` is waiting for,
 * and no payment that closed within `rule.holdMs` was; 409 `unique_amounts_exhausted` when none is.
 */
async function freeAmount (tx: LedgerScope, owner: Owner, currency: string, amountMinor: number, rule: UniqueAmountRule, t: number): Promise<number> {
  const top = amountMinor + rule.maxOffsetMinor
  const taken = new Set((await tx.ex.all<{ amount: number }>(sql`SELECT amount_to_pay_minor AS amount FROM payments
      WHERE merchant_id = ${owner.merchantId} AND mode = ${owner.mode} AND currency = ${currency}
        AND amount_to_pay_minor BETWEEN ${amountMinor} AND ${top}
        AND (status = ${PENDING} OR updated_at > ${t - rule.holdMs})`)).map((r) => Number(r.amount)))
  for (let amount = amountMinor; amount <= top; amount += rule.stepMinor) {
    if (!taken.has(amount)) return amount
  }
  throw new ConflictError('unique_amounts_exhausted', `every amount from ${formatAmount(amountMinor)} to ${formatAmount(top)} ${currency} is taken by an open payment of this merchant (or one closed recently); raise matching.unique_amount.max_offset or wait for payments to settle or expire`)
}

