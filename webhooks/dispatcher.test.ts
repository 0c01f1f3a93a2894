import { createHmac } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { afterEach, describe, expect, it } from 'vitest'
import { webhookHarness, type Harness } from '../test/webhooks/harness.js'
import { startReceiver, until, type Receiver } from '../test/webhooks/receiver.js'
import { createEndpoint } from './endpoints.js'

describe('outbox and dispatcher', () => {
  let h: Harness
  const receivers: Receiver[] = []
  const receiver = async (...args: Parameters<typeof startReceiver>): Promise<Receiver> => {
    const r = await startReceiver(...args)
    receivers.push(r)
    return r
  }
  afterEach(async () => {
    await h.close()
    await Promise.all(receivers.splice(0).map(async (r) => { await r.close() }))
  })

  it('writes one delivery per subscribed endpoint in the transaction of the change, and sends it signed, byte for byte', async () => {
    h = await webhookHarness()
    const r = await receiver()
    const { endpoint, secret } = await createEndpoint(h.ledger, h.owner, { url: r.url, events: ['transaction.cancelled'] })
    await createEndpoint(h.ledger, h.owner, { url: r.url, events: ['transaction.refunded'] }) // not subscribed
    await createEndpoint(h.ledger, { ...h.owner, mode: 'live' }, { url: r.url }) // other mode
    const reference = await h.cancelPayment()
    const [d, ...rest] = (await h.deliveries())
    expect(rest).toHaveLength(0)
    expect(d).toMatchObject({ endpoint_id: endpoint.id, status: 'pending', event_type: 'transaction.cancelled' })
    expect(d?.webhook_id).toMatch(/^whk_[0-9a-f]{32}$/)
    const body = JSON.parse(d?.body ?? '') as Record<string, unknown>
    expect(Object.keys(body)).toEqual(['event', 'webhook_id', 'timestamp', 'sequence', 'data'])
    expect(body).toMatchObject({ event: 'transaction.cancelled', webhook_id: d?.webhook_id, sequence: 2, data: { reference, status: 'CANCELLED', sequence: 2, meta: { order: 1 } } })

    h.webhooks.dispatcher.start()
    await r.waitFor(1)
    const got = r.requests[0]
    expect(got?.body).toBe(d?.body)
    const ts = got?.headers['x-harpoon-timestamp'] as string
    expect(got?.headers['x-harpoon-signature']).toBe('sha256=' + createHmac('sha256', secret).update(`${ts}.${d?.body ?? ''}`).digest('hex'))
    expect(got?.headers['x-harpoon-webhook-id']).toBe(d?.webhook_id)
    expect(got?.headers['user-agent']).toBe('Harpoon-Webhook/1.0')
    expect(new Webhook(secret).verify(got?.body ?? '', got?.headers as Record<string, string>)).toMatchObject({ event: 'transaction.cancelled' })
    await until(async () => (await h.deliveries())[0]?.status === 'delivered', 5000, 'delivered')
    expect(await h.ledger.webhookEndpoints.get(h.owner, endpoint.id)).toMatchObject({ consecutiveFailures: 0, lastFailureAt: null })
    expect((await h.ledger.webhookEndpoints.get(h.owner, endpoint.id)).lastSuccessAt).not.toBeNull()
  })

  it('writes nothing when the change rolls back', async () => {
    h = await webhookHarness()
    await createEndpoint(h.ledger, h.owner, { url: 'http://127.0.0.1:9/x' })
    const { payment } = await h.ledger.payments.initialize(h.owner, { amountMinor: 100, currency: 'GHS', clientReference: null, customerPhone: null, meta: null, expiresInSeconds: 3600 })
    await expect(h.ledger.transact(async (tx) => {
      await tx.paymentStatus.change(payment, { status: 'CANCELLED' })
      throw new Error('crash after the change')
    })).rejects.toThrow('crash')
    expect((await h.deliveries())).toHaveLength(0)
  })

  it('sends transaction.completed again when a completed payment\'s amount changes, each with its own webhook_id', async () => {
    h = await webhookHarness()
    await createEndpoint(h.ledger, h.owner, { url: 'http://127.0.0.1:9/x', events: ['transaction.completed'] })
    const { payment } = await h.ledger.payments.initialize(h.owner, { amountMinor: 10_000, currency: 'GHS', clientReference: null, customerPhone: null, meta: null, expiresInSeconds: 3600 })
    await h.ledger.transact(async (tx) => {
      const partial = await tx.paymentStatus.change(payment, { status: 'PARTIAL', actualMinor: 5_000 })
      await tx.paymentStatus.change(partial, { status: 'SUCCESS', actualMinor: 10_000 })
    })
    const rows = (await h.deliveries())
    expect(rows.map((r) => JSON.parse(r.body).data.actual_amount)).toEqual(['50.00', '100.00'])
    // Created without meta: the webhook carries `{}`, as the API does.
    expect(rows.map((r) => JSON.parse(r.body).data.meta)).toEqual([{}, {}])
    expect(new Set(rows.map((r) => r.webhook_id)).size).toBe(2)
  })

  it('queues credit.unmatched for endpoints that subscribed to it, with the credit as data', async () => {
    h = await webhookHarness()
    const { endpoint } = await createEndpoint(h.ledger, h.owner, { url: 'http://127.0.0.1:9/x', events: ['credit.unmatched'] })
    await createEndpoint(h.ledger, h.owner, { url: 'http://127.0.0.1:9/y', events: ['transaction.completed'] })
    const credit = { telco_provider: 'mtn', telco_transaction_id: '12345678901', amount: '250.00', currency: 'GHS', payer_phone: '0244123456', payer_name: 'KOFI MENSAH', reference: 'HKMVR3' }
    await h.ledger.transact(async (tx) => {
      await tx.events.append({ merchantId: h.owner.merchantId, mode: h.owner.mode, type: 'credit.unmatched', paymentId: null, creditId: null, data: credit })
    })
    const rows = (await h.deliveries())
    expect(rows.map((r) => r['endpoint_id'])).toEqual([endpoint.id])
    expect(JSON.parse(rows[0]?.body ?? '')).toMatchObject({ event: 'credit.unmatched', data: credit })
  })

  it('retries a receiver that is down, then delivers once it is up, keeping the webhook_id', async () => {
    h = await webhookHarness()
    const r = await receiver()
    const port = r.port
    await r.close()
    await createEndpoint(h.ledger, h.owner, { url: `http://127.0.0.1:${port}/hook` })
    await h.cancelPayment()
    h.webhooks.dispatcher.start()
    await until(async () => ((await h.deliveries())[0]?.attempts ?? 0) >= 1, 5000, 'first failed attempt')
    expect((await h.deliveries())[0]).toMatchObject({ status: 'pending' })
    expect((await h.deliveries())[0]?.last_error).toMatch(/ECONNREFUSED/)
    // The same port comes back up.
    const back = await receiver(undefined, port)
    await back.waitFor(1, 10_000)
    await until(async () => (await h.deliveries())[0]?.status === 'delivered', 5000, 'delivered')
    expect(back.requests[0]?.headers['x-harpoon-webhook-id']).toBe((await h.deliveries())[0]?.webhook_id)
  })

  it('retries 4xx and 5xx on the schedule, then dead-letters; replay re-sends with the same webhook_id', async () => {
    h = await webhookHarness({ retry_schedule: [1, 1] })
    let answer = 500
    const r = await receiver((_q, res, n) => { res.writeHead(n === 1 ? 400 : answer).end() })
    const { endpoint } = await createEndpoint(h.ledger, h.owner, { url: r.url })
    await h.cancelPayment()
    h.webhooks.dispatcher.start()
    await until(async () => (await h.deliveries())[0]?.status === 'dead', 15_000, 'dead letter')
    expect(r.requests).toHaveLength(3)
    expect(new Set(r.requests.map((q) => q.headers['x-harpoon-webhook-id'])).size).toBe(1)
    expect((await h.deliveries())[0]).toMatchObject({ attempts: 3, last_status_code: 500, next_attempt_at: null })
    expect((await h.ledger.webhookEndpoints.get(h.owner, endpoint.id)).consecutiveFailures).toBe(3)
    expect((await h.ledger.webhookDeliveries.attempts((await h.deliveries())[0]?.id ?? '')).map((a) => a.status_code)).toEqual([400, 500, 500])

    answer = 200
    await h.ledger.webhookDeliveries.replay(h.owner, (await h.deliveries())[0]?.id ?? '')
    await until(async () => (await h.deliveries())[0]?.status === 'delivered', 5000, 'replayed')
    expect(r.requests[3]?.headers['x-harpoon-webhook-id']).toBe(r.requests[0]?.headers['x-harpoon-webhook-id'])
    expect(r.requests[3]?.body).toBe(r.requests[0]?.body)
    expect((await h.ledger.webhookEndpoints.get(h.owner, endpoint.id)).consecutiveFailures).toBe(0)
  })

  it('disables the endpoint on 410 and keeps its deliveries', async () => {
    const clock = { t: Date.now() }
    h = await webhookHarness({}, undefined, () => clock.t)
    const r = await receiver((_q, res) => { res.writeHead(410).end() })
    const { endpoint } = await createEndpoint(h.ledger, h.owner, { url: r.url })
    await h.cancelPayment()
    h.webhooks.dispatcher.start()
    await until(async () => !(await h.ledger.webhookEndpoints.get(h.owner, endpoint.id)).isActive, 5000, 'disabled')
    expect((await h.ledger.webhookEndpoints.get(h.owner, endpoint.id)).disabledReason).toMatch(/410/)
    // No active endpoint: nothing new is queued (the dispatcher sends only outbox rows).
    await h.cancelPayment()
    expect((await h.deliveries()).map((d) => d.status)).toEqual(['pending'])
    // And the kept row is never claimed while the endpoint is disabled, even a day later when it is
    // long due: shown by the ledger's clock and a claim of our own, not by waiting.
    await h.webhooks.dispatcher.stop(1000)
    clock.t += 86_400_000
    expect(await h.ledger.webhookDeliveries.claimDue('probe', 1000, 10, () => 4)).toEqual([])
    expect(r.requests).toHaveLength(1)
  })

  it('disables an endpoint after the configured time of continuous failure', async () => {
    h = await webhookHarness({ disable_after_days: 1 / 86_400 }) // one second
    const r = await receiver((_q, res) => { res.writeHead(500).end() })
    const { endpoint } = await createEndpoint(h.ledger, h.owner, { url: r.url })
    await h.cancelPayment()
    h.webhooks.dispatcher.start()
    await until(async () => !(await h.ledger.webhookEndpoints.get(h.owner, endpoint.id)).isActive, 10_000, 'disabled')
    expect((await h.ledger.webhookEndpoints.get(h.owner, endpoint.id)).disabledReason).toMatch(/failed/)
  })

  it('honours Retry-After on 429 when it is longer than the schedule', async () => {
    h = await webhookHarness()
    const r = await receiver((_q, res, n) => { res.writeHead(n === 1 ? 429 : 200, { 'retry-after': '3' }).end() })
    await createEndpoint(h.ledger, h.owner, { url: r.url })
    await h.cancelPayment()
    h.webhooks.dispatcher.start()
    await until(async () => ((await h.deliveries())[0]?.attempts ?? 0) === 1, 5000, 'first attempt')
    const d = (await h.deliveries())[0]
    // The schedule says ~1 s; the receiver asked for 3 s.
    expect((d?.next_attempt_at ?? 0) - (d?.last_attempt_at ?? 0)).toBeGreaterThanOrEqual(3000)
    await r.waitFor(2, 10_000)
    await until(async () => (await h.deliveries())[0]?.status === 'delivered', 5000, 'delivered')
  })

  it('does not let a hanging endpoint delay another', async () => {
    h = await webhookHarness({ timeout_ms: 5000, per_endpoint_concurrency: 1, concurrency: 4 })
    const slow = await receiver(() => { /* hangs until the timeout */ })
    const fast = await receiver()
    await createEndpoint(h.ledger, h.owner, { url: slow.url })
    // A backlog for the slow endpoint, due before anything of the fast one.
    for (let i = 0; i < 30; i++) await h.cancelPayment()
    const { endpoint: fastEndpoint } = await createEndpoint(h.ledger, h.owner, { url: fast.url })
    for (let i = 0; i < 6; i++) await h.cancelPayment()
    // Claims counted: a lane whose slots are all busy must not make the dispatcher claim again and again.
    const deliveries = h.ledger.webhookDeliveries
    const claimDue = deliveries.claimDue.bind(deliveries)
    let claims = 0
    deliveries.claimDue = async (...args) => { claims++; return await claimDue(...args) }
    h.webhooks.dispatcher.start()
    await fast.waitFor(6, 10_000)
    // Every fast delivery went out while the slow endpoint still held its single slot.
    expect(slow.requests).toHaveLength(1)
    await until(async () => (await h.deliveries()).filter((d) => d.status === 'delivered').length === 6, 5000, 'six delivered')
    expect((await h.deliveries()).filter((d) => d.status === 'pending')).toHaveLength(36)
    expect(slow.requests).toHaveLength(1)
    // Nothing of the slow endpoint is claimed ahead of its one slot: its backlog waits unleased.
    const slowRows = (await h.deliveries()).filter((d) => d.endpoint_id !== fastEndpoint.id)
    expect(slowRows.filter((d) => d.lease_owner !== null)).toHaveLength(1)
    // A claim per poll and per freed slot, not a loop (one spun thousands of times here while the slot hung).
    expect(claims).toBeLessThan(200)
  })

  it('sends a test delivery itself though a claim loop runs between its insert and its send', async () => {
    h = await webhookHarness()
    const r = await receiver()
    const { endpoint } = await createEndpoint(h.ledger, h.owner, { url: r.url })
    // Another node's claim loop, run right after the test row commits: before the row was born leased,
    // this claim took it and the test call failed ("could not be claimed"; seen once in CI on PostgreSQL).
    const deliveries = h.ledger.webhookDeliveries
    const insert = deliveries.insert.bind(deliveries)
    const takenByOther: string[] = []
    deliveries.insert = async (d) => {
      const row = await insert(d)
      takenByOther.push(...(await deliveries.claimDue('other-node', 60_000, 100, () => 100)).map((c) => c.id))
      return row
    }
    h.webhooks.dispatcher.start()
    const { delivery, result } = await h.webhooks.dispatcher.sendTest(endpoint)
    expect(result.statusCode).toBe(200)
    expect(takenByOther).toEqual([])
    expect(r.requests).toHaveLength(1)
    await until(async () => (await h.deliveries()).find((d) => d.id === delivery.id)?.status === 'delivered', 5000, 'test delivered')
  })
})
