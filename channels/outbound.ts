import PQueue from 'p-queue'
import type { Logger } from 'pino'
import { randomHex } from '../core/ids.js'
import { PollLoop } from '../core/poll-loop.js'
import { RepeatedFailureLog } from '../core/repeated-failure.js'
import type { ChannelTransactionChange, ChannelTransactionRow } from '../ledger/channel-transactions.js'
import type { Ledger, LedgerTx } from '../ledger/ledger.js'
import type { PaymentRow } from '../ledger/payment-model.js'
import { ChannelCallError, type Channel, type ProviderRequest, type ProviderVerdict } from './channel.js'
import { forPayment } from './legs.js'
import type { ChannelRegistry } from './registry.js'
import { expireIfDue, settleFailed, settleSucceeded } from './settle.js'

/** `channel_calls` of the config. Schedules are in seconds; their last entry repeats. */
export interface OutboundSettings {
  timeout_ms: number
  retry_schedule: readonly number[]
  status_schedule: readonly number[]
  poll_interval_ms: number
  concurrency: number
  give_up_after_hours: number
}

export interface OutboundOptions {
  ledger: Ledger
  channels: Pick<ChannelRegistry, 'get'>
  logger: Logger
  settings: OutboundSettings
  now?: () => number
}

/** The JSON kept in a channel transaction's `request`. */
interface StoredRequest {
  externalId?: string
  payerMessage?: string
  payeeNote?: string
  originalTransactionId?: string | null
  method?: string | null
  session?: Record<string, string> | null
}

/** A call to a channel whose config is gone is looked at again this much later (the config may come back). */
const MISSING_CHANNEL_RETRY_MS = 60_000

function delayMs (scheduleSeconds: readonly number[], n: number): number {
  return Math.round((scheduleSeconds[Math.min(n, scheduleSeconds.length - 1)] ?? 60) * 1000)
}

function asChannelError (err: unknown): ChannelCallError {
  return err instanceof ChannelCallError ? err : new ChannelCallError(`channel call failed: ${(err as Error).message}`, { disposition: 'retry', ambiguous: true }, { cause: err })
}

/**
 * Works the durable outbox of provider calls (ledger channel_transactions): claims due rows under a
 * lease, makes each one's call, and records what it taught, with its consequence for the payment,
 * in one transaction.
 *
 * - `send`: asks the provider to collect (or pay back) with the stored reference. Accepted (a 409
 *   for a reference the provider already holds counts) → `check`. Timeouts, 5xx and network errors
 *   are retried with back-off while the payment can still be paid; one that may have reached the
 *   provider marks the row ambiguous, so giving up always asks the provider first. Declined → done,
 *   the payment FAILED with the provider's reason.
 * - `check`: asks the provider for the truth, with back-off (a callback only brings the next check
 *   forward). SUCCESSFUL/FAILED settle the payment; still pending at the payment's expiry, the
 *   payment expires (that was the last check before it) and the provider is still asked until it
 *   answers for good, so money that moves late is never lost: it goes to review.
 *
 * A crash between commit and call leaves a due row that the next start sends, same reference; a
 * crash during a call leaves a lease that lapses, then the call is made again.
 */
export class OutboundWorker {
  readonly #o: Required<OutboundOptions>
  readonly #owner = `obx_${randomHex(8)}`
  readonly #queue: PQueue
  readonly #running = new Set<Promise<void>>()
  readonly #loop: PollLoop
  /** Claims fail every poll while the database is away: said every 30 s, and their recovery once. */
  readonly #claimLog: RepeatedFailureLog
  #inFlight = 0

  constructor (options: OutboundOptions) {
    this.#o = { now: options.ledger.now, ...options }
    this.#queue = new PQueue({ concurrency: options.settings.concurrency })
    this.#loop = new PollLoop(async () => { await this.#claim() }, options.settings.poll_interval_ms)
    this.#claimLog = new RepeatedFailureLog({
      logger: options.logger, now: this.#o.now, failed: 'channel outbox could not claim due calls; retrying', recovered: 'channel outbox claims due calls again'
    })
  }

  /**
   * One call may take a token request, the call, and on a 401 a renewal and the call again, each
   * up to `timeout_ms`: the lease covers all four, so a live worker never loses a row it is still on.
   */
  get leaseMs (): number { return this.#o.settings.timeout_ms * 4 + 2_000 }

  start (): void { this.#loop.start() }

  /** Looks for due calls soon (a payment or refund just committed, a callback arrived). */
  wake (): void { this.#loop.wake() }

  /** Stops claiming and lets calls in hand finish for up to `graceMs`; the rest keep a lease that lapses. */
  async stop (graceMs: number): Promise<void> {
    await this.#loop.stop()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.allSettled([...this.#running]), new Promise((resolve) => { timer = setTimeout(resolve, graceMs) })])
    clearTimeout(timer)
  }

  async #claim (): Promise<void> {
    const free = this.#o.settings.concurrency - this.#inFlight
    if (free <= 0) return
    let rows: ChannelTransactionRow[]
    try {
      rows = await this.#o.ledger.channelTransactions.claimDue(this.#owner, this.leaseMs, free)
      this.#claimLog.succeeded()
    } catch (err) {
      this.#claimLog.failed(err)
      return
    }
    for (const row of rows) {
      this.#inFlight++
      const p = this.#queue.add(async () => { await this.#process(row) })
        .catch((err: unknown) => { this.#o.logger.error({ err, transaction: row.public_id }, 'channel call failed to complete; it is made again once its lease lapses') })
        .finally(() => { this.#inFlight--; this.#running.delete(p); this.wake() })
      this.#running.add(p)
    }
  }

  async #process (row: ChannelTransactionRow): Promise<void> {
    const channel = this.#o.channels.get(row.channel_id)
    if (channel === undefined) {
      const now = this.#o.now()
      if (now >= row.created_at + this.#o.settings.give_up_after_hours * 3_600_000) {
        this.#log('error', row, {}, 'the channel of this transaction is no longer configured; it is no longer followed (check it with the provider)')
        await this.#record(row, { phase: 'done', nextAt: null, outcome: 'abandoned', failureReason: 'CHANNEL_GONE', lastError: 'channel not configured' })
        return
      }
      this.#log('warn', row, {}, 'a channel transaction names a channel that is not configured; waiting for it to come back')
      await this.#o.ledger.channelTransactions.release(row.id, this.#owner, now + MISSING_CHANNEL_RETRY_MS)
      return
    }
    await forPayment(row.payment_id, async () => { await (row.phase === 'send' ? this.#send(channel, row) : this.#check(channel, row)) })
  }

  async #send (channel: Channel, row: ChannelTransactionRow): Promise<void> {
    const now = this.#o.now()
    const stale = this.#cannotSend(row, await this.#o.ledger.payments.getById(row.payment_id), now)
    if (stale !== null) { await this.#stopSending(row, stale, now); return }
    let answered: ProviderVerdict | undefined
    try {
      answered = await (row.kind === 'collection' ? channel.collect(this.#request(row)) : channel.refund(this.#request(row)))
    } catch (err) {
      const e = asChannelError(err)
      if (e.disposition === 'declined') {
        const reason = e.reason ?? 'DECLINED'
        this.#log('warn', row, { reason, error: e.message }, 'the provider refused the transaction')
        await this.#record(row, { phase: 'done', nextAt: null, outcome: 'failed', sent: true, providerStatus: 'REFUSED', failureReason: reason, lastError: e.message },
          async (tx) => { await settleFailed(tx, row, reason) })
        return
      }
      const wait = Math.max(delayMs(this.#o.settings.retry_schedule, row.sends), e.retryAfterMs ?? 0)
      this.#log(e.operatorProblem ? 'error' : 'warn', row, { error: e.message, ambiguous: e.ambiguous, retry_in_ms: wait }, 'provider call failed; sending again with the same reference')
      await this.#record(row, { phase: 'send', nextAt: now + wait, sent: true, ambiguous: e.ambiguous, lastError: e.message })
      return
    }
    this.#log('info', row, {}, 'the provider holds the transaction')
    // A provider whose answer already is final (iPay's refund) is settled now; otherwise checked later.
    if (answered?.state === 'succeeded' || answered?.state === 'failed') { await this.#final(channel, row, answered, now, { sent: true, accepted: true }); return }
    const payment = await this.#o.ledger.payments.getById(row.payment_id)
    await this.#record(row, {
      phase: 'check', nextAt: this.#nextCheck(row, payment, now, 0), sent: true, accepted: true, lastError: null,
      ...(answered?.state === 'pending' ? { providerStatus: answered.providerStatus } : {})
    })
  }

  async #check (channel: Channel, row: ChannelTransactionRow): Promise<void> {
    const now = this.#o.now()
    let verdict: ProviderVerdict
    try {
      const request = this.#request(row)
      verdict = await (row.kind === 'collection' ? channel.collectionStatus(row.reference_id, request) : channel.refundStatus(row.reference_id, request))
    } catch (err) {
      const e = asChannelError(err)
      const wait = Math.max(delayMs(this.#o.settings.status_schedule, row.checks), e.retryAfterMs ?? 0)
      this.#log(e.operatorProblem ? 'error' : 'warn', row, { error: e.message, retry_in_ms: wait }, 'provider status check failed; asking again')
      await this.#record(row, { phase: 'check', nextAt: now + wait, checked: true, lastError: e.message })
      return
    }
    switch (verdict.state) {
      case 'succeeded':
      case 'failed':
        await this.#final(channel, row, verdict, now, { checked: true })
        return
      case 'unknown':
        if (row.accepted_at === null) {
          // Only an unanswered send preceded this: the provider never got it. Send again if we still may.
          const stale = this.#cannotSend(row, await this.#o.ledger.payments.getById(row.payment_id), now)
          if (stale === null) await this.#record(row, { phase: 'send', nextAt: now, checked: true, lastError: 'the provider does not know the reference: sending it again' })
          else await this.#stopSending({ ...row, ambiguous: 0 }, `${stale}; the provider never received it`, now, true)
          return
        }
        await this.#stillPending(row, 'UNKNOWN', now)
        return
      case 'pending':
        await this.#stillPending(row, verdict.providerStatus, now)
    }
  }

  /** A final verdict (from a check, or a provider that answered the send with one): the row is done and the payment settled. */
  async #final (channel: Channel, row: ChannelTransactionRow, verdict: Extract<ProviderVerdict, { state: 'succeeded' | 'failed' }>, now: number,
    counted: Pick<ChannelTransactionChange, 'sent' | 'accepted' | 'checked'>): Promise<void> {
    if (verdict.state === 'succeeded') {
      this.#log('info', row, { provider_transaction_id: verdict.providerTransactionId, provider_status: verdict.providerStatus }, 'the provider says SUCCESSFUL')
      await this.#record(row, {
        phase: 'done', nextAt: null, outcome: 'succeeded', ...counted, providerStatus: verdict.providerStatus,
        providerTransactionId: verdict.providerTransactionId, lastError: null
      }, async (tx) => { await settleSucceeded(tx, channel, row, verdict, now) })
      return
    }
    this.#log('info', row, { reason: verdict.reason, provider_status: verdict.providerStatus }, 'the provider says FAILED')
    await this.#record(row, { phase: 'done', nextAt: null, outcome: 'failed', ...counted, providerStatus: verdict.providerStatus, failureReason: verdict.reason, lastError: null },
      async (tx) => { await settleFailed(tx, row, verdict.reason) })
  }

  /** Nothing final yet: ask again later; expire the payment at its time; give up after the horizon. */
  async #stillPending (row: ChannelTransactionRow, providerStatus: string, now: number): Promise<void> {
    if (now >= row.created_at + this.#o.settings.give_up_after_hours * 3_600_000) {
      this.#log('error', row, { provider_status: providerStatus }, 'the provider never gave a final status; no longer asking (check the transaction with the provider)')
      await this.#record(row, { phase: 'done', nextAt: null, outcome: 'abandoned', checked: true, providerStatus, failureReason: 'NO_FINAL_STATUS' },
        async (tx) => { await expireIfDue(tx, row, now) })
      return
    }
    const payment = await this.#o.ledger.payments.getById(row.payment_id)
    await this.#record(row, { phase: 'check', nextAt: this.#nextCheck(row, payment, now, row.checks + 1), checked: true, providerStatus, lastError: null },
      async (tx) => {
        if (await expireIfDue(tx, row, now)) tx.afterCommit(() => { this.#log('info', row, {}, 'payment expired: the provider had no final status at its expiry; still asking') })
      })
  }

  /** Why this transaction must no longer be sent, or null while it may. */
  #cannotSend (row: ChannelTransactionRow, payment: PaymentRow | undefined, now: number): string | null {
    if (payment === undefined) return 'its payment is gone'
    if (row.kind === 'refund') {
      return now >= row.created_at + this.#o.settings.give_up_after_hours * 3_600_000 ? `not sent within ${this.#o.settings.give_up_after_hours} h` : null
    }
    if (payment.status !== 'PENDING') return `the payment is ${payment.status}`
    if (now >= payment.expires_at) return 'the payment expired before the provider took the request'
    return null
  }

  /**
   * Sending stops. If a send may have reached the provider, ask it first (it may hold the
   * transaction); otherwise the transaction ends: a collection abandoned (its payment expires if due),
   * a refund failed.
   */
  async #stopSending (row: ChannelTransactionRow, why: string, now: number, checked = false): Promise<void> {
    if (row.ambiguous === 1) {
      await this.#record(row, { phase: 'check', nextAt: now, checked, lastError: `${why}: asking the provider whether an earlier send reached it` })
      return
    }
    this.#log('info', row, { why }, 'channel transaction ends unsent')
    await this.#record(row, {
      phase: 'done', nextAt: null, checked, outcome: row.kind === 'refund' ? 'failed' : 'abandoned', failureReason: row.kind === 'refund' ? 'NOT_SENT' : null, lastError: why
    }, async (tx) => { await expireIfDue(tx, row, now) })
  }

  /** The next check: by the schedule, and for a payable collection no later than its expiry (the last check before it). */
  #nextCheck (row: ChannelTransactionRow, payment: PaymentRow | undefined, now: number, n: number): number {
    const next = now + delayMs(this.#o.settings.status_schedule, n)
    if (row.kind === 'collection' && payment?.status === 'PENDING' && payment.expires_at > now) return Math.min(next, payment.expires_at)
    return next
  }

  #request (row: ChannelTransactionRow): ProviderRequest {
    const stored = JSON.parse(row.request) as StoredRequest
    return {
      referenceId: row.reference_id,
      amountMinor: row.amount_minor,
      currency: row.currency,
      party: row.party,
      externalId: stored.externalId ?? row.public_id,
      payerMessage: stored.payerMessage ?? '',
      payeeNote: stored.payeeNote ?? '',
      originalTransactionId: stored.originalTransactionId ?? null,
      method: stored.method ?? null,
      session: stored.session ?? null
    }
  }

  /** Records a call's lesson (and its consequence) under this worker's lease, in one transaction. */
  async #record (row: ChannelTransactionRow, change: ChannelTransactionChange, consequence?: (tx: LedgerTx) => Promise<void>): Promise<void> {
    const kept = await this.#o.ledger.transact(async (tx) => {
      if (!await tx.channelTransactions.apply(row, this.#owner, change)) return false
      await consequence?.(tx)
      return true
    })
    if (!kept) this.#log('warn', row, {}, 'a channel call finished after its lease was taken over; its outcome was not recorded (the other worker records its own)')
  }

  #log (level: 'info' | 'warn' | 'error', row: ChannelTransactionRow, extra: Record<string, unknown>, msg: string): void {
    this.#o.logger[level]({ channel: row.channel_id, transaction: row.public_id, kind: row.kind, reference_id: row.reference_id, payment_id: row.payment_id, ...extra }, msg)
  }
}
