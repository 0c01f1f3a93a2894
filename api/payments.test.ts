import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startTestApi, type TestApi } from '../test/helpers/api-server.js'

let api: TestApi
beforeEach(async () => { api = await startTestApi() })
afterEach(async () => { await api.close() })

const init = (body: Record<string, unknown>, key?: string) => api.request('POST', '/v1/payments/initialize', { body, key })

describe('POST /v1/payments/initialize', () => {
  it('creates a PENDING payment with an HPN code, amounts as two-decimal strings and pay_to instructions', async () => {
    const res = await init({ amount: 150, client_reference: 'order_1234', customer_phone: '+233244123456', meta: { order_id: '1234' } })
    expect(res.status).toBe(201)
    expect(res.body.success).toBe(true)
    const p = res.body.data
    expect(p.reference).toMatch(/^hpn_trx_[0-9a-f]{32}$/)
    expect(p.hpn_code).toMatch(/^[0-9A-HJKMNP-TV-Z]{6}$/)
    expect(p).toMatchObject({
      status: 'PENDING', expected_amount: '150.00', actual_amount: null, difference: null, difference_type: null,
      currency: 'GHS', customer_phone: '0244123456', payer_phone: null, telco_provider: null, telco_transaction_id: null,
      meta: { order_id: '1234' }, client_reference: 'order_1234', mode: 'test', verified_at: null, credits: []
    })
    expect(p.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(Date.parse(p.expires_at) - Date.parse(p.created_at)).toBe(3600_000)
    expect(p.pay_to).toEqual([{ network: 'mtn', msisdn: '0244000000', instructions: `Pay GHS 150.00 to 0244000000 with MTN MoMo and enter ${p.hpn_code as string} as the reference.` }])
  })

  it('accepts a decimal string amount, the reference alias and a custom expiry', async () => {
    const res = await init({ amount: '19.5', reference: 'r-1', expires_in: 60, currency: 'GHS' })
    expect(res.status).toBe(201)
    expect(res.body.data).toMatchObject({ expected_amount: '19.50', client_reference: 'r-1' })
    // No meta sent: an empty object, never null, so `data.meta.order_id` reads without a check.
    expect(res.body.data.meta).toEqual({})
  })

  it('lists every bad field in one 422', async () => {
    const res = await init({ amount: '1.005', currency: 'cedi', customer_phone: '12345', expires_in: 10, meta: 'x', colour: 'red' })
    expect(res.status).toBe(422)
    expect(res.body.success).toBe(false)
    expect(res.body.error.code).toBe('validation_failed')
    const fields = res.body.error.details.map((d: { field: string }) => d.field).sort()
    expect(fields).toEqual(['amount', 'colour', 'currency', 'customer_phone', 'expires_in', 'meta'])
  })

  it.each([
    [{ }, 'amount'],
    [{ amount: 0 }, 'amount'],
    [{ amount: -5 }, 'amount'],
    [{ amount: '100000.01' }, 'amount'],
    [{ amount: 0.1 + 0.2 }, 'amount'],
    [{ amount: 10, client_reference: 'x'.repeat(101) }, 'client_reference'],
    [{ amount: 10, client_reference: 'a', reference: 'b' }, 'reference'],
    [{ amount: 10, meta: { blob: 'x'.repeat(5000) } }, 'meta']
  ])('rejects %j naming %s', async (body, field) => {
    // The test server's max_amount is 100000.00.
    const res = await api.request('POST', '/v1/payments/initialize', { body })
    expect(res.status).toBe(422)
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field)
  })

  it('returns the existing PENDING payment for a repeated client_reference (200), or 409 when amount differs', async () => {
    const first = await init({ amount: 150, client_reference: 'order_9' })
    const again = await init({ amount: '150.00', client_reference: 'order_9' })
    expect(again.status).toBe(200)
    expect(again.body.data.reference).toBe(first.body.data.reference)
    const different = await init({ amount: 151, client_reference: 'order_9' })
    expect(different.status).toBe(409)
    expect(different.body.error.code).toBe('duplicate_client_reference')
    // Once the first is no longer PENDING the reference may be used again.
    await api.request('POST', `/v1/payments/${first.body.data.reference as string}/cancel`)
    const fresh = await init({ amount: 151, client_reference: 'order_9' })
    expect(fresh.status).toBe(201)
    expect(fresh.body.data.reference).not.toBe(first.body.data.reference)
  })
})

describe('GET /v1/payments/{id}', () => {
  it('finds a payment by reference, by HPN code (any case, spaces) and by client_reference', async () => {
    const p = (await init({ amount: 20, client_reference: 'cr-77' })).body.data
    for (const id of [p.reference, p.hpn_code, p.hpn_code.toLowerCase(), 'cr-77']) {
      const res = await api.request('GET', `/v1/payments/${encodeURIComponent(id)}`)
      expect(res.status).toBe(200)
      expect(res.body.data.reference).toBe(p.reference)
    }
  })

  it('answers 404 for an unknown id', async () => {
    const res = await api.request('GET', '/v1/payments/hpn_trx_00000000000000000000000000000000')
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ success: false, error: { code: 'not_found', message: 'payment not found', details: [] } })
  })
})

describe('GET /v1/payments', () => {
  it('pages newest first with a cursor until has_more is false', async () => {
    const made: string[] = []
    for (let i = 0; i < 7; i++) made.push((await init({ amount: 10 + i })).body.data.reference)
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res = await api.request('GET', `/v1/payments?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`)
      expect(res.status).toBe(200)
      seen.push(...res.body.data.map((p: { reference: string }) => p.reference))
      cursor = res.body.next_cursor
      expect(res.body.has_more).toBe(cursor !== null)
      pages++
    } while (cursor !== null)
    expect(pages).toBe(3)
    expect(seen).toEqual([...made].reverse())
  })

  it('filters by status and rejects a bad limit or cursor with 422', async () => {
    const a = (await init({ amount: 10 })).body.data
    await init({ amount: 11 })
    await api.request('POST', `/v1/payments/${a.reference as string}/cancel`)
    const res = await api.request('GET', '/v1/payments?status=CANCELLED')
    expect(res.body.data.map((p: { reference: string }) => p.reference)).toEqual([a.reference])
    expect((await api.request('GET', '/v1/payments?limit=0')).status).toBe(422)
    expect((await api.request('GET', '/v1/payments?status=PAID')).status).toBe(422)
    const bad = await api.request('GET', '/v1/payments?cursor=bm9wZQ')
    expect(bad.status).toBe(422)
    expect(bad.body.error.details[0].field).toBe('cursor')
  })
})

describe('cancel, refund and resolve', () => {
  it('cancels a PENDING payment once; a second cancel is a 409', async () => {
    const p = (await init({ amount: 10 })).body.data
    const res = await api.request('POST', `/v1/payments/${p.hpn_code as string}/cancel`)
    expect(res.status).toBe(200)
    expect(res.body.data.status).toBe('CANCELLED')
    const again = await api.request('POST', `/v1/payments/${p.hpn_code as string}/cancel`)
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('invalid_status')
  })

  it('refunds only paid payments and resolves only MANUAL_REVIEW ones', async () => {
    const p = (await init({ amount: 10 })).body.data
    expect((await api.request('POST', `/v1/payments/${p.reference as string}/refund`, { body: { note: 'returned' } })).status).toBe(409)
    expect((await api.request('POST', `/v1/payments/${p.reference as string}/resolve`, { body: { status: 'SUCCESS' } })).status).toBe(409)
    // Put the payment in review the way the matching step will: through the status function.
    const row = await api.ledger.payments.get({ merchantId: 'default', mode: 'test' }, p.reference)
    await api.ledger.transact(async (tx) => await tx.paymentStatus.change(row, { status: 'MANUAL_REVIEW' }))
    const resolved = await api.request('POST', `/v1/payments/${p.reference as string}/resolve`, { body: { status: 'FAILED', note: 'customer never paid' } })
    expect(resolved.status).toBe(200)
    expect(resolved.body.data.status).toBe('FAILED')
    const bad = await api.request('POST', `/v1/payments/${p.reference as string}/resolve`, { body: { status: 'PENDING' } })
    expect(bad.status).toBe(422)
  })

  it('refunds a SUCCESS payment and records the event', async () => {
    const p = (await init({ amount: 10 })).body.data
    const row = await api.ledger.payments.get({ merchantId: 'default', mode: 'test' }, p.reference)
    await api.ledger.transact(async (tx) => await tx.paymentStatus.change(row, { status: 'SUCCESS', actualMinor: 1000 }))
    const res = await api.request('POST', `/v1/payments/${p.reference as string}/refund`, { body: { note: 'out of stock' } })
    expect(res.status).toBe(200)
    expect(res.body.data.status).toBe('REFUNDED')
    const types = (await api.ledger.events.ofPayment(row.id)).map((e) => e.type)
    expect(types).toEqual(['transaction.completed', 'transaction.refunded'])
  })

  it('without a channel to pay money back, records a refund of the whole amount and refuses a part', async () => {
    const p = (await init({ amount: 10 })).body.data
    const row = await api.ledger.payments.get({ merchantId: 'default', mode: 'test' }, p.reference)
    await api.ledger.transact(async (tx) => await tx.paymentStatus.change(row, { status: 'OVERPAID', actualMinor: 1500, payerPhone: '0244123456' }))
    const part = await api.request('POST', `/v1/payments/${p.reference as string}/refund`, { body: { amount: '5.00' } })
    expect([part.status, part.body.error.code]).toEqual([409, 'refund_not_possible'])
    expect((await api.request('POST', `/v1/payments/${p.reference as string}/refund`, { body: { amount: '0' } })).body.error.details[0].field).toBe('amount')
    const whole = await api.request('POST', `/v1/payments/${p.reference as string}/refund`, { body: { amount: '15.00', note: 'cash' } })
    expect([whole.status, whole.body.data.status, whole.body.data.refunds]).toEqual([200, 'REFUNDED', []])
  })
})
