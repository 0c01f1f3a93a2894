import type { ChannelOutcome, ChannelPhase, ChannelTransactionKind, Mode } from '../core/enums.js'
import { formatAmount } from '../core/money.js'
import { randomHex } from '../core/ids.js'
import { isoMillis } from '../core/time.js'
import { columns } from './columns.js'
import type { Owner } from './modes.js'
import type { RefundData } from './payment-model.js'
import type { LedgerScope } from './scope.js'
import { literal, sql } from './sql.js'

/** One provider transaction: a payment's collection, or a refund paid back. */
export interface ChannelTransactionRow {
  id: number
  public_id: string
  channel_id: string
  channel_type: string
  kind: ChannelTransactionKind
  merchant_id: string
  mode: Mode
  payment_id: number
  reference_id: string
  amount_minor: number
  currency: string
  party: string
  /** JSON object: what the provider call needs beyond the columns. */
  request: string
  note: string | null
  phase: ChannelPhase
  outcome: ChannelOutcome | null
  ambiguous: number
  accepted_at: number | null
  sends: number
  checks: number
  provider_status: string | null
  provider_transaction_id: string | null
  failure_reason: string | null
  last_error: string | null
  next_at: number | null
  lease_owner: string | null
  lease_expires_at: number | null
  created_at: number
  updated_at: number
  finished_at: number | null
}

const COLUMNS = columns<ChannelTransactionRow>()(['id', 'public_id', 'channel_id', 'channel_type', 'kind', 'merchant_id', 'mode', 'payment_id',
  'reference_id', 'amount_minor', 'currency', 'party', 'request', 'note', 'phase', 'outcome', 'ambiguous', 'accepted_at', 'sends', 'checks',
  'provider_status', 'provider_transaction_id', 'failure_reason', 'last_error', 'next_at', 'lease_owner', 'lease_expires_at', 'created_at',
  'updated_at', 'finished_at'])

export interface NewChannelTransaction {
  kind: ChannelTransactionKind
  channelId: string
  channelType: string
  owner: Owner
  paymentId: number
  referenceId: string
  amountMinor: number
  currency: string
  party: string
  request: Record<string, unknown>
  note: string | null
}

/**
 * What one call taught about a transaction, applied under the caller's lease. Counters and flags
 * only grow: `sent`/`checked` add one, `ambiguous` and `acceptedAt` are never taken back.
 */
export interface ChannelTransactionChange {
  phase: ChannelPhase
  nextAt: number | null
  outcome?: ChannelOutcome | undefined
  sent?: boolean | undefined
  checked?: boolean | undefined
  ambiguous?: boolean | undefined
  accepted?: boolean | undefined
  providerStatus?: string | null | undefined
  providerTransactionId?: string | null | undefined
  failureReason?: string | null | undefined
  lastError?: string | null | undefined
}

const DONE = literal('done' satisfies ChannelPhase)
const REFUND = literal('refund' satisfies ChannelTransactionKind)
const SUCCEEDED = literal('succeeded' satisfies ChannelOutcome)
const FAILED = literal('failed' satisfies ChannelOutcome)
/**
 * Claims and wakes guard themselves (each UPDATE names the state it expects), and on PostgreSQL due
 * rows are locked as they are found (`FOR UPDATE SKIP LOCKED`): READ COMMITTED is enough, as for
 * webhook deliveries, and nodes sharing a ledger are spared serialization retries.
 */
const SELF_GUARDED = { isolation: 'read_committed' } as const

/**
 * The durable outbox of calls to channel providers (channels/outbound.ts works it). A transaction is
 * written in the same ledger transaction as the payment or refund it serves, with the provider
 * reference chosen then, so whatever happens between commit and call the same reference is sent.
 * Due rows are claimed under a lease (owner + expiry) like webhook deliveries.
 */
export interface ChannelTransactionStore {
  /** Inside the transaction of the payment or refund: due to be sent now. */
  create: (input: NewChannelTransaction) => Promise<ChannelTransactionRow>
  byReference: (channelId: string, referenceId: string) => Promise<ChannelTransactionRow | undefined>
  byPublicId: (owner: Owner, publicId: string) => Promise<ChannelTransactionRow | undefined>
  ofPayment: (paymentId: number, kind: ChannelTransactionKind) => Promise<ChannelTransactionRow[]>
  /** The payment's refunds as merchants see them. */
  refundsOf: (paymentId: number) => Promise<RefundData[]>
  /**
   * Refunded or on its way back, in minor units: every refund but the failed ones. An abandoned refund
   * (no final word from the provider: iPay's unconfirmed refund) may have paid out, so it still counts.
   */
  refundingMinor: (paymentId: number) => Promise<number>
  /** Refunded: what the provider said SUCCESSFUL for, in minor units. */
  refundedMinor: (paymentId: number) => Promise<number>
  /** Claims up to `limit` due rows for `leaseOwner` until `leaseMs` from now. */
  claimDue: (leaseOwner: string, leaseMs: number, limit: number) => Promise<ChannelTransactionRow[]>
  /** Gives a claimed row back, due again at `nextAt`. */
  release: (id: number, leaseOwner: string, nextAt: number) => Promise<void>
  /**
   * Records what a call taught and frees the lease. Inside a transaction (settling the payment may
   * go with it). False when the lease was lost: then nothing is written.
   */
  apply: (row: ChannelTransactionRow, leaseOwner: string, change: ChannelTransactionChange) => Promise<boolean>
  /**
   * A callback named this reference: an unfinished transaction is checked soon (never sooner than
   * `notBefore`, so a flood of callbacks cannot flood the provider with status reads).
   */
  wake: (channelId: string, referenceId: string, notBefore: number) => Promise<ChannelTransactionRow | undefined>
  /**
   * An operator's final word on a refund (paid or not), after checking with the provider: the row is
   * done with `provider_status` OPERATOR. Undefined when the row changed since `row` was read or a
   * sender holds it right now (its answer may be on the way). Inside a transaction.
   */
  settleByOperator: (row: ChannelTransactionRow, paid: boolean, providerTransactionId: string | null) => Promise<ChannelTransactionRow | undefined>
}

export class SqlChannelTransactionStore implements ChannelTransactionStore {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async create (input: NewChannelTransaction): Promise<ChannelTransactionRow> {
    this.#s.inTransaction('creating a channel transaction')
    const t = this.#s.now()
    const prefix = input.kind === 'refund' ? 'rfd' : 'col'
    return await this.#s.ex.get<ChannelTransactionRow>(sql`INSERT INTO channel_transactions (public_id, channel_id, channel_type, kind, merchant_id, mode,
        payment_id, reference_id, amount_minor, currency, party, request, note, phase, next_at, created_at, updated_at)
      VALUES (${`${prefix}_${randomHex(12)}`}, ${input.channelId}, ${input.channelType}, ${input.kind}, ${input.owner.merchantId}, ${input.owner.mode},
        ${input.paymentId}, ${input.referenceId}, ${input.amountMinor}, ${input.currency}, ${input.party}, ${JSON.stringify(input.request)}, ${input.note},
        ${'send' satisfies ChannelPhase}, ${t}, ${t}, ${t})
      RETURNING ${COLUMNS}`) as ChannelTransactionRow
  }

  async byReference (channelId: string, referenceId: string): Promise<ChannelTransactionRow | undefined> {
    return await this.#s.ex.get<ChannelTransactionRow>(sql`SELECT ${COLUMNS} FROM channel_transactions WHERE channel_id = ${channelId} AND reference_id = ${referenceId}`)
  }

  async byPublicId (owner: Owner, publicId: string): Promise<ChannelTransactionRow | undefined> {
    return await this.#s.ex.get<ChannelTransactionRow>(sql`SELECT ${COLUMNS} FROM channel_transactions
      WHERE public_id = ${publicId} AND merchant_id = ${owner.merchantId} AND mode = ${owner.mode}`)
  }

  async ofPayment (paymentId: number, kind: ChannelTransactionKind): Promise<ChannelTransactionRow[]> {
    return await this.#s.ex.all<ChannelTransactionRow>(sql`SELECT ${COLUMNS} FROM channel_transactions WHERE payment_id = ${paymentId} AND kind = ${kind} ORDER BY id`)
  }

  async refundsOf (paymentId: number): Promise<RefundData[]> {
    const rows = await this.#s.ex.all<ChannelTransactionRow>(sql`SELECT ${COLUMNS} FROM channel_transactions WHERE payment_id = ${paymentId} AND kind = ${REFUND} ORDER BY id`)
    return rows.map(refundData)
  }

  async refundingMinor (paymentId: number): Promise<number> {
    return await this.#s.ex.value<number>(sql`SELECT COALESCE(SUM(amount_minor), 0) FROM channel_transactions
      WHERE payment_id = ${paymentId} AND kind = ${REFUND} AND (outcome IS NULL OR outcome <> ${FAILED})`) ?? 0
  }

  async refundedMinor (paymentId: number): Promise<number> {
    return await this.#s.ex.value<number>(sql`SELECT COALESCE(SUM(amount_minor), 0) FROM channel_transactions
      WHERE payment_id = ${paymentId} AND kind = ${REFUND} AND outcome = ${SUCCEEDED}`) ?? 0
  }

  async claimDue (leaseOwner: string, leaseMs: number, limit: number): Promise<ChannelTransactionRow[]> {
    return await this.#s.write(async (tx) => {
      const t = tx.now()
      const due = tx.ex.dialect === 'postgres'
        // Rows another node is claiming right now are skipped, not waited for: it will have them.
        ? await tx.ex.all<{ id: number }>(sql`SELECT id FROM channel_transactions
            WHERE phase <> ${DONE} AND next_at <= ${t} AND (lease_expires_at IS NULL OR lease_expires_at <= ${t})
            ORDER BY next_at, id LIMIT ${limit} FOR UPDATE SKIP LOCKED`)
        : await tx.ex.all<{ id: number }>(sql`SELECT id FROM channel_transactions
            WHERE phase <> ${DONE} AND next_at <= ${t} AND (lease_expires_at IS NULL OR lease_expires_at <= ${t})
            ORDER BY next_at, id LIMIT ${limit}`)
      const claimed: ChannelTransactionRow[] = []
      for (const { id } of due) {
        // The WHERE clause is the guard: of two claimers of one row only one changes it.
        const row = await tx.ex.get<ChannelTransactionRow>(sql`UPDATE channel_transactions SET lease_owner = ${leaseOwner}, lease_expires_at = ${t + leaseMs}
          WHERE id = ${id} AND phase <> ${DONE} AND next_at <= ${t} AND (lease_expires_at IS NULL OR lease_expires_at <= ${t})
          RETURNING ${COLUMNS}`)
        if (row !== undefined) claimed.push(row)
      }
      return claimed
    }, SELF_GUARDED)
  }

  async release (id: number, leaseOwner: string, nextAt: number): Promise<void> {
    await this.#s.ex.run(sql`UPDATE channel_transactions SET lease_owner = NULL, lease_expires_at = NULL, next_at = ${nextAt}
      WHERE id = ${id} AND lease_owner = ${leaseOwner}`)
  }

  async apply (row: ChannelTransactionRow, leaseOwner: string, c: ChannelTransactionChange): Promise<boolean> {
    this.#s.inTransaction('recording a channel call')
    const t = this.#s.now()
    const { changes } = await this.#s.ex.run(sql`UPDATE channel_transactions SET phase = ${c.phase}, next_at = ${c.nextAt},
        outcome = ${c.outcome ?? row.outcome}, sends = sends + ${c.sent === true ? 1 : 0}, checks = checks + ${c.checked === true ? 1 : 0},
        ambiguous = ${c.ambiguous === true || row.ambiguous === 1 ? 1 : 0},
        accepted_at = ${c.accepted === true ? row.accepted_at ?? t : row.accepted_at},
        provider_status = ${c.providerStatus === undefined ? row.provider_status : c.providerStatus},
        provider_transaction_id = ${c.providerTransactionId === undefined ? row.provider_transaction_id : c.providerTransactionId},
        failure_reason = ${c.failureReason === undefined ? row.failure_reason : c.failureReason},
        last_error = ${c.lastError === undefined ? row.last_error : c.lastError},
        finished_at = ${c.phase === 'done' ? t : null}, updated_at = ${t}, lease_owner = NULL, lease_expires_at = NULL
      WHERE id = ${row.id} AND lease_owner = ${leaseOwner}`)
    return changes === 1
  }

  async settleByOperator (row: ChannelTransactionRow, paid: boolean, providerTransactionId: string | null): Promise<ChannelTransactionRow | undefined> {
    this.#s.inTransaction('settling a refund by hand')
    const t = this.#s.now()
    return await this.#s.ex.get<ChannelTransactionRow>(sql`UPDATE channel_transactions SET phase = ${DONE}, next_at = NULL,
        outcome = ${paid ? SUCCEEDED : FAILED}, provider_status = ${SETTLED_BY_OPERATOR},
        provider_transaction_id = COALESCE(${providerTransactionId}, provider_transaction_id),
        failure_reason = ${paid ? null : 'NOT_PAID'}, finished_at = ${t}, updated_at = ${t}, lease_owner = NULL, lease_expires_at = NULL
      WHERE id = ${row.id} AND kind = ${REFUND} AND updated_at = ${row.updated_at} AND (lease_expires_at IS NULL OR lease_expires_at <= ${t})
      RETURNING ${COLUMNS}`)
  }

  async wake (channelId: string, referenceId: string, notBefore: number): Promise<ChannelTransactionRow | undefined> {
    return await this.#s.write(async (tx) => await tx.ex.get<ChannelTransactionRow>(sql`UPDATE channel_transactions
      SET next_at = CASE WHEN next_at IS NULL OR next_at > CAST(${notBefore} AS BIGINT) THEN CAST(${notBefore} AS BIGINT) ELSE next_at END
      WHERE channel_id = ${channelId} AND reference_id = ${referenceId} AND phase <> ${DONE}
      RETURNING ${COLUMNS}`), SELF_GUARDED)
  }
}

/** What an operator's settling writes as the provider's status: the provider never said. */
const SETTLED_BY_OPERATOR = 'OPERATOR'

function refundData (r: ChannelTransactionRow): RefundData {
  const request = JSON.parse(r.request) as { payeePhone?: string }
  return {
    id: r.public_id,
    amount: formatAmount(r.amount_minor),
    currency: r.currency,
    status: r.outcome === 'succeeded' ? 'SUCCESSFUL' : r.outcome === null ? 'PENDING' : 'FAILED',
    channel: r.channel_id,
    reference_id: r.reference_id,
    payee_phone: request.payeePhone ?? null,
    provider_transaction_id: r.provider_transaction_id,
    failure_reason: r.failure_reason,
    note: r.note,
    created_at: isoMillis(r.created_at),
    updated_at: isoMillis(r.updated_at)
  }
}
