import { Agent, request as httpRequest } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sql } from '../ledger/testing.js'
import { startTestApi, type TestApi } from '../test/helpers/api-server.js'

let api: TestApi
beforeEach(async () => { api = await startTestApi() })
afterEach(async () => { await api.close() })

describe('authentication', () => {
  it.each([
    ['no header', null, undefined],
    ['a malformed header', null, { authorization: 'Token abc' }],
    ['an unknown key', 'hpn_test_sk_0123456789abcdefghijklmnopqrstuvwxyzAB', undefined],
    ['garbage', 'not-a-key', undefined]
  ])('answers 401 for %s', async (_label, key, headers) => {
    const res = await api.request('GET', '/v1/payments', { key, headers })
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe('unauthorized')
    expect(res.headers.get('x-ratelimit-limit')).not.toBeNull()
  })

  it('answers 401 for a revoked key at once', async () => {
    const key = await api.key()
    expect((await api.request('GET', '/v1/payments', { key })).status).toBe(200)
    const id = (await api.ledger.apiKeys.authenticate(key))?.keyId as string
    const revoked = await api.request('DELETE', `/v1/keys/${id}`)
    expect(revoked.status).toBe(200)
    expect(revoked.body.data.revoked_at).not.toBeNull()
    expect((await api.request('GET', '/v1/payments', { key })).status).toBe(401)
  })

  it('judges each request of one keep-alive connection by its own Authorization header', async () => {
    // api/auth.ts remembers a connection's last header and secret: a client that changes key, or
    // sends a malformed header, on the same connection must get what that header deserves.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const reader = await api.key({ scopes: ['payments:read'] })
    const writer = await api.key({ scopes: ['payments:write'] })
    const get = async (authorization: string): Promise<{ status: number, reused: boolean }> => await new Promise((resolve, reject) => {
      const req = httpRequest(`${api.url}/v1/payments`, { agent, headers: { authorization } }, (res) => {
        res.resume()
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }) })
      })
      req.on('error', reject)
      req.end()
    })
    try {
      const answers = []
      for (const header of [`Bearer ${reader}`, `Bearer ${reader}`, `Bearer ${writer}`, 'Token abc', `Bearer ${reader}`, `Bearer  ${writer} `]) answers.push(await get(header))
      expect(answers.map((a) => a.status)).toEqual([200, 200, 403, 401, 200, 403])
      expect(answers.slice(1).every((a) => a.reused)).toBe(true)
    } finally {
      agent.destroy()
    }
  })

  it('keeps public routes public', async () => {
    expect((await api.request('GET', '/healthz', { key: null })).status).toBe(200)
    expect((await api.request('GET', '/openapi.json', { key: null })).status).toBe(200)
    expect((await api.request('GET', '/docs', { key: null })).status).toBeLessThan(400)
  })
})

describe('scopes', () => {
  it.each([
    ['payments:read', 'POST', '/v1/payments/initialize', { amount: 1 }],
    ['payments:write', 'GET', '/v1/payments', undefined],
    ['payments:read', 'GET', '/v1/keys', undefined],
    ['payments:read', 'GET', '/v1/modems', undefined],
    ['payments:read', 'GET', '/metrics', undefined]
  ] as const)('a key with only %s gets 403 on %s %s', async (scope, method, path, body) => {
    const key = await api.key({ scopes: [scope] })
    const res = await api.request(method, path, { key, body })
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe('insufficient_scope')
  })

  it('lets an operator key read metrics and modems', async () => {
    const key = await api.key({ scopes: ['operator'] })
    const metrics = await api.request('GET', '/metrics', { key })
    expect(metrics.status).toBe(200)
    expect(metrics.body).toContain('harpoon_http_requests_total')
    expect((await api.request('GET', '/v1/modems', { key })).body).toEqual({ success: true, data: [] })
  })

  it('never lets a key create a key with more scopes or another mode', async () => {
    const key = await api.key({ scopes: ['keys:manage', 'payments:read'] })
    const wider = await api.request('POST', '/v1/keys', { key, body: { name: 'x', scopes: ['payments:write'] } })
    expect(wider.status).toBe(422)
    const live = await api.request('POST', '/v1/keys', { key, body: { name: 'x', scopes: ['payments:read'], mode: 'live' } })
    expect(live.status).toBe(422)
    expect(live.body.error.details[0].field).toBe('mode')
  })
})

describe('isolation between merchants and between modes', () => {
  it('answers 404, never 403, for another merchant\'s or another mode\'s payment, and lists only one\'s own', async () => {
    const mine = (await api.request('POST', '/v1/payments/initialize', { body: { amount: 5, client_reference: 'shared-ref' } })).body.data
    const otherMerchant = await api.key({ merchant: 'other' })
    const liveKey = await api.key({ mode: 'live' })
    for (const key of [otherMerchant, liveKey]) {
      for (const id of [mine.reference, mine.hpn_code, 'shared-ref']) {
        const res = await api.request('GET', `/v1/payments/${id as string}`, { key })
        expect(res.status).toBe(404)
      }
      expect((await api.request('POST', `/v1/payments/${mine.reference as string}/cancel`, { key })).status).toBe(404)
      expect((await api.request('GET', '/v1/payments', { key })).body.data).toEqual([])
    }
    // The same client_reference is free for another merchant and for the other mode.
    const theirs = await api.request('POST', '/v1/payments/initialize', { key: otherMerchant, body: { amount: 9, client_reference: 'shared-ref' } })
    expect(theirs.status).toBe(201)
    const live = await api.request('POST', '/v1/payments/initialize', { key: liveKey, body: { amount: 9, client_reference: 'shared-ref' } })
    expect(live.status).toBe(201)
    expect(live.body.data.mode).toBe('live')
  })

  it('hides other merchants\' keys', async () => {
    const other = await api.key({ merchant: 'other' })
    const res = await api.request('GET', '/v1/keys', { key: other })
    expect(res.body.data.every((k: { merchant: string }) => k.merchant === 'other')).toBe(true)
    const mineId = (await api.ledger.apiKeys.list('default'))[0]?.id as string
    expect((await api.request('DELETE', `/v1/keys/${mineId}`, { key: other })).status).toBe(404)
    expect((await api.request('POST', `/v1/keys/${mineId}/roll`, { key: other, body: { expires_in: 0 } })).status).toBe(404)
  })
})

describe('key rotation', () => {
  it('rolls a key with overlap: both work until the old one expires', async () => {
    const key = await api.key({ scopes: ['keys:manage', 'payments:read'] })
    const id = (await api.ledger.apiKeys.authenticate(key))?.keyId as string
    const rolled = await api.request('POST', `/v1/keys/${id}/roll`, { key, body: { expires_in: 3600 } })
    expect(rolled.status).toBe(201)
    // The new key in the shape of POST /v1/keys, the previous one beside it.
    const fresh = rolled.body.data
    expect(fresh.key).toMatch(/^hpn_test_sk_[0-9A-Za-z]{40}$/)
    expect(fresh).toMatchObject({ scopes: ['keys:manage', 'payments:read'], rolled_from: id, mode: 'test', expires_at: null })
    expect(fresh.previous).toMatchObject({ id, expires_at: expect.any(String) })
    expect(fresh.previous.key).toBeUndefined()
    expect((await api.request('GET', '/v1/payments', { key })).status).toBe(200)
    expect((await api.request('GET', '/v1/payments', { key: fresh.key })).status).toBe(200)
    // expires_in 0 ends the overlap now.
    const again = await api.request('POST', `/v1/keys/${fresh.id as string}/roll`, { key: fresh.key, body: { expires_in: 0 } })
    expect(again.status).toBe(201)
    expect((await api.request('GET', '/v1/payments', { key: fresh.key })).status).toBe(401)
    expect((await api.request('GET', '/v1/payments', { key: again.body.data.key })).status).toBe(200)
  })

  it('shows a secret only when a key is created', async () => {
    const created = await api.request('POST', '/v1/keys', { body: { name: 'pos', scopes: ['payments:read'] } })
    expect(created.status).toBe(201)
    expect(created.body.data.key).toMatch(/^hpn_test_sk_/)
    const listed = await api.request('GET', '/v1/keys')
    expect(JSON.stringify(listed.body)).not.toContain(created.body.data.key)
    const stored = await api.rows.all(sql`SELECT * FROM api_keys`)
    expect(JSON.stringify(stored)).not.toContain(created.body.data.key)
  })
})

describe('malformed and oversized requests', () => {
  it('answers 400 malformed_json for broken JSON', async () => {
    const res = await api.request('POST', '/v1/payments/initialize', { raw: '{"amount": 10,' })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('malformed_json')
  })

  it('answers 422 when the body is JSON but not an object', async () => {
    const res = await api.request('POST', '/v1/payments/initialize', { raw: '[1,2]' })
    expect(res.status).toBe(422)
  })

  it('answers 413 over 64 KiB', async () => {
    const res = await api.request('POST', '/v1/payments/initialize', { raw: JSON.stringify({ amount: 1, meta: { x: 'y'.repeat(70_000) } }) })
    expect(res.status).toBe(413)
    expect(res.body.error.code).toBe('payload_too_large')
  })

  it('answers 415 for a body that is not JSON', async () => {
    const res = await api.request('POST', '/v1/payments/initialize', { raw: 'amount=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(res.status).toBe(415)
  })

  it('answers 404 in the error envelope for an unknown route', async () => {
    const res = await api.request('GET', '/v1/nothing-here')
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('not_found')
  })

  it('rejects prototype-poisoning bodies without a 500, naming the key', async () => {
    const res = await api.request('POST', '/v1/payments/initialize', { raw: '{"amount": 1, "__proto__": {"admin": true}}' })
    expect(res.status).toBe(422)
    expect(res.body.error.details[0].field).toBe('__proto__')
  })
})

describe('rate limits', () => {
  it('counts per key, carries X-RateLimit headers, and answers 429 with Retry-After', async () => {
    await api.close()
    api = await startTestApi({ rateLimit: { max: 3, windowMs: 60_000 } })
    const a = await api.key()
    const b = await api.key()
    const statuses: number[] = []
    let last
    for (let i = 0; i < 4; i++) {
      last = await api.request('GET', '/v1/payments', { key: a })
      statuses.push(last.status)
    }
    expect(statuses).toEqual([200, 200, 200, 429])
    expect(last?.body.error.code).toBe('rate_limited')
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(last?.headers.get('x-ratelimit-remaining')).toBe('0')
    const other = await api.request('GET', '/v1/payments', { key: b })
    expect(other.status).toBe(200)
    expect(other.headers.get('x-ratelimit-limit')).toBe('3')
    expect(other.headers.get('x-ratelimit-remaining')).toBe('2')
    expect(other.headers.get('x-ratelimit-reset')).not.toBeNull()
  })
})

describe('logs', () => {
  it('never contain an API key, even when a client sends it in odd places', async () => {
    const key = await api.key()
    await api.request('GET', '/v1/payments', { key })
    await api.request('POST', '/v1/payments/initialize', { key, raw: '{"amount": 1,' })
    await api.request('GET', `/v1/payments/${key}`, { key: `${key}x` })
    await api.request('POST', '/v1/keys', { key, body: { name: 'k', scopes: ['payments:read'] } })
    const created = (await api.ledger.apiKeys.list('default')).length
    expect(created).toBeGreaterThan(1)
    expect(api.logs.length).toBeGreaterThan(4)
    const all = api.logs.join('\n')
    expect(all).not.toMatch(/hpn_(live|test)_sk_[0-9A-Za-z]{10}/)
    // Publishable keys are public by design, yet still credentials: masked too.
    const pk = (await api.ledger.apiKeys.create({ merchantId: 'default', name: 'web', mode: 'test', type: 'publishable', scopes: ['payments:read'] })).secret
    await api.request('GET', `/v1/payments/${pk}`, { key: pk })
    expect(api.logs.join('\n')).not.toContain(pk.slice(12))
  })
})
