import type { Logger } from 'pino'
import { Counter, type Registry } from 'prom-client'
import { randomHex } from '../core/ids.js'
import type { Ledger } from '../ledger/ledger.js'
import type { AttemptVerdict, ClaimedDelivery, DeliveredAttempt, Delivery } from '../ledger/webhook-deliveries.js'
import type { Endpoint } from '../ledger/webhook-endpoints.js'
import type { HttpSender, SendResult } from './http-sender.js'
import { enqueueTest } from './outbox.js'
import { PollLoop } from '../core/poll-loop.js'
import { RepeatedFailureLog } from '../core/repeated-failure.js'
import { retryDelayMs } from './retry-policy.js'
import { momoProxyHeaders, signedHeaders, signingKeys } from './signer.js'

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

/** What one attempt came to. */
export interface AttemptOutcome {
  result: SendResult
  verdict: AttemptVerdict['kind'] | 'skipped'
}

/** The test call's attempt, with its delivery row as it stands after the attempt. */
export interface TestOutcome extends AttemptOutcome {
  delivery: Delivery
}

/**
 * A lease outlives the attempt's timeout by this margin, so a live process never loses a row it is
 * still sending (the sender's deadline may pass the timeout by one of its slots, at most 100 ms:
 * `sender.longestAttemptMs`, which #attempt checks); a crashed one's rows come back soon after.
 */
const LEASE_MARGIN_MS = 2_000

/**
 * A quick endpoint's rows claimed ahead: at most this many times its `perEndpointConcurrency`, and no
 * more than it sends in half of LEASE_MARGIN_MS (the time a claimed row has to start its attempt).
 */
const AHEAD = 256
/** Rows held (claimed, sending or about to) across endpoints: at most this many times `concurrency`. */
const HELD_PER_SLOT = 128

/**
 * Outcomes are written together: up to this many, or whatever ended within OUTCOME_LINGER_MS, or
 * with the next claim, or at once when nothing else is being sent. One commit for the lot instead
 * of one each (an outcome is no promise to anyone: one lost to a crash is an attempt sent again,
 * with its webhook_id, and its lease is the attempt's timeout plus LEASE_MARGIN_MS away).
 */
const OUTCOME_BATCH = 1024
const OUTCOME_LINGER_MS = 250

/** The outcome of a claimed row that was not sent (its endpoint disabled, its lease too short): no attempt. */
function notSent (error: string): AttemptOutcome {
  return { result: { delivered: false, statusCode: null, error, retryAfterMs: null, responseBody: '', durationMs: 0 }, verdict: 'skipped' }
}

/** An endpoint as read right after its rows were claimed: where to send, and the headers of an attempt (signed with its secrets then). */
interface Target { endpoint: Endpoint, headers: (delivery: ClaimedDelivery, startedAt: number) => Record<string, string> }

/** A delivered attempt waiting for its batch's write: told whether its lease still held, or the write's failure. */
interface WaitingDelivered { attempt: DeliveredAttempt, recorded: (yes: boolean) => void, failed: (err: unknown) => void }

/** A claimed row waiting for a slot; `target` null when its endpoint is disabled, deleted or has no secret. */
interface Held {
  delivery: ClaimedDelivery
  target: Target | null
  /** sendTest waits for its attempt's recorded outcome. */
  waiter?: { resolve: (o: AttemptOutcome) => void, reject: (err: unknown) => void }
}

/** One endpoint's rows in this process: claimed and waiting, and being sent. */
interface Lane {
  readonly ready: Held[]
  sending: number
  /** Smoothed duration of its attempts (ms); null until one ended. */
  avgMs: number | null
  /** The last claim found fewer due rows than it had room for: no need to claim again until woken. */
  drained: boolean
}

/**
 * Sends due outbox rows. The schedule lives in the ledger, not here: this claims due rows in
 * batches under a lease (one transaction a batch), keeps them in a lane per endpoint and sends from
 * the lanes, at most `concurrency` at once and `perEndpointConcurrency` per endpoint, so one slow
 * receiver holds at most its own slots. A slot freed by a response takes the lane's next claimed
 * row at once: claims run ahead of the sends (for an endpoint whose attempts are quick, up to AHEAD
 * times its slots, never more than it sends in half the lease's margin, so every held row starts
 * its attempt inside its lease; for a slow one, only its free slots). Each outcome, with the next
 * attempt's time, is written without holding the slot, and outcomes are written together
 * (OUTCOME_BATCH, OUTCOME_LINGER_MS, or with a lane's next claim, in the same commit): the delivered
 * ones in one statement for the batch, each other one in its own transaction with its endpoint's
 * health (the SQLite engine's group commit puts them in one). Claims never overlap (core/poll-loop.ts), and every
 * attempt's failure is caught and logged: a rejected promise never floats.
 */
export class Dispatcher {
  readonly #o: Required<Omit<DispatcherOptions, 'registry'>>
  readonly #owner = `dsp_${randomHex(8)}`
  readonly #lanes = new Map<string, Lane>()
  /** Attempts being sent and outcomes being written: stop() waits for them. */
  readonly #running = new Set<Promise<unknown>>()
  readonly #attempts: Counter<'outcome'> | null
  /** Claims never overlap: a wake during a claim runs one more claim after it. */
  readonly #loop: PollLoop
  #sending = 0
  /** Failed attempts' outcomes waiting to be written with the batch (each resolves to write its own transaction). */
  readonly #outcomes: Array<() => void> = []
  /** Delivered attempts waiting to be written with the batch: one statement for them all (recordDelivered). */
  readonly #delivered: WaitingDelivered[] = []
  /** A lane ran low and its claim is asked for: no second ask (nor early write of outcomes) until it ran. */
  #claimAsked = false
  #outcomeTimer: NodeJS.Timeout | null = null
  #stopped = true
  /** Claims fail every poll while the database is away: said every 30 s, and their recovery once. */
  readonly #claimLog: RepeatedFailureLog
  /** After stop: results that still arrive are dropped (their leases lapse and they are re-sent). */
  #closed = false

  constructor (options: DispatcherOptions) {
    this.#o = { pollMs: 500, now: Date.now, ...options }
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
    for (const lane of this.#lanes.values()) lane.drained = false
    this.#loop.wake()
  }

  /** Sends `webhook.test` to one endpoint now (ahead of its lane's other rows) and waits for the attempt. */
  async sendTest (endpoint: Endpoint): Promise<TestOutcome> {
    const { ledger } = this.#o
    const claimed = await enqueueTest(ledger, endpoint, this.#o.now(), { owner: this.#owner, leaseMs: this.leaseMs })
    const target = await this.#target(claimed.endpointId)
    const outcome = await new Promise<AttemptOutcome>((resolve, reject) => {
      this.#lane(claimed.endpointId).ready.unshift({ delivery: claimed, target, waiter: { resolve, reject } })
      this.#pump()
    })
    return { ...outcome, delivery: await ledger.webhookDeliveries.byId(claimed.id) ?? claimed }
  }

  /**
   * Stops claiming, gives back the rows claimed but not yet sent, lets attempts in hand finish for up
   * to `graceMs`, then abandons the rest: their rows keep a lease that lapses, and the next start
   * sends them again (same webhook_id).
   */
  async stop (graceMs: number): Promise<void> {
    this.#stopped = true
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      (async () => {
        await this.#loop.stop()
        this.#writeOutcomes()
        await this.#releaseHeld()
        while (this.#running.size > 0) await Promise.allSettled([...this.#running])
      })(),
      new Promise((resolve) => { timer = setTimeout(resolve, graceMs) })
    ])
    clearTimeout(timer)
    this.#closed = true
    for (const lane of this.#lanes.values()) {
      for (const h of lane.ready.splice(0)) h.waiter?.reject(new Error('the dispatcher stopped'))
    }
    await this.#o.sender.close()
  }

  #lane (endpointId: string): Lane {
    let lane = this.#lanes.get(endpointId)
    if (lane === undefined) {
      lane = { ready: [], sending: 0, avgMs: null, drained: false }
      this.#lanes.set(endpointId, lane)
    }
    return lane
  }

  /** How many rows of an endpoint this process holds at most: its slots, and for a quick endpoint the rows it sends next. */
  #depth (lane: Lane | undefined): number {
    const per = this.#o.perEndpointConcurrency
    if (lane?.avgMs == null) return per
    // A held row must start its attempt within the lease's margin over the timeout (LEASE_MARGIN_MS,
    // see #attempt); the last one starts after about depth / per attempts: half that margin at most.
    const withinLease = Math.floor((per * LEASE_MARGIN_MS) / (2 * Math.max(1, lane.avgMs)))
    return Math.max(per, Math.min(per * AHEAD, withinLease))
  }

  #room (endpointId: string): number {
    const lane = this.#lanes.get(endpointId)
    return this.#depth(lane) - (lane === undefined ? 0 : lane.ready.length + lane.sending)
  }

  #held (): number {
    let n = 0
    for (const lane of this.#lanes.values()) n += lane.ready.length + lane.sending
    return n
  }

  async #target (endpointId: string): Promise<Target | null> {
    const { ledger } = this.#o
    const endpoint = await ledger.webhookEndpoints.byId(endpointId)
    if (endpoint === undefined || !endpoint.isActive) return null
    const secrets = await ledger.webhookEndpoints.secretsOf(endpoint.id)
    const newest = secrets[0]
    if (newest === undefined) return null
    // The timestamp is the attempt's, taken at send time: a retry is signed afresh. A MoMo proxy
    // client's forward is signed the proxy's way, with its key (the endpoint's one secret).
    if (endpoint.kind === 'momo_proxy') return { endpoint, headers: (d) => momoProxyHeaders(newest, d.body) }
    const keys = signingKeys(secrets)
    return { endpoint, headers: (d, startedAt) => signedHeaders({ webhookId: d.webhookId, timestamp: Math.floor(startedAt / 1000), body: d.body, keys }) }
  }

  /** Claims what is due, as room allows, and starts sending it; never rejects. */
  async #claim (): Promise<void> {
    const deliveries = this.#o.ledger.webhookDeliveries
    try {
      const limit = this.#o.concurrency * HELD_PER_SLOT - this.#held()
      if (limit <= 0) return
      const rooms = new Map<string, number>()
      const claimed = await deliveries.claimDue(this.#owner, this.leaseMs, limit, (endpointId) => {
        const room = this.#room(endpointId)
        rooms.set(endpointId, room)
        return room
      })
      this.#claimLog.succeeded()
      // Each endpoint read once a batch: its rows are signed with the secrets valid at their claim.
      const targets = new Map<string, Target | null>()
      for (const d of claimed) if (!targets.has(d.endpointId)) targets.set(d.endpointId, await this.#target(d.endpointId))
      const got = new Map<string, number>()
      for (const d of claimed) {
        // Stopped during the claim: give the rows back rather than leave leases to lapse.
        if (this.#stopped) { await deliveries.release(d.id, this.#owner); continue }
        this.#lane(d.endpointId).ready.push({ delivery: d, target: targets.get(d.endpointId) ?? null })
        got.set(d.endpointId, (got.get(d.endpointId) ?? 0) + 1)
      }
      // A lane whose endpoint was not asked (disabled or deleted meanwhile) has nothing more to claim either.
      for (const [endpointId, lane] of this.#lanes) {
        const room = rooms.get(endpointId)
        lane.drained = room === undefined || (got.get(endpointId) ?? 0) < room
      }
      this.#pump()
    } catch (err) {
      this.#claimLog.failed(err)
    } finally {
      this.#claimAsked = false
    }
  }

  /** Fills free slots from the lanes, one endpoint after another; claims again when a lane runs low. */
  #pump (): void {
    const { concurrency, perEndpointConcurrency: per } = this.#o
    let started = true
    while (started && this.#sending < concurrency && !this.#closed) {
      started = false
      for (const [endpointId, lane] of [...this.#lanes]) {
        if (this.#sending >= concurrency) break
        if (lane.sending >= per) continue
        const held = lane.ready.shift()
        if (held === undefined) continue
        this.#send(lane, held)
        started = true
        // To the back of the line: the next free slot goes to another endpoint first.
        this.#lanes.delete(endpointId)
        this.#lanes.set(endpointId, lane)
      }
    }
    let low = false
    for (const [endpointId, lane] of this.#lanes) {
      if (lane.ready.length === 0 && lane.sending === 0 && lane.drained) this.#lanes.delete(endpointId)
      // Running low, and with room to claim: a lane whose slots are all sending waits for one to free.
      else if (!lane.drained && lane.ready.length * 2 <= this.#depth(lane) && this.#room(endpointId) > 0) {
        low = true
      }
    }
    if (!low || this.#stopped || this.#claimAsked) return
    this.#claimAsked = true
    // Every commit blocks the event loop for its fsync, and a loaded disk makes that milliseconds:
    // the waiting outcomes are written now, with the claim, so both share one commit. The claim's
    // wake comes first: it runs before the engine's next group starts, and joins the outcomes' commit.
    this.#loop.wake()
    this.#writeOutcomes()
  }

  #send (lane: Lane, held: Held): void {
    lane.sending++
    this.#sending++
    const p = this.#attempt(held, (durationMs) => {
      // The slot is free once the response is in: the outcome is written without holding it.
      lane.avgMs = lane.avgMs === null ? durationMs : lane.avgMs * 0.8 + durationMs * 0.2
      lane.sending--
      this.#sending--
      this.#pump()
    })
      .then((outcome) => { held.waiter?.resolve(outcome) }, (err: unknown) => {
        if (held.waiter !== undefined) held.waiter.reject(err)
        else this.#o.logger.error({ err, delivery: held.delivery.id }, 'webhook attempt failed to complete; the row is sent again once its lease lapses')
      })
      .finally(() => { this.#running.delete(p) })
    this.#running.add(p)
  }

  /** Resolves when this outcome may be written: with the others of its batch. */
  async #outcomeTurn (now: boolean): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#outcomes.push(resolve)
      this.#outcomeWaits(now)
    })
  }

  /** Resolves once this delivered attempt is written with the others of its batch: whether its lease still held. */
  async #deliveredTurn (attempt: DeliveredAttempt): Promise<boolean> {
    return await new Promise<boolean>((resolve, reject) => {
      this.#delivered.push({ attempt, recorded: resolve, failed: reject })
      this.#outcomeWaits(false)
    })
  }

  #outcomeWaits (now: boolean): void {
    if (now || this.#stopped || this.#sending === 0 || this.#outcomes.length + this.#delivered.length >= OUTCOME_BATCH) this.#writeOutcomes()
    else this.#outcomeTimer ??= setTimeout(() => { this.#writeOutcomes() }, OUTCOME_LINGER_MS)
  }

  #writeOutcomes (): void {
    if (this.#outcomeTimer !== null) clearTimeout(this.#outcomeTimer)
    this.#outcomeTimer = null
    const delivered = this.#delivered.splice(0)
    if (delivered.length > 0) {
      const p = this.#writeDelivered(delivered).finally(() => { this.#running.delete(p) })
      this.#running.add(p)
    }
    for (const go of this.#outcomes.splice(0)) go()
  }

  /** Writes delivered attempts in one statement; if that fails, each on its own, so one bad row costs only itself. */
  async #writeDelivered (batch: WaitingDelivered[]): Promise<void> {
    const deliveries = this.#o.ledger.webhookDeliveries
    try {
      const recorded = await deliveries.recordDelivered(this.#owner, batch.map((b) => b.attempt))
      for (const b of batch) b.recorded(recorded.has(b.attempt.id))
      return
    } catch { /* each alone, below */ }
    for (const b of batch) {
      try {
        b.recorded((await deliveries.recordDelivered(this.#owner, [b.attempt])).has(b.attempt.id))
      } catch (err) {
        b.failed(err)
      }
    }
  }

  /** Gives back every claimed row not yet sent (stopping). */
  async #releaseHeld (): Promise<void> {
    for (const lane of this.#lanes.values()) {
      for (const h of lane.ready.splice(0)) {
        await this.#o.ledger.webhookDeliveries.release(h.delivery.id, this.#owner).catch(() => {})
        h.waiter?.reject(new Error('the dispatcher stopped'))
      }
    }
  }

  /**
   * One attempt: sends, calls `freed` once the response is in (or the attempt did not happen), then
   * records the outcome and the next attempt in one transaction.
   */
  async #attempt (held: Held, freed: (durationMs: number) => void): Promise<AttemptOutcome> {
    const o = this.#o
    const { ledger } = o
    const d = held.delivery
    let free: ((durationMs: number) => void) | null = freed
    const release = (durationMs: number): void => { const f = free; free = null; f?.(durationMs) }
    try {
      const startedAt = o.now()
      const target = held.target
      if (target === null) {
        release(0)
        // Disabled or deleted since the claim: not an attempt. The row waits, as SPEC §5 keeps it.
        await ledger.webhookDeliveries.release(d.id, this.#owner)
        return notSent('endpoint disabled')
      }
      // An attempt must end inside its lease, or another node could take the row over and send it while
      // this one still is. A claim that waited too long (a slow database before the send) is let go
      // instead: given back (or, with the database away, left to lapse) for whoever claims it next.
      if (d.leaseExpiresAt !== null && startedAt + o.sender.longestAttemptMs > d.leaseExpiresAt) {
        release(0)
        await ledger.webhookDeliveries.release(d.id, this.#owner).catch(() => {})
        o.logger.warn({ delivery: d.id, webhook_id: d.webhookId }, 'webhook attempt not started: too little of its lease was left; it is sent again later')
        return notSent('lease too short to send')
      }
      const { endpoint } = target
      const headers = target.headers(d, startedAt)
      // A payment's own webhook_url (or a proxy request's callbackUrl): the endpoint only lends its
      // secrets and its concurrency slots.
      const ownUrl = d.targetUrl !== null
      const result = await o.sender.send({ url: d.targetUrl ?? endpoint.url, headers, body: d.body, requireHttps: endpoint.mode === 'live' && !o.allowPrivateTargets })
      release(result.durationMs)
      if (this.#closed) return { result, verdict: 'skipped' }
      return await this.#record(held, endpoint, ownUrl, startedAt, result)
    } finally {
      release(0)
    }
  }

  async #record (held: Held, endpoint: Endpoint, ownUrl: boolean, startedAt: number, result: SendResult): Promise<AttemptOutcome> {
    const o = this.#o
    const { ledger } = o
    const d = held.delivery
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
    let recorded: boolean
    if (verdict.kind === 'delivered' && held.waiter === undefined && result.statusCode !== null) {
      // A delivered attempt nobody waits for is written with its batch's others, in one statement.
      recorded = await this.#deliveredTurn({
        id: d.id, startedAt, statusCode: result.statusCode, responseBody: result.responseBody, durationMs: result.durationMs, healthOf: ownUrl ? null : endpoint.id
      })
    } else {
      await this.#outcomeTurn(held.waiter !== undefined)
      recorded = await ledger.webhookDeliveries.complete({
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
    }
    this.#attempts?.inc({ outcome: recorded ? verdict.kind : 'lease_lost' })
    // Ids, codes and timings only: never the URL (it may carry a token), a header or a secret.
    const log = { delivery: d.id, webhook_id: d.webhookId, endpoint: endpoint.id, own_url: ownUrl, event: d.eventType, status_code: result.statusCode, duration_ms: result.durationMs, outcome: verdict.kind }
    if (!recorded) o.logger.warn(log, 'webhook attempt finished after its lease was taken over; outcome not recorded')
    // A line per delivery at debug only: each attempt is kept in the ledger (GET …/deliveries), and at
    // info the line cost 20 µs of a delivery's CPU (README, Performance: webhook_fanout).
    else if (verdict.kind === 'delivered') o.logger.debug(log, 'webhook delivered')
    else o.logger.warn({ ...log, error: result.error, next_attempt_in_ms: verdict.kind === 'retry' ? verdict.delayMs : null }, verdict.kind === 'dead' ? 'webhook delivery is dead after its last retry' : 'webhook attempt failed')
    if (disabled !== null) {
      o.logger.warn({ endpoint: endpoint.id, reason: disabled }, 'webhook endpoint disabled')
      // Its rows claimed ahead are not sent: they wait with the endpoint, as SPEC §5 keeps them.
      for (const h of this.#lanes.get(endpoint.id)?.ready.splice(0) ?? []) {
        await ledger.webhookDeliveries.release(h.delivery.id, this.#owner).catch(() => {})
        h.waiter?.resolve(notSent('endpoint disabled'))
      }
    }
    return { result, verdict: verdict.kind }
  }
}
