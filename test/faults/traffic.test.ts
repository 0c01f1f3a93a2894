import { afterEach, describe, expect, it } from 'vitest'
import { createEndpoint } from '../../webhooks/endpoints.js'
import { openTestLedger, type TestLedger } from '../helpers/ledger.js'
import { isSettled, rng, Traffic } from './traffic.js'

describe('what keeps the fault traffic from settling (Traffic.outstanding)', () => {
  let t: TestLedger
  afterEach(async () => { await t.cleanup() })

  it('names the SIMs, stored SMS, deliveries and telco transactions still outstanding, from the same reads as settled', async () => {
    t = await openTestLedger()
    const { ledger, rows: db } = t
    await ledger.merchants.create({ id: 'default', name: 'Shop' })
    const traffic = new Traffic(rng(1), 'unused')
    const empty = { messages: () => [] }
    expect(await traffic.settled(db, [empty])).toBe(true)
    expect(await traffic.describe(db, [empty])).toBe('nothing (settled since)')

    const sms = await ledger.smsInbox.storeText({ mode: 'live', modemId: 'mtn-a', network: 'mtn', sender: 'MobileMoney', text: 'hello' }, Date.now() - 5_000)
    const { endpoint } = await createEndpoint(ledger, { merchantId: 'default', mode: 'live' }, { url: 'http://127.0.0.1:9/hook' })
    const delivery = await ledger.webhookDeliveries.insert({
      id: '00000000-0000-4000-8000-000000000001', webhookId: 'wh_1', endpointId: endpoint.id, merchantId: 'default', mode: 'live',
      eventId: null, eventType: 'transaction.completed', body: '{}', maxRetries: null, lease: { owner: 'dsp_dead', leaseMs: 60_000 }
    })
    traffic.sent.push({ txId: '90000000001', code: 'HPN-X', amount: 100 })
    const sims = [empty, { messages: () => [1, 2, 3] }]

    const o = await traffic.outstanding(db, sims)
    expect(isSettled(o)).toBe(false)
    expect(await traffic.settled(db, sims)).toBe(false)
    expect(o.sims).toEqual([{ sim: 1, messages: 3 }])
    expect(o.unprocessedSms).toMatchObject({ count: 1, rows: [{ id: sms.id, modemId: 'mtn-a', outcome: null, complete: true, parts: '1/1' }] })
    expect(o.unprocessedSms.rows[0]?.receivedMsAgo).toBeGreaterThanOrEqual(5_000)
    expect(o.undelivered).toMatchObject({
      count: 1,
      rows: [{ id: delivery.id, eventType: 'transaction.completed', status: 'pending', attempts: 0, retryIndex: 0, maxRetries: null, leaseOwner: 'dsp_dead', lastStatusCode: null, endpointActive: true }]
    })
    expect(o.undelivered.rows[0]?.leaseExpiresInMs).toBeGreaterThan(50_000)
    expect(o.uncounted).toEqual(['90000000001'])
    expect(o.unexpected).toBe(0)

    const text = await traffic.describe(db, sims)
    for (const part of ['SIM 1 holds 3', `#${sms.id} mtn-a`, `${delivery.id} transaction.completed pending`, 'lease dsp_dead expires in', '90000000001']) expect(text).toContain(part)
  })
})
