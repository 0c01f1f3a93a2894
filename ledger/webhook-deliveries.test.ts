import { afterEach, describe, expect, it } from 'vitest'
import { webhookHarness, type Harness } from '../test/webhooks/harness.js'
import { createEndpoint } from '../webhooks/endpoints.js'
import type { DeliveredAttempt } from './webhook-deliveries.js'

describe('recording delivered attempts together (recordDelivered)', () => {
  let h: Harness
  afterEach(async () => { await h.close() })

  it('records each held row with its attempt, skips a row whose lease was taken over, and refreshes only the endpoints asked for', async () => {
    const clock = { now: 1_800_000_000_000 }
    h = await webhookHarness({}, undefined, () => clock.now)
    const { endpoint } = await createEndpoint(h.ledger, h.owner, { url: 'http://127.0.0.1:9/hook' })
    for (let i = 0; i < 3; i++) await h.cancelPayment()
    const store = h.ledger.webhookDeliveries
    const held = await store.claimDue('node-a', 5_000, 10, () => 10)
    expect(held).toHaveLength(3)
    // Node a outlives its leases: node b takes the oldest row over.
    clock.now += 5_001
    const [taken] = await store.claimDue('node-b', 5_000, 1, () => 1)
    const [first, second, third] = held.map((d): DeliveredAttempt => ({
      id: d.id, startedAt: clock.now - 10, statusCode: 200, responseBody: `ok ${d.id}`, durationMs: 7, healthOf: endpoint.id
    })) as [DeliveredAttempt, DeliveredAttempt, DeliveredAttempt]
    expect(taken?.id).toBe(first.id)

    // A payment's own URL answered: the row is delivered, the endpoint's health is not its to tell.
    expect([...await store.recordDelivered('node-a', [{ ...second, healthOf: null }])]).toEqual([second.id])
    expect((await h.ledger.webhookEndpoints.get(h.owner, endpoint.id)).lastSuccessAt).toBeNull()

    expect([...await store.recordDelivered('node-a', [first, third])]).toEqual([third.id])
    expect((await h.ledger.webhookEndpoints.get(h.owner, endpoint.id)).lastSuccessAt).toBe(clock.now)
    for (const a of [second, third]) {
      expect(await store.byId(a.id)).toMatchObject({
        status: 'delivered', attempts: 1, retryIndex: 0, nextAttemptAt: null, leaseExpiresAt: null, lastAttemptAt: a.startedAt,
        lastStatusCode: 200, lastError: null, deliveredAt: clock.now, deadAt: null
      })
      expect(await store.attempts(a.id)).toEqual([{ outcome: 'delivered', status_code: 200, error: null, duration_ms: 7, started_at: a.startedAt }])
    }
    // The taken-over row is node b's: untouched by node a's late outcome.
    expect(await store.byId(first.id)).toMatchObject({ status: 'pending', attempts: 0, lastAttemptAt: null, leaseExpiresAt: clock.now + 5_000 })
    expect((await store.attempts(first.id)).map((a) => a.outcome)).toEqual(['abandoned'])
    expect(await store.recordDelivered('node-a', [])).toEqual(new Set())
  })
})
