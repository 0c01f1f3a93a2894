import PQueue from 'p-queue'
import type { Logger } from 'pino'
import { Counter, type Registry } from 'prom-client'
import { randomHex } from '../core/ids.js'
import type { Ledger } from '../ledger/ledger.js'
import type { AttemptVerdict, Delivery } from '../ledger/webhook-deliveries.js'
import type { Endpoint } from '../ledger/webhook-endpoints.js'
import type { HttpSender, SendResult } from './http-sender.js'
import { enqueueTest } from './outbox.js'
import { PollLoop } from '../core/poll-loop.js'
import { RepeatedFailureLog } from '../core/repeated-failure.js'
import { retryDelayMs } from './retry-policy.js'
import { momoProxyHeaders, signedHeaders } from './signer.js'

export interface DispatcherOptions {
  ledger: Ledger
  sender: HttpSender
  logger: Logger
  retryScheduleSeconds: readonly number[]
  timeoutMs: number
  concurrency: number
  perEndpointConcurrency: number
  /** Continuous failure for this long disables an endpoint (SPEC §5: 5 days). */
  disableAfterMs: number
  allowPrivateTargets: boolean
  pollMs?: number
  now?: () => number
  /** The daemon's registry (api/metrics.ts), never prom-client's global one. */
  registry?: Registry
}

export interface AttemptOutcome {
  delivery: Delivery
  result: SendResult
  verdict: AttemptVerdict['kind'] | 'skipped'
}

/**
 * A lease outlives the longest attempt (the sender's overall deadline) by this margin, so a live
 * process never loses a row it is still sending; a crashed one's rows come back soon after.
 */
const LEASE_MARGIN_MS = 2_000

/**
 * Sends due outbox rows. The schedule lives in the ledger, not here: this only claims what is due
 * with a lease, sends it through p-queue (bounded overall and per endpoint, so one slow receiver
 * holds at most its own slots), and records the outcome and the next attempt in one transaction.
 * Claims never overlap (core/poll-loop.ts), and every attempt's failure is caught and logged: a
 * rejected promise never floats.
 */
export class Dispatcher {
  readonly #o: Required<Omit<DispatcherOptions, 'registry'>>
  readonly #owner = `dsp_${randomHex(8)}`
  readonly #global: PQueue
  readonly #queues = new Map<string, PQueue>()
  readonly #inFlight = new Map<string, number>()
  readonly #running = new Set<Promise<AttemptOutcome>>()
  readonly #attempts: Counter<'outcome'> | null
  /** Claims never overlap: a wake during a claim runs one more claim after it. */
  readonly #loop: PollLoop
  #total = 0
  #stopped = true
  /** Claims fail every poll while the database is away: said every 30 s, and their recovery once. */
  readonly #claimLog: RepeatedFailureLog
  /** After stop: results that still arrive are dropped (their leases lapse and they are re-sent). */
  #closed = false

  constructor (options: DispatcherOptions) {
    this.#o = { pollMs: 500, now: Date.now, ...options }
    this.#global = new PQueue({ concurrency: options.concurrency })
    this.#attempts = options.registry === undefined
      ? null
      : new Counter({ name: 'harpoon_webhook_attempts_total', help: 'Webhook delivery attempts, by outcome', labelNames: ['outcome'] as const, registers: [options.registry] })
    this.#loop = new PollLoop(async () => { await this.#claim() }, this.#o.pollMs)
    this.#claimLog = new RepeatedFailureLog({
      logger: this.#o.logger, now: this.#o.now, failed: 'webhook dispatcher could not claim deliveries; retrying', recovered: 'webhook dispatcher claims deliveries again'
    })
  }

  get leaseMs (): number { return this.#o.timeoutMs + LEASE_MARGIN_MS }

  start (): void {
    if (!this.#stopped || this.#closed) return
    this.#stopped = false
    this.#loop.start()
  }

  /** Looks for due rows soon (after the current transaction committed, e.g. a new event). */
  wake (): void {
    this.#loop.wake()
  }

  /** Sends `webhook.test` to one endpoint now and waits for the attempt. */
  async sendTest (endpoint: Endpoint): Promise<AttemptOutcome> {
    const { ledger } = this.#o
    const created = await enqueueTest(ledger, endpoint, this.#o.now())
    const claimed = await ledger.webhookDeliveries.claim(this.#owner, created.id, this.leaseMs)
    if (claimed === null) throw new Error('a fresh test delivery could not be claimed')
    return await this.#run(claimed)
  }

  /**
   * Stops claiming, lets attempts in hand finish for up to `graceMs`, then abandons the rest: their
   * rows keep a lease that lapses, and the next start sends them again (same webhook_id).
   */
  async stop (graceMs: number): Promise<void> {
    this.#stopped = true
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      (async () => { await this.#loop.stop(); await Promise.allSettled([...this.#running]) })(),
      new Promise((resolve) => { timer = setTimeout(resolve, graceMs) })
    ])
    clearTimeout(timer)
    this.#closed = true
    await this.#o.sender.close()
  }

  /** Claims what is due and starts sending it; never rejects. */
  async #claim (): Promise<void> {
    const deliveries = this.#o.ledger.webhookDeliveries
    try {
      const free = this.#o.concurrency - this.#total
      if (free <= 0) return
      const claimed = await deliveries.claimDue(this.#owner, this.leaseMs, free, this.#o.perEndpointConcurrency, this.#inFlight)
      this.#claimLog.succeeded()
      for (const d of claimed) {
        // Stopped during the claim: give the rows back rather than leave leases to lapse.
        if (this.#stopped) await deliveries.release(d.id, this.#owner)
        else this.#run(d).catch((err: unknown) => { this.#o.logger.error({ err, delivery: d.id }, 'webhook attempt failed to complete; the row is sent again once its lease lapses') })
      }
    } catch (err) {
      this.#claimLog.failed(err)
    }
  }

  #run (d: Delivery): Promise<AttemptOutcome> {
    this.#total++
    this.#inFlight.set(d.endpointId, (this.#inFlight.get(d.endpointId) ?? 0) + 1)
    let queue = this.#queues.get(d.endpointId)
    if (queue === undefined) {
      queue = new PQueue({ concurrency: this.#o.perEndpointConcurrency })
      this.#queues.set(d.endpointId, queue)
    }
    const endpointQueue = queue
    const p = endpointQueue.add(async () => await this.#global.add(async () => await this.#attempt(d)))
      .finally(() => {
        this.#total--
        const n = (this.#inFlight.get(d.endpointId) ?? 1) - 1
        if (n === 0) this.#inFlight.delete(d.endpointId)
        else this.#inFlight.set(d.endpointId, n)
        if (endpointQueue.size === 0 && endpointQueue.pending === 0) this.#queues.delete(d.endpointId)
        this.#running.delete(p)
        this.wake()
      })
    this.#running.add(p)
    return p
  }

  async #attempt (d: Delivery): Promise<AttemptOutcome> {
    const o = this.#o
    const { ledger } = o
    const endpoint = await ledger.webhookEndpoints.byId(d.endpointId)
    const startedAt = o.now()
    const secrets = endpoint === undefined ? [] : await ledger.webhookEndpoints.secretsOf(endpoint.id)
    if (endpoint === undefined || !endpoint.isActive || secrets.length === 0) {
      // Disabled or deleted since the claim: not an attempt. The row waits, as SPEC §5 keeps it.
      await ledger.webhookDeliveries.release(d.id, this.#owner)
      return { delivery: d, result: { delivered: false, statusCode: null, error: 'endpoint disabled', retryAfterMs: null, responseBody: '', durationMs: 0 }, verdict: 'skipped' }
    }
    // An attempt must end inside its lease, or another node could take the row over and send it while
    // this one still is. A claim that waited too long (a slow database before the send) is let go
    // instead: given back (or, with the database away, left to lapse) for whoever claims it next.
    if (d.leaseExpiresAt !== null && startedAt + o.timeoutMs > d.leaseExpiresAt) {
      await ledger.webhookDeliveries.release(d.id, this.#owner).catch(() => {})
      o.logger.warn({ delivery: d.id, webhook_id: d.webhookId }, 'webhook attempt not started: too little of its lease was left; it is sent again later')
      return { delivery: d, result: { delivered: false, statusCode: null, error: 'lease too short to send', retryAfterMs: null, responseBody: '', durationMs: 0 }, verdict: 'skipped' }
    }
    // The timestamp is this attempt's, taken at send time: a retry is signed afresh. A MoMo proxy
    // client's forward is signed the proxy's way, with its key (the endpoint's one secret).
    const headers = endpoint.kind === 'momo_proxy'
      ? momoProxyHeaders(secrets[0] as string, d.body)
      : signedHeaders({ webhookId: d.webhookId, timestamp: Math.floor(startedAt / 1000), body: d.body, secrets })
    // A payment's own webhook_url (or a proxy request's callbackUrl): the endpoint only lends its
    // secrets and its concurrency slots.
    const ownUrl = d.targetUrl !== null
    const result = await o.sender.send({ url: d.targetUrl ?? endpoint.url, headers, body: d.body, requireHttps: endpoint.mode === 'live' && !o.allowPrivateTargets })
    if (this.#closed) return { delivery: d, result, verdict: 'skipped' }

    let verdict: AttemptVerdict
    if (result.delivered) verdict = { kind: 'delivered' }
    // 410 from a payment's (or a proxy request's) own URL: that URL is gone, so this row is, too (the endpoint is not disabled).
    else if (ownUrl && result.statusCode === 410) verdict = { kind: 'dead' }
    else {
      const delayMs = retryDelayMs({
        failures: d.retryIndex + 1,
        maxRetries: d.maxRetries ?? o.retryScheduleSeconds.length,
        scheduleSeconds: o.retryScheduleSeconds,
        retryAfterMs: result.retryAfterMs
      })
      verdict = delayMs === null ? { kind: 'dead' } : { kind: 'retry', delayMs }
    }
    let disabled: string | null = null
    const recorded = await ledger.webhookDeliveries.complete({
      delivery: d,
      leaseOwner: this.#owner,
      startedAt,
      result,
      verdict,
      // Endpoint health commits with the attempt it describes. A payment's own URL failing says
      // nothing about the endpoint's, and must never disable it.
      alsoRecord: async (tx) => {
        disabled = null
        if (ownUrl) return
        if (result.delivered) { await tx.webhookEndpoints.recordSuccess(endpoint.id); return }
        const failingSince = await tx.webhookEndpoints.recordFailure(endpoint.id)
        // A proxy client's forwards go to each request's own callbackUrl: one URL's failure says
        // nothing of the others, so such an endpoint is never disabled.
        if (endpoint.kind === 'momo_proxy') return
        if (result.statusCode === 410) disabled = 'the endpoint answered 410 Gone'
        else if (o.now() - failingSince >= o.disableAfterMs) disabled = `every attempt failed for ${Math.round(o.disableAfterMs / 3600_000)} h`
        if (disabled !== null && !(await tx.webhookEndpoints.disable(endpoint.id, disabled))) disabled = null
      }
    })
    this.#attempts?.inc({ outcome: recorded ? verdict.kind : 'lease_lost' })
    // Ids, codes and timings only: never the URL (it may carry a token), a header or a secret.
    const log = { delivery: d.id, webhook_id: d.webhookId, endpoint: endpoint.id, own_url: ownUrl, event: d.eventType, status_code: result.statusCode, duration_ms: result.durationMs, outcome: verdict.kind }
    if (!recorded) o.logger.warn(log, 'webhook attempt finished after its lease was taken over; outcome not recorded')
    else if (verdict.kind === 'delivered') o.logger.info(log, 'webhook delivered')
    else o.logger.warn({ ...log, error: result.error, next_attempt_in_ms: verdict.kind === 'retry' ? verdict.delayMs : null }, verdict.kind === 'dead' ? 'webhook delivery is dead after its last retry' : 'webhook attempt failed')
    if (disabled !== null) o.logger.warn({ endpoint: endpoint.id, reason: disabled }, 'webhook endpoint disabled')
    const after = await ledger.webhookDeliveries.byId(d.id) ?? d
    return { delivery: after, result, verdict: verdict.kind }
  }
}
