import { afterEach, describe, expect, it } from 'vitest'
import { startTestApi, type TestApi } from '../test/helpers/api-server.js'

/** Publishable keys, their CORS origins, and IP allow-lists per key, through the real API. */
let api: TestApi
afterEach(async () => { await api.close() })

const SHOP = 'https://shop.example'
const body = { amount: '150.00', phone_number: '0244123456' }

async function publishable (origins = [SHOP]): Promise<{ id: string, key: string }> {
  const res = await api.request('POST', '/v1/keys', { body: { name: 'web', type: 'publishable', allowed_origins: origins } })
  expect(res.status).toBe(201)
  return res.body.data
}

describe('publishable keys', () => {
  it('are created from /v1/keys with browser-safe scopes only, and secret keys take no origins', async () => {
    api = await startTestApi()
    const res = await api.request('POST', '/v1/keys', { body: { name: 'web', type: 'publishable', allowed_origins: ['https://Shop.example/'] } })
    expect(res.body.data).toMatchObject({ type: 'publishable', scopes: ['payments:read', 'payments:write'], allowed_origins: [SHOP], allowed_ips: null })
    expect(res.body.data.key).toMatch(/^hpn_test_pk_[0-9A-Za-z]{40}$/)
    expect((await api.request('POST', '/v1/keys', { body: { name: 'x', type: 'publishable', scopes: ['keys:manage'] } })).body.error.details[0].field).toBe('scopes')
    expect((await api.request('POST', '/v1/keys', { body: { name: 'x', scopes: ['payments:read'], allowed_origins: [SHOP] } })).body.error.details[0].field).toBe('allowed_origins')
    expect((await api.request('POST', '/v1/keys', { body: { name: 'x' } })).body.error.details).toEqual([{ field: 'scopes', message: 'is required for a secret key' }])
    // A key that cannot initialize payments cannot make a key that can.
    const reader = await api.key({ scopes: ['keys:manage', 'payments:read'] })
    expect((await api.request('POST', '/v1/keys', { key: reader, body: { name: 'x', type: 'publishable' } })).body.error.details[0].message).toMatch(/payments:write/)
    // A publishable key touches no key.
    expect((await api.request('GET', '/v1/keys', { key: res.body.data.key })).body.error.code).toBe('invalid_key_type')
  })

  it('initialize and read back their own payments by reference, and nothing else', async () => {
    api = await startTestApi({ webhooks: {} })
    const { key } = await publishable()
    const made = await api.request('POST', '/v1/transactions/initialize', { key, body })
    expect(made.status).toBe(201)
    const ref = made.body.data.reference as string
    expect((await api.request('GET', `/v1/transactions/${ref}`, { key })).status).toBe(200)
    expect((await api.request('GET', `/v1/payments/${ref}`, { key })).body.data.reference).toBe(ref)
    const viaPayments = await api.request('POST', '/v1/payments/initialize', { key, body: { amount: '20.00' } })
    expect(viaPayments.status).toBe(201)

    const refused = [
      ['GET', `/v1/transactions/by-hpn/${made.body.data.hpn_code as string}`],
      ['GET', '/v1/transactions/by-client-ref/x'],
      ['GET', '/v1/transactions'],
      ['GET', '/v1/payments'],
      ['POST', `/v1/transactions/${ref}/cancel`],
      ['POST', `/v1/transactions/${ref}/reconcile`],
      ['POST', `/v1/payments/${ref}/refund`],
      ['GET', '/v1/webhooks'],
      ['POST', '/v1/webhooks'],
      ['GET', '/v1/merchant/payment-methods']
    ] as const
    for (const [method, path] of refused) {
      const res = await api.request(method, path, { key, body: method === 'POST' ? {} : undefined })
      expect([res.status, res.body.error.code], `${method} ${path}`).toEqual([403, 'invalid_key_type'])
    }
    // By code or client_reference through /v1/payments: not found, as if it did not exist.
    expect((await api.request('GET', `/v1/payments/${made.body.data.hpn_code as string}`, { key })).status).toBe(404)
    // Another key's payment, even of the same merchant, is someone else's.
    const server = (await api.request('POST', '/v1/transactions/initialize', { body: { ...body, client_reference: 'order-9' } })).body.data
    expect((await api.request('GET', `/v1/transactions/${server.reference as string}`, { key })).status).toBe(404)
    const other = await publishable()
    expect((await api.request('GET', `/v1/transactions/${ref}`, { key: other.key })).status).toBe(404)
    // …and a guessed client_reference neither returns it nor names it.
    const dup = await api.request('POST', '/v1/transactions/initialize', { key, body: { ...body, client_reference: 'order-9' } })
    expect(dup.status).toBe(409)
    expect(JSON.stringify(dup.body)).not.toContain(server.reference)
  })

  it('never set webhook_url', async () => {
    api = await startTestApi({ webhooks: {} })
    await api.request('POST', '/v1/webhooks', { body: { url: 'https://198.41.0.4/hook' } })
    const { key } = await publishable()
    const headers = { 'idempotency-key': 'try-1' }
    const res = await api.request('POST', '/v1/transactions/initialize', { key, body: { ...body, webhook_url: 'https://198.41.0.4/mine' }, headers })
    expect(res.status).toBe(403)
    expect(res.body.error).toMatchObject({ code: 'invalid_key_type', details: [{ field: 'webhook_url' }] })
    // The refusal changed nothing, so it does not hold the Idempotency-Key (found by the API fuzzer).
    expect((await api.request('POST', '/v1/transactions/initialize', { key, body, headers })).status).toBe(201)
  })

  it('keep their Idempotency-Keys apart from the merchant server\'s', async () => {
    api = await startTestApi()
    const { key } = await publishable()
    const headers = { 'idempotency-key': 'same-key' }
    const server = await api.request('POST', '/v1/transactions/initialize', { body, headers })
    const page = await api.request('POST', '/v1/transactions/initialize', { key, body, headers })
    expect(page.headers.get('idempotent-replayed')).toBeNull()
    expect(page.body.data.reference).not.toBe(server.body.data.reference)
    expect((await api.request('POST', '/v1/transactions/initialize', { key, body, headers })).headers.get('idempotent-replayed')).toBe('true')
  })
})

describe('CORS', () => {
  it('answers a publishable key from an allowed origin with that origin, and refuses other origins', async () => {
    api = await startTestApi()
    const { key } = await publishable()
    const ok = await api.request('POST', '/v1/transactions/initialize', { key, body, headers: { origin: SHOP } })
    expect(ok.status).toBe(201)
    expect(ok.headers.get('access-control-allow-origin')).toBe(SHOP)
    expect(ok.headers.get('vary')).toMatch(/Origin/)
    expect(ok.headers.get('access-control-expose-headers')).toMatch(/x-ratelimit-remaining/)
    // Errors reach the page too, so it can show them.
    const bad = await api.request('POST', '/v1/transactions/initialize', { key, body: { amount: 'x' }, headers: { origin: SHOP } })
    expect([bad.status, bad.headers.get('access-control-allow-origin')]).toEqual([422, SHOP])

    const evil = await api.request('POST', '/v1/transactions/initialize', { key, body, headers: { origin: 'https://evil.example' } })
    expect(evil.status).toBe(403)
    expect(evil.body.error.code).toBe('origin_not_allowed')
    expect(evil.headers.get('access-control-allow-origin')).toBeNull()
    expect(await api.rows.value((await import('../ledger/testing.js')).sql`SELECT COUNT(*) FROM payments`)).toBe(1)
  })

  it('never gives secret keys CORS headers', async () => {
    api = await startTestApi()
    await publishable()
    const res = await api.request('GET', '/v1/transactions', { headers: { origin: SHOP } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('answers preflights on publishable routes for origins some publishable key allows', async () => {
    api = await startTestApi()
    await publishable()
    const preflight = async (path: string, origin: string, method = 'POST'): Promise<Response> => await fetch(api.url + path, {
      method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type' }
    })
    const ok = await preflight('/v1/transactions/initialize', SHOP)
    expect(ok.status).toBe(204)
    expect(ok.headers.get('access-control-allow-origin')).toBe(SHOP)
    expect(ok.headers.get('access-control-allow-methods')).toBe('POST')
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/authorization/)
    const get = await preflight('/v1/transactions/hpn_trx_00000000000000000000000000000000', SHOP, 'GET')
    expect(get.headers.get('access-control-allow-origin')).toBe(SHOP)
    for (const res of [await preflight('/v1/transactions/initialize', 'https://evil.example'), await preflight('/v1/transactions/initialize', SHOP, 'DELETE')]) {
      expect(res.status).toBe(204)
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
    }
    expect((await preflight('/v1/keys', SHOP)).headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('IP allow-lists', () => {
  it('refuse a key from another address with 403 ip_not_allowed, and are set and cleared from /v1/keys', async () => {
    api = await startTestApi()
    const made = (await api.request('POST', '/v1/keys', { body: { name: 'srv', scopes: ['payments:read'], allowed_ips: ['10.0.0.0/8'] } })).body.data
    expect(made.allowed_ips).toEqual(['10.0.0.0/8'])
    const refused = await api.request('GET', '/v1/transactions', { key: made.key })
    expect(refused.status).toBe(403)
    expect(refused.body.error).toMatchObject({ code: 'ip_not_allowed', message: expect.stringContaining('127.0.0.1') })
    const patched = await api.request('PATCH', `/v1/keys/${made.id as string}`, { body: { allowed_ips: ['10.0.0.0/8', '127.0.0.1'] } })
    expect(patched.body.data.allowed_ips).toEqual(['10.0.0.0/8', '127.0.0.1/32'])
    expect((await api.request('GET', '/v1/transactions', { key: made.key })).status).toBe(200)
    expect((await api.request('PATCH', `/v1/keys/${made.id as string}`, { body: { allowed_ips: ['nope'] } })).body.error.details[0].field).toBe('allowed_ips')
    expect((await api.request('PATCH', `/v1/keys/${made.id as string}`, { body: { allowed_ips: null } })).body.data.allowed_ips).toBeNull()
    expect((await api.request('PATCH', `/v1/keys/${made.id as string}`, { body: { allowed_origins: [SHOP] } })).body.error.details[0].field).toBe('allowed_origins')
  })

  it('judge the address api.trust_proxy makes the client\'s, IPv6 included', async () => {
    api = await startTestApi({ trustProxy: 1 })
    const key = (await api.request('POST', '/v1/keys', { body: { name: 'srv', scopes: ['payments:read'], allowed_ips: ['2001:db8::/32', '198.51.100.7'] } })).body.data.key
    const from = async (xff: string): Promise<number> => (await api.request('GET', '/v1/transactions', { key, headers: { 'x-forwarded-for': xff } })).status
    expect(await from('2001:db8:1::5')).toBe(200)
    expect(await from('198.51.100.7')).toBe(200)
    expect(await from('2001:db9::5')).toBe(403)
    // One trusted hop: the proxy's view of the client, not what the client wrote before it.
    expect(await from('198.51.100.7, 203.0.113.1')).toBe(403)
    expect(await from('203.0.113.1, 198.51.100.7')).toBe(200)
  })

  it('ignore X-Forwarded-For when no proxy is trusted', async () => {
    api = await startTestApi()
    const key = (await api.request('POST', '/v1/keys', { body: { name: 'srv', scopes: ['payments:read'], allowed_ips: ['198.51.100.7'] } })).body.data.key
    expect((await api.request('GET', '/v1/transactions', { key, headers: { 'x-forwarded-for': '198.51.100.7' } })).status).toBe(403)
  })
})
