import pino from 'pino'
import { Webhook } from 'standardwebhooks'
import { afterEach, describe, expect, it } from 'vitest'
import { webhookHarness, type Harness } from '../../test/webhooks/harness.js'
import { startReceiver, until, type Receiver } from '../../test/webhooks/receiver.js'
import type { Resolver } from '../../webhooks/ssrf.js'
import type { WebhookSettings } from '../../webhooks/webhooks.js'
import { buildApi } from '../app.js'
import { createMetrics } from '../metrics.js'
import { webhookRoutes } from './webhooks.js'

interface Reply { statusCode: number, body: { success: boolean, data: Record<string, unknown> & Array<Record<string, unknown>>, error?: { code: string, details: Array<{ field: string }> } } }

async function apiFor (settings: Partial<WebhookSettings> = {}, resolver?: Resolver, now?: () => number) {
  const h = await webhookHarness(settings, resolver, now)
  const app = await buildApi({
    ledger: h.ledger, logger: pino({ level: 'silent' }), metrics: createMetrics(), version: 'test', maxAmountMinor: 10_000_000, defaultExpiresIn: 3600,
    rateLimit: { max: 1000, windowMs: 1000 }, trustProxy: false, wallets: () => [], networkCurrencies: ['GHS'], modems: () => [],
    plugins: [webhookRoutes(h.ledger, h.webhooks)]
  })
  const key = async (mode: 'live' | 'test', scopes: Array<'webhooks:manage' | 'payments:read'> = ['webhooks:manage'], merchantId = h.owner.merchantId): Promise<string> =>
    (await h.ledger.apiKeys.create({ merchantId, name: 'k', mode, scopes })).secret
  const call = async (k: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<Reply> => {
    const res = await app.inject({ method, url, headers: { authorization: `Bearer ${k}` }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) })
    return { statusCode: res.statusCode, body: res.json() }
  }
  return { h, app, key, call }
}

describe('/v1/webhooks', () => {
  let h: Harness
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => { for (const c of closers.splice(0).reverse()) await c() })
  const receiver = async (...args: Parameters<typeof startReceiver>): Promise<Receiver> => {
    const r = await startReceiver(...args)
    closers.push(async () => { await r.close() })
    return r
  }
  const setup = async (settings: Partial<WebhookSettings> = {}, resolver?: Resolver, now?: () => number) => {
    const api = await apiFor(settings, resolver, now)
    h = api.h
    closers.push(async () => { await h.close() }, async () => { await api.app.close() })
    return api
  }

  it('creates an endpoint with its secret once, then lists, reads, updates and deletes it per merchant and mode', async () => {
    const { call, key, h, app } = await setup()
    const test = await key('test')
    const created = await call(test, 'POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['transaction.completed'], description: 'shop' })
    expect(created.statusCode).toBe(201)
    const id = created.body.data['id'] as string
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(created.body.data).toMatchObject({ url: 'http://127.0.0.1:9/hook', events: ['transaction.completed'], is_active: true, consecutive_failures: 0, last_success_at: null })
    expect(created.body.data['secret']).toMatch(/^whsec_/)
    expect(created.body.data['message']).toMatch(/shown only once/)
    const got = await call(test, 'GET', `/v1/webhooks/${id}`)
    expect(got.body.data['secret']).toBeUndefined()
    expect((await call(test, 'GET', '/v1/webhooks')).body.data).toHaveLength(1)
    // Another mode, another merchant: 404, never 403.
    expect((await call(await key('live'), 'GET', `/v1/webhooks/${id}`)).statusCode).toBe(404)
    const other = await h.ledger.merchants.create({ name: 'Other' })
    expect((await call(await key('test', ['webhooks:manage'], other.id), 'GET', `/v1/webhooks/${id}`)).statusCode).toBe(404)
    expect((await call(await key('test', ['payments:read']), 'GET', '/v1/webhooks')).statusCode).toBe(403)

    const put = await call(test, 'PUT', `/v1/webhooks/${id}`, { events: ['*'], is_active: false })
    expect(put.body.data).toMatchObject({ events: ['*'], is_active: false, disabled_reason: 'disabled by the merchant' })
    expect((await call(test, 'PUT', `/v1/webhooks/${id}`, { events: ['payment.made'] })).body.error?.details[0]?.field).toBe('events')
    expect((await call(test, 'DELETE', `/v1/webhooks/${id}`)).statusCode).toBe(200)
    const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> }
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/webhooks', '/v1/webhooks/{id}/rotate-secret', '/v1/webhooks/deliveries/{delivery_id}/replay']))
    expect((await call(test, 'GET', `/v1/webhooks/${id}`)).statusCode).toBe(404)
  })

  it('refuses unsafe URLs at registration', async () => {
    const { call, key } = await setup({ allow_private_targets: false })
    const refused = async (k: string, url: string): Promise<string> => {
      const r = await call(k, 'POST', '/v1/webhooks', { url })
      expect(r.statusCode, url).toBe(422)
      return r.body.error?.details[0]?.field ?? ''
    }
    expect(await refused(await key('live'), 'http://shop.example.com/hook')).toBe('url')
    expect(await refused(await key('test'), 'http://127.0.0.1:8080/hook')).toBe('url')
    expect(await refused(await key('test'), 'http://2130706433/hook')).toBe('url')
    expect(await refused(await key('test'), 'http://[::ffff:127.0.0.1]/hook')).toBe('url')
    expect(await refused(await key('test'), 'http://localhost/hook')).toBe('url')
    expect(await refused(await key('test'), 'http://169.254.169.254/latest')).toBe('url')
  })

  // Issue 11: a URL was stored as typed, so `http://a.b.c.d\@127.0.0.1/` (host a.b.c.d to the WHATWG
  // parser, 127.0.0.1 to a lax one reading the stored text) sat in the database and the API as such.
  it('stores and shows the URL as parsed and normalised, the form the guard judged and delivery uses', async () => {
    const publicDns: Resolver = async () => [{ address: '93.184.216.34', family: 4 }]
    const { call, key } = await setup({ allow_private_targets: false }, publicDns)
    const test = await key('test')
    const created = await call(test, 'POST', '/v1/webhooks', { url: 'http://a.b.c.d\\@127.0.0.1/' })
    expect(created.statusCode).toBe(201)
    expect(created.body.data['url']).toBe('http://a.b.c.d/@127.0.0.1/')
    const id = created.body.data['id'] as string
    expect((await call(test, 'GET', `/v1/webhooks/${id}`)).body.data['url']).toBe('http://a.b.c.d/@127.0.0.1/')
    const updated = await call(test, 'PUT', `/v1/webhooks/${id}`, { url: 'HTTPS://Shop.EXAMPLE:443/a/./b/../hook?x=1#frag' })
    expect(updated.body.data['url']).toBe('https://shop.example/a/hook?x=1')
  })

  it('refuses at connect a name that resolved publicly at registration and to 127.0.0.1 later (rebinding)', async () => {
    const r = await receiver()
    let lookups = 0
    const rebinding: Resolver = async () => (++lookups === 1 ? [{ address: '93.184.216.34', family: 4 }] : [{ address: '127.0.0.1', family: 4 }])
    const { call, key } = await setup({ allow_private_targets: false }, rebinding)
    const test = await key('test')
    const created = await call(test, 'POST', '/v1/webhooks', { url: `http://shop.example:${r.port}/hook` })
    expect(created.statusCode).toBe(201)
    const sent = await call(test, 'POST', `/v1/webhooks/${created.body.data['id'] as string}/test`)
    expect(sent.body.data).toMatchObject({ delivered: false, status_code: null })
    expect(sent.body.data['error']).toMatch(/resolves to 127\.0\.0\.1/)
    expect(r.requests).toHaveLength(0)
  })

  it('sends webhook.test now; rotation signs with both secrets during the overlap and only the new one after', async () => {
    const r = await receiver()
    // The ledger's clock, moved past the overlap instead of waiting for it.
    let skewMs = 0
    const { call, key } = await setup({}, undefined, () => Date.now() + skewMs)
    const test = await key('test')
    const created = await call(test, 'POST', '/v1/webhooks', { url: r.url })
    const id = created.body.data['id'] as string
    const first = created.body.data['secret'] as string
    const sent = await call(test, 'POST', `/v1/webhooks/${id}/test`)
    expect(sent.body.data).toMatchObject({ delivered: true, status_code: 200, error: null, delivery: { event: 'webhook.test', status: 'delivered', attempts: 1 } })
    const body = JSON.parse(r.requests[0]?.body ?? '') as Record<string, unknown>
    expect(body).toMatchObject({ event: 'webhook.test', test: true })
    expect(Object.keys(body)).toEqual(['event', 'webhook_id', 'timestamp', 'data', 'test'])

    const rotated = await call(test, 'POST', `/v1/webhooks/${id}/rotate-secret`, { expires_in: 1 })
    const second = rotated.body.data['secret'] as string
    expect(second).toMatch(/^whsec_/)
    expect(second).not.toBe(first)
    await call(test, 'POST', `/v1/webhooks/${id}/test`)
    const during = r.requests[1]
    expect(during?.headers['webhook-signature']?.toString().split(' ')).toHaveLength(2)
    for (const s of [first, second]) expect(new Webhook(s).verify(during?.body ?? '', during?.headers as Record<string, string>)).toBeTruthy()

    skewMs += 1_000
    await call(test, 'POST', `/v1/webhooks/${id}/test`)
    const after = r.requests[2]
    expect(new Webhook(second).verify(after?.body ?? '', after?.headers as Record<string, string>)).toBeTruthy()
    expect(() => new Webhook(first).verify(after?.body ?? '', after?.headers as Record<string, string>)).toThrow()
  })

  it('lists deliveries by status and replays a dead letter with the same webhook_id', async () => {
    let answer = 500
    const r = await receiver((_q, res) => { res.writeHead(answer).end() })
    const { call, key, h } = await setup({ retry_schedule: [1] })
    const test = await key('test')
    const id = (await call(test, 'POST', '/v1/webhooks', { url: r.url })).body.data['id'] as string
    await h.cancelPayment()
    h.webhooks.dispatcher.start()
    await until(async () => (await h.deliveries())[0]?.status === 'dead', 10_000, 'dead letter')
    const dead = await call(test, 'GET', `/v1/webhooks/${id}/deliveries?status=dead`)
    expect(dead.body).toMatchObject({ success: true, has_more: false, next_cursor: null })
    expect(dead.body.data[0]).toMatchObject({ status: 'dead', attempts: 2, last_status_code: 500, last_error: 'HTTP 500', next_attempt_at: null, event: 'transaction.cancelled' })
    expect((await call(test, 'GET', `/v1/webhooks/${id}/deliveries?status=pending`)).body.data).toHaveLength(0)
    const endpoint = (await call(test, 'GET', `/v1/webhooks/${id}`)).body.data
    expect(endpoint['consecutive_failures']).toBe(2)
    expect(endpoint['last_failure_at']).not.toBeNull()

    const deliveryId = dead.body.data[0]?.['id'] as string
    expect((await call(await key('live'), 'POST', `/v1/webhooks/deliveries/${deliveryId}/replay`)).statusCode).toBe(404)
    answer = 200
    const replayed = await call(test, 'POST', `/v1/webhooks/deliveries/${deliveryId}/replay`)
    expect(replayed.body.data).toMatchObject({ status: 'pending', replays: 1 })
    await until(async () => (await h.deliveries())[0]?.status === 'delivered', 5000, 'replay delivered')
    expect(r.requests[2]?.headers['x-harpoon-webhook-id']).toBe(r.requests[0]?.headers['x-harpoon-webhook-id'])
    expect((await call(test, 'GET', `/v1/webhooks/${id}/deliveries?status=delivered`)).body.data[0]).toMatchObject({ webhook_id: dead.body.data[0]?.['webhook_id'], attempts: 3 })
  })
})
