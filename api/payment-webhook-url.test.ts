import { createHmac } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { afterEach, describe, expect, it } from 'vitest'
import { telcoCreditText } from '../ingest/telco-wording.js'
import { startTestApi, type TestApi } from '../test/helpers/api-server.js'
import { startReceiver, until, type Receiver } from '../test/webhooks/receiver.js'
import type { WebhookSettings } from '../webhooks/webhooks.js'

/**
 * A payment's own `webhook_url`: its events also go there, through the same outbox, signed with the
 * secret of the merchant's oldest active endpoint, retried on the same schedule, under the same
 * SSRF rules. Real receivers on loopback, the real dispatcher.
 */
let api: TestApi
const receivers: Receiver[] = []
afterEach(async () => {
  await api.close()
  for (const r of receivers.splice(0)) await r.close()
})

async function setup (settings: Partial<WebhookSettings> = {}): Promise<void> {
  api = await startTestApi({ webhooks: settings })
}
async function receiver (...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args)
  receivers.push(r)
  return r
}
async function endpoint (url: string): Promise<{ id: string, secret: string }> {
  const res = await api.request('POST', '/v1/webhooks', { body: { url } })
  expect(res.status).toBe(201)
  return res.body.data
}
async function pay (hpnCode: string, amountMinor = 15_000): Promise<void> {
  await api.sms({
    mode: 'test', network: 'mtn',
    text: telcoCreditText({ network: 'mtn', amountMinor, reference: hpnCode, payerPhone: '0244123456', payerName: 'JOHN DOE', transactionId: `7${String(Date.now()).slice(-10)}`, balanceMinor: 900_000, at: new Date() })
  })
}
const initialize = async (body: Record<string, unknown>) => await api.request('POST', '/v1/transactions/initialize', { body: { amount: '150.00', phone_number: '0244123456', ...body } })

describe('per-payment webhook_url', () => {
  it('sends the payment\'s events there too, signed with the endpoint\'s secret, besides the endpoint\'s own', async () => {
    await setup()
    const shop = await receiver()
    const order = await receiver()
    const { secret } = await endpoint(shop.url)
    const target = `${order.url}?order=1234`
    const created = await initialize({ webhook_url: target })
    expect(created.status).toBe(201)
    await pay(created.body.data.hpn_code)
    await order.waitFor(1)
    await shop.waitFor(1)
    const got = order.requests[0]
    expect(got?.url).toBe('/hook?order=1234')
    const body = JSON.parse(got?.body ?? '') as { event: string, webhook_id: string, data: { reference: string, status: string } }
    expect(body).toMatchObject({ event: 'transaction.completed', data: { reference: created.body.data.reference, status: 'SUCCESS' } })
    const ts = got?.headers['x-harpoon-timestamp'] as string
    expect(got?.headers['x-harpoon-signature']).toBe('sha256=' + createHmac('sha256', secret).update(`${ts}.${got?.body ?? ''}`).digest('hex'))
    expect(new Webhook(secret).verify(got?.body ?? '', got?.headers as Record<string, string>)).toMatchObject({ event: 'transaction.completed' })
    // Two deliveries of one event, each with its own webhook_id; the payment's one says where it went.
    expect(JSON.parse(shop.requests[0]?.body ?? '').webhook_id).not.toBe(body.webhook_id)
    const deliveries = (await api.request('GET', `/v1/webhooks/${(await api.request('GET', '/v1/webhooks')).body.data[0].id as string}/deliveries`)).body.data
    expect(deliveries.map((d: { target_url: string | null }) => d.target_url).sort()).toEqual([`${order.url}?order=1234`, null])
  })

  it('retries a failing payment URL on the schedule with the same webhook_id, and a 410 ends it without touching the endpoint', async () => {
    await setup({ retry_schedule: [0.2, 0.2] })
    const shop = await receiver()
    const flaky = await receiver((_q, res, n) => { res.writeHead(n === 1 ? 503 : 200).end() })
    const gone = await receiver((_q, res) => { res.writeHead(410).end() })
    const { id } = await endpoint(shop.url)
    const a = await initialize({ webhook_url: flaky.url, client_reference: 'a' })
    const b = await initialize({ webhook_url: gone.url, client_reference: 'b' })
    await pay(a.body.data.hpn_code)
    await pay(b.body.data.hpn_code)
    await flaky.waitFor(2)
    expect(flaky.requests[1]?.headers['x-harpoon-webhook-id']).toBe(flaky.requests[0]?.headers['x-harpoon-webhook-id'])
    const deliveries = async (): Promise<Array<{ target_url: string | null, status: string, attempts: number }>> =>
      (await api.request('GET', `/v1/webhooks/${id}/deliveries?limit=100`)).body.data
    await until(async () => (await deliveries()).find((d) => d.target_url === gone.url)?.status === 'dead', 5000, 'dead after 410')
    await until(async () => (await deliveries()).find((d) => d.target_url === flaky.url)?.status === 'delivered', 5000, 'delivered on retry')
    expect((await deliveries()).find((d) => d.target_url === gone.url)?.attempts).toBe(1)
    expect(gone.requests).toHaveLength(1)
    // The endpoint's health is its own URL's: still active, no failure counted.
    expect((await api.request('GET', `/v1/webhooks/${id}`)).body.data).toMatchObject({ is_active: true, consecutive_failures: 0 })
  })

  it('sends once when the URL is the signing endpoint\'s own', async () => {
    await setup()
    const shop = await receiver()
    await endpoint(shop.url)
    const created = await initialize({ webhook_url: shop.url })
    await pay(created.body.data.hpn_code)
    await shop.waitFor(1)
    await api.request('POST', `/v1/transactions/${created.body.data.reference as string}/cancel`, { body: {} }) // refused (paid): no event
    expect((await api.rows.value((await import('../ledger/testing.js')).sql`SELECT COUNT(*) FROM webhook_deliveries`))).toBe(1)
  })

  it('refuses a URL the SSRF rules refuse, and one with no endpoint to sign it, naming webhook_url', async () => {
    await setup({ allow_private_targets: false })
    // A public address, written as an IP so that no DNS is needed.
    const none = await initialize({ webhook_url: 'https://198.41.0.4/hook' })
    expect(none.status).toBe(422)
    expect(none.body.error.details).toEqual([{ field: 'webhook_url', message: expect.stringMatching(/^needs an active webhook endpoint of this mode first/) }])
    await endpoint('https://198.41.0.4/shop')
    for (const url of ['http://127.0.0.1:9/hook', 'http://169.254.169.254/latest/meta-data/', 'ftp://shop.example/x', 'http://user:pw@shop.example/']) {
      const res = await initialize({ webhook_url: url })
      expect(res.status, url).toBe(422)
      expect(res.body.error.details[0].field, url).toBe('webhook_url')
    }
    expect(await api.rows.value((await import('../ledger/testing.js')).sql`SELECT COUNT(*) FROM payments`)).toBe(0)
    expect((await initialize({ webhook_url: 'https://198.41.0.4/order/1' })).status).toBe(201)
  })
})
