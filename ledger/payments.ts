import { randomHex } from '../core/ids.js'
import type { Db } from './db.js'
import { ConflictError, InvalidFieldError, NotFoundError } from './errors.js'
import { generateCode, isValidCode, normaliseCode } from './hpn-code.js'
import type { Owner } from './modes.js'
import { COMPLETED_STATUSES, type PaymentRow, type PaymentStatus } from './payment-model.js'
import type { PaymentStatusChanger } from './payment-status.js'

export interface InitializeInput {
  amountMinor: number
  currency: string
  clientReference: string | null
  customerPhone: string | null
  meta: Record<string, unknown> | null
  expiresInSeconds: number
}

export interface ListQuery {
  status?: PaymentStatus | undefined
  limit: number
  cursor?: string | undefined
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

export function encodeCursor (id: number): string {
  return Buffer.from(`p:${id}`).toString('base64url')
}

export function decodeCursor (cursor: string, field = 'cursor'): number {
  const m = /^p:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (m === null) throw new InvalidFieldError(field, 'is not a cursor this API returned')
  return Number(m[1])
}

export function createPaymentRepository (db: Db, status: PaymentStatusChanger, now: () => number = Date.now) {
  const insert = db.prepare(`INSERT INTO payments (reference, merchant_id, mode, hpn_code, status, expected_minor, currency,
      client_reference, customer_phone, meta, expires_at, created_at, updated_at)
    VALUES (@reference, @merchant_id, @mode, @hpn_code, 'PENDING', @expected_minor, @currency,
      @client_reference, @customer_phone, @meta, @expires_at, @created_at, @created_at)`)
  const codeInUse = db.prepare('SELECT 1 FROM payments WHERE hpn_code = ? AND (status IN (\'PENDING\', \'PARTIAL\') OR created_at > ?) LIMIT 1').pluck()
  const byId = db.prepare('SELECT * FROM payments WHERE id = ?')
  const byReference = db.prepare('SELECT * FROM payments WHERE reference = ? AND merchant_id = ? AND mode = ?')
  const byCode = db.prepare('SELECT * FROM payments WHERE hpn_code = ? AND merchant_id = ? AND mode = ? ORDER BY id DESC LIMIT 1')
  const byClientReference = db.prepare('SELECT * FROM payments WHERE client_reference = ? AND merchant_id = ? AND mode = ? ORDER BY id DESC LIMIT 1')
  const pendingByClientReference = db.prepare('SELECT * FROM payments WHERE client_reference = ? AND merchant_id = ? AND mode = ? AND status = \'PENDING\' ORDER BY id DESC LIMIT 1')
  const list = db.prepare('SELECT * FROM payments WHERE merchant_id = @merchant AND mode = @mode AND id < @before ORDER BY id DESC LIMIT @limit')
  const listByStatus = db.prepare('SELECT * FROM payments WHERE merchant_id = @merchant AND mode = @mode AND status = @status AND id < @before ORDER BY id DESC LIMIT @limit')
  const due = db.prepare('SELECT * FROM payments WHERE status = \'PENDING\' AND expires_at <= ? ORDER BY expires_at LIMIT ?')

  function freshCode (t: number): string {
    for (let i = 0; i < CODE_ATTEMPTS; i++) {
      const code = generateCode()
      if (codeInUse.get(code, t - CODE_REUSE_WINDOW_MS) === undefined) return code
    }
    // 25 collisions in a row means the code space is nearly exhausted: say so rather than loop.
    throw new Error('could not find a free HPN code after 25 attempts')
  }

  /** The newest payment of this owner with a canonical HPN code (codes are reused only after 180 days). */
  function findByCode (owner: Owner, code: string): PaymentRow | undefined {
    return byCode.get(code, owner.merchantId, owner.mode) as PaymentRow | undefined
  }

  function find (owner: Owner, id: string): PaymentRow | undefined {
    if (id.startsWith('hpn_trx_')) return byReference.get(id, owner.merchantId, owner.mode) as PaymentRow | undefined
    const code = normaliseCode(id)
    if (code !== null && isValidCode(code)) {
      const row = findByCode(owner, code)
      if (row !== undefined) return row
    }
    return byClientReference.get(id, owner.merchantId, owner.mode) as PaymentRow | undefined
  }

  function get (owner: Owner, id: string): PaymentRow {
    const row = find(owner, id)
    if (row === undefined) throw new NotFoundError('payment')
    return row
  }

  /** Runs `fn` on the payment's latest state inside one immediate transaction. */
  function mutate (owner: Owner, id: string, fn: (row: PaymentRow) => PaymentRow): PaymentRow {
    return db.transaction(() => fn(get(owner, id))).immediate()
  }

  return {
    find,
    findByCode,
    get,

    getById (id: number): PaymentRow | undefined {
      return byId.get(id) as PaymentRow | undefined
    },

    /**
     * Creates a PENDING payment, or returns the PENDING payment that already carries this
     * `client_reference` when amount and currency agree ("idempotent by default").
     */
    initialize (owner: Owner, input: InitializeInput): { payment: PaymentRow, created: boolean } {
      return db.transaction(() => {
        if (input.clientReference !== null) {
          const existing = pendingByClientReference.get(input.clientReference, owner.merchantId, owner.mode) as PaymentRow | undefined
          if (existing !== undefined) {
            if (existing.expected_minor === input.amountMinor && existing.currency === input.currency) return { payment: existing, created: false }
            throw new ConflictError('duplicate_client_reference', `a PENDING payment ${existing.reference} already has client_reference ${JSON.stringify(input.clientReference)} with a different amount or currency`)
          }
        }
        const t = now()
        const row = {
          reference: `hpn_trx_${randomHex(16)}`,
          merchant_id: owner.merchantId,
          mode: owner.mode,
          hpn_code: freshCode(t),
          expected_minor: input.amountMinor,
          currency: input.currency,
          client_reference: input.clientReference,
          customer_phone: input.customerPhone,
          meta: input.meta === null ? null : JSON.stringify(input.meta),
          expires_at: t + input.expiresInSeconds * 1000,
          created_at: t
        }
        const info = insert.run(row)
        return { payment: byId.get(Number(info.lastInsertRowid)) as PaymentRow, created: true }
      }).immediate()
    },

    list (owner: Owner, query: ListQuery): Page<PaymentRow> {
      const before = query.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(query.cursor)
      const params = { merchant: owner.merchantId, mode: owner.mode, before, limit: query.limit + 1, status: query.status }
      const rows = (query.status === undefined ? list.all(params) : listByStatus.all(params)) as PaymentRow[]
      const hasMore = rows.length > query.limit
      const items = rows.slice(0, query.limit)
      return { items, hasMore, nextCursor: hasMore && items.length > 0 ? encodeCursor((items.at(-1) as PaymentRow).id) : null }
    },

    cancel (owner: Owner, id: string): PaymentRow {
      return mutate(owner, id, (row) => {
        if (row.status !== 'PENDING') throw new ConflictError('invalid_status', `payment is ${row.status}; only a PENDING payment can be cancelled`)
        return status.change(row, { status: 'CANCELLED' })
      })
    },

    /** Records that money was returned to the customer outside the daemon. */
    refund (owner: Owner, id: string, note: string | null): PaymentRow {
      return mutate(owner, id, (row) => {
        if (!COMPLETED_STATUSES.includes(row.status)) throw new ConflictError('invalid_status', `payment is ${row.status}; only a SUCCESS, PARTIAL or OVERPAID payment can be refunded`)
        return status.change(row, { status: 'REFUNDED', note })
      })
    },

    resolve (owner: Owner, id: string, to: 'SUCCESS' | 'PARTIAL' | 'OVERPAID' | 'FAILED', note: string | null): PaymentRow {
      return mutate(owner, id, (row) => {
        if (row.status !== 'MANUAL_REVIEW') throw new ConflictError('invalid_status', `payment is ${row.status}; only a MANUAL_REVIEW payment can be resolved`)
        return status.change(row, { status: to, note, event: 'transaction.resolved' })
      })
    },

    /**
     * PENDING payments past `expires_at` become EXPIRED, a batch per transaction. PARTIAL payments
     * stay PARTIAL: money arrived, and the merchant decides.
     */
    expireDue (batch = 500): number {
      return db.transaction(() => {
        const rows = due.all(now(), batch) as PaymentRow[]
        for (const row of rows) status.change(row, { status: 'EXPIRED' })
        return rows.length
      }).immediate()
    }
  }
}

export type PaymentRepository = ReturnType<typeof createPaymentRepository>
