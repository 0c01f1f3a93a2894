import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fingerprint } from '../ledger/idempotency.js'
import { sql } from '../ledger/testing.js'
import { HttpError } from './http-errors.js'
import { startTestApi, type TestApi } from '../test/helpers/api-server.js'

let api: TestApi
beforeEach(async () => { api = await startTestApi() })
afterEach(async () => { await api.close() })

const post = (body: unknown, key: string, apiKey?: string) =>
  api.request('POST', '/v1/payments/initialize', { body, key: apiKey, headers: { 'Idempotency-Key': key } })
const count = async (): Promise<number | undefined> => await api.rows.value<number>(sql`SELECT COUNT(*) FROM payments`)

describe('Idempotency-Key', () => {
  it('replays the first response, status and body, with Idempotent-Replayed', async () => {
    const first = await post({ amount: 25 }, 'idem-1')
    expect(first.status).toBe(201)
    expect(first.headers.get('idempotent-replayed')).toBeNull()
    const second = await post({ amount: 25 }, 'idem-1')
    expect(second.status).toBe(201)
    expect(second.headers.get('idempotent-replayed')).toBe('true')
    expect(second.body).toEqual(first.body)
    expect(await count()).toBe(1)
  })

  it('answers 409 idempotency_key_reused for the same key with another body', async () => {
    await post({ amount: 25 }, 'idem-2')
    const res = await post({ amount: 26 }, 'idem-2')
    expect(res.status).toBe(409)
    expect(res.body.error.code).toBe('idempotency_key_reused')
    expect(await count()).toBe(1)
  })

  it('answers 409 idempotency_key_in_use while the first request is still in flight', async () => {
    const owner = { merchantId: 'default', mode: 'test' as const }
    const body = JSON.stringify({ amount: 25 })
    await api.ledger.idempotency.begin(owner, 'idem-3', fingerprint('POST', '/v1/payments/initialize', body))
    const res = await api.request('POST', '/v1/payments/initialize', { raw: body, headers: { 'Idempotency-Key': 'idem-3' } })
    expect(res.status).toBe(409)
    expect(res.body.error.code).toBe('idempotency_key_in_use')
    expect(await count()).toBe(0)
  })

  it('stores nothing for a 404, on an unknown route or an unknown payment, and the key stays free', async () => {
    const keys = async (): Promise<number | undefined> => await api.rows.value<number>(sql`SELECT COUNT(*) FROM idempotency_keys`)
    const unknownRoute = await api.request('POST', '/v1/payments/nothing-here', { body: {}, headers: { 'Idempotency-Key': 'idem-404' } })
    expect(unknownRoute.status).toBe(404)
    const unknownPayment = await api.request('POST', '/v1/payments/hpn_trx_00000000000000000000000000000000/cancel', { headers: { 'Idempotency-Key': 'idem-404' } })
    expect(unknownPayment.status).toBe(404)
    expect(unknownPayment.headers.get('idempotent-replayed')).toBeNull()
    expect(await keys()).toBe(0)
    expect((await post({ amount: 25 }, 'idem-404')).status).toBe(201)
  })

  it('stores nothing for a 401 a route answers itself (its own credentials missing), and the key stays free', async () => {
    // As the MoMo proxy's routes do: a valid Bearer key passes the API's authentication, the route
    // then refuses the request for lacking its own key. Nothing changed, so nothing is replayed.
    await api.close()
    api = await startTestApi({
      rootPlugins: [async (app) => {
        app.post('/own-credentials', async () => { throw new HttpError(401, 'unauthorized', 'X-Proxy-Api-Key is missing') })
      }]
    })
    const keys = async (): Promise<number | undefined> => await api.rows.value<number>(sql`SELECT COUNT(*) FROM idempotency_keys`)
    const refused = await api.request('POST', '/own-credentials', { body: {}, headers: { 'Idempotency-Key': 'idem-401' } })
    expect(refused.status).toBe(401)
    expect(await keys()).toBe(0)
    expect((await post({ amount: 25 }, 'idem-401')).status).toBe(201)
  })

  it('creates one payment when concurrent requests share a key', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, async () => await post({ amount: 40 }, 'idem-4')))
    expect(await count()).toBe(1)
    const references = new Set(results.filter((r) => r.status === 201).map((r) => r.body.data.reference))
    expect(references.size).toBe(1)
    for (const r of results) expect([201, 409]).toContain(r.status)
    expect(results.filter((r) => r.headers.get('idempotent-replayed') === null && r.status === 201)).toHaveLength(1)
  })

  it('keeps keys per merchant and mode', async () => {
    const live = await api.key({ mode: 'live' })
    const other = await api.key({ merchant: 'other' })
    expect((await post({ amount: 1 }, 'shared')).status).toBe(201)
    expect((await post({ amount: 1 }, 'shared', live)).headers.get('idempotent-replayed')).toBeNull()
    expect((await post({ amount: 1 }, 'shared', other)).headers.get('idempotent-replayed')).toBeNull()
    expect(await count()).toBe(3)
  })

  it('does not claim a key for a request that failed validation', async () => {
    expect((await post({ amount: -1 }, 'idem-5')).status).toBe(422)
    expect((await post({ amount: 3 }, 'idem-5')).status).toBe(201)
  })

  it('replays a business conflict the same way', async () => {
    const p = (await post({ amount: 3 }, 'a')).body.data
    await api.request('POST', `/v1/payments/${p.reference as string}/cancel`)
    const first = await api.request('POST', `/v1/payments/${p.reference as string}/cancel`, { headers: { 'Idempotency-Key': 'c' } })
    const again = await api.request('POST', `/v1/payments/${p.reference as string}/cancel`, { headers: { 'Idempotency-Key': 'c' } })
    expect(first.status).toBe(409)
    expect(again.status).toBe(409)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
  })

  it('rejects a key longer than 255 characters', async () => {
    const res = await post({ amount: 3 }, 'k'.repeat(256))
    expect(res.status).toBe(422)
    expect(res.body.error.details[0].field).toBe('Idempotency-Key')
  })

  it('survives a restart: the stored response is on disk', async () => {
    await post({ amount: 7 }, 'durable')
    const rows = await api.rows.all(sql`SELECT state, response_status FROM idempotency_keys WHERE key = ${'durable'}`)
    expect(rows).toEqual([{ state: 'done', response_status: 201 }])
  })
})
