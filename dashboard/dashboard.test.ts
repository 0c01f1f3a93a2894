import { afterEach, describe, expect, it } from 'vitest'
import { startTestApi, type TestApi } from '../test/helpers/api-server.js'

const apis: TestApi[] = []
afterEach(async () => { for (const a of apis.splice(0)) await a.close() })

const MINUTE = 60_000

async function start (clock: { t: number }): Promise<TestApi> {
  const api = await startTestApi({ dashboard: { silenceAlarmMinutes: 30, startedAt: clock.t, now: () => clock.t } })
  apis.push(api)
  return api
}

describe('dashboard', () => {
  it('serves its page, script and styles without a key, under a strict Content-Security-Policy', async () => {
    const api = await start({ t: Date.now() })
    for (const [path, type] of [['/dashboard', 'text/html'], ['/dashboard/app.js', 'text/javascript'], ['/dashboard/app.css', 'text/css'], ['/dashboard/chart.js', 'text/javascript']] as const) {
      const res = await api.request('GET', path, { key: null })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toContain(type)
      const csp = res.headers.get('content-security-policy') ?? ''
      expect(csp).toContain("default-src 'none'")
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("form-action 'none'")
      expect(csp).not.toContain('unsafe')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    }
    // The script never builds markup from strings: every API value goes in as text.
    const script = (await api.request('GET', '/dashboard/app.js', { key: null })).body as string
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/)
    // The data the page shows is behind the operator scope, like the rest of the API.
    expect((await api.request('GET', '/v1/operator/status', { key: null })).status).toBe(401)
    expect((await api.request('GET', '/v1/operator/status', { key: await api.key({ scopes: ['payments:read'] }) })).status).toBe(403)
  })

  it('raises the silence alarm only when payments are pending and no SMS arrived for the configured time', async () => {
    const clock = { t: Date.now() }
    const api = await start(clock)
    const status = async () => (await api.request('GET', '/v1/operator/status')).body.data as { alarm: boolean, pending_payments: number, last_sms_at: string | null }
    clock.t += 31 * MINUTE
    expect(await status()).toMatchObject({ alarm: false, pending_payments: 0, last_sms_at: null })
    const created = await api.request('POST', '/v1/payments/initialize', { body: { amount: 100 } })
    expect(created.status).toBe(201)
    expect(await status()).toMatchObject({ alarm: true, pending_payments: 1 })
    // An SMS of the other mode is not this mode's modems receiving: the alarm stays.
    await api.sms({ mode: 'live', text: 'Hello from the network', sender: 'MTN' })
    clock.t = Date.now() + 31 * MINUTE
    expect((await status()).alarm).toBe(true)
    // An SMS of this mode arrives (any SMS: the question is whether the modems still receive): quiet again.
    await api.sms({ mode: 'test', text: 'Hello from the network', sender: 'MTN' })
    clock.t = Date.now()
    expect((await status()).alarm).toBe(false)
    clock.t += 29 * MINUTE
    expect((await status()).alarm).toBe(false)
    clock.t += 2 * MINUTE
    expect((await status()).alarm).toBe(true)
  })

  it('finds a payment by HPN code, client reference or telco transaction id, with its credits and events', async () => {
    const api = await start({ t: Date.now() })
    const created = (await api.request('POST', '/v1/payments/initialize', { body: { amount: '75.00', client_reference: 'order-77' } })).body.data as { reference: string, hpn_code: string }
    const paid = await api.request('POST', '/v1/test/sms', { body: { network: 'mtn', amount: '75.00', reference: created.hpn_code } })
    expect(paid.body.data.payment_status).toBe('SUCCESS')
    const credit = (await api.request('GET', '/v1/credits?status=matched')).body.data[0] as { telco_transaction_id: string }
    for (const [term, foundBy] of [[created.hpn_code, 'payment'], ['order-77', 'payment'], [credit.telco_transaction_id, 'telco_transaction_id']] as const) {
      const res = await api.request('GET', `/v1/operator/payments/${encodeURIComponent(term)}`)
      expect(res.status).toBe(200)
      expect(res.body.data.found_by).toBe(foundBy)
      expect(res.body.data.payment).toMatchObject({ reference: created.reference, status: 'SUCCESS' })
      expect(res.body.data.payment.credits[0].telco_transaction_id).toBe(credit.telco_transaction_id)
      expect(res.body.data.events.map((e: { type: string }) => e.type)).toContain('transaction.completed')
    }
    expect((await api.request('GET', '/v1/operator/payments/nothing-like-it')).status).toBe(404)
    // Another merchant's operator cannot find it, even by telco id.
    const other = await api.key({ merchant: 'other' })
    expect((await api.request('GET', `/v1/operator/payments/${credit.telco_transaction_id}`, { key: other })).status).toBe(404)
  })

  it('gives the overview\'s numbers: money by network, payments by outcome, time to confirmation, unmatched credits, SMS per modem', async () => {
    const api = await start({ t: Date.now() })
    const key = await api.key({ mode: 'test', scopes: ['payments:read', 'payments:write', 'operator'] })
    const empty = (await api.request('GET', '/v1/operator/overview', { key })).body.data
    expect(empty).toMatchObject({ money: [], payments_by_status: [], confirmation: { count: 0, median_seconds: null }, unmatched: { count: 0, amount: '0.00', oldest_at: null }, webhooks: { success_rate: null, hours: [] }, sms_per_hour: [] })
    const paid = (await api.request('POST', '/v1/payments/initialize', { key, body: { amount: '25.00' } })).body.data
    await api.request('POST', '/v1/payments/initialize', { key, body: { amount: '10.00' } })
    expect((await api.request('POST', '/v1/test/sms', { key, body: { network: 'mtn', amount: '25.00', reference: paid.hpn_code } })).status).toBe(200)
    expect((await api.request('POST', '/v1/test/sms', { key, body: { network: 'mtn', amount: '7.50', reference: 'no code here' } })).status).toBe(200)
    const o = (await api.request('GET', '/v1/operator/overview', { key })).body.data
    expect(o.money).toEqual([{ network: 'mtn', channel: 'sms', currency: 'GHS', today: '32.50', week: '32.50' }])
    expect(o.payments_by_status).toEqual([{ status: 'PENDING', count: 1 }, { status: 'SUCCESS', count: 1 }])
    expect(o.confirmation.count).toBe(1)
    expect(o.confirmation.buckets.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(1)
    expect(o.unmatched).toMatchObject({ count: 1, amount: '7.50' })
    expect(o.sms_per_hour).toHaveLength(1)
    expect(o.sms_per_hour[0].hours.reduce((n: number, h: { count: number }) => n + h.count, 0)).toBe(2)
    // Another mode sees none of it.
    const live = await api.key({ mode: 'live', scopes: ['operator'] })
    expect((await api.request('GET', '/v1/operator/overview', { key: live })).body.data.money).toEqual([])
  })
})
