import { afterEach, describe, expect, it } from 'vitest'
import { startTestApi, type TestApi } from '../test/helpers/api-server.js'
import type { AccessLogSettings } from './access-log.js'

let api: TestApi | undefined
afterEach(async () => { await api?.close(); api = undefined })

interface Line { msg: string, level: number, reqId?: string, req?: { method: string, url: string }, res?: { statusCode: number } }

/** The access-log lines written so far, as method, path and status. */
function accessLines (a: TestApi): string[] {
  return a.logs.map((l) => JSON.parse(l) as Line)
    .filter((l) => l.msg === 'request completed' || l.msg === 'request errored')
    .map((l) => `${l.req?.method ?? '?'} ${l.req?.url ?? '?'} ${l.res?.statusCode ?? '?'}`)
}

async function start (accessLog: AccessLogSettings): Promise<TestApi> {
  api = await startTestApi({ accessLog })
  return api
}

describe('access log (api.access_log)', () => {
  it('by default writes a line for every error and every write, none for a successful fast read', async () => {
    const a = await start({ reads: false, slowMs: 60_000 })
    const key = await a.key()
    const made = await a.request('POST', '/v1/payments/initialize', { key, body: { amount: 150 } })
    expect(made.status).toBe(201)
    const reference = made.body.data.reference as string
    expect((await a.request('GET', `/v1/payments/${reference}`, { key })).status).toBe(200)
    expect((await a.request('GET', '/healthz')).status).toBe(200)
    expect((await a.request('GET', `/v1/payments/${reference}`, { key: null })).status).toBe(401)
    expect((await a.request('GET', '/v1/payments/hpn_trx_00000000000000000000000000000000', { key })).status).toBe(404)
    expect((await a.request('POST', '/v1/payments/initialize', { key, body: { amount: 'x' } })).status).toBe(422)
    expect(accessLines(a)).toEqual([
      'POST /v1/payments/initialize 201',
      `GET /v1/payments/${reference} 401`,
      'GET /v1/payments/hpn_trx_00000000000000000000000000000000 404',
      'POST /v1/payments/initialize 422'
    ])
  })

  it('writes a line for any request at or over slow_ms, and for every read with reads', async () => {
    const slow = await start({ reads: false, slowMs: 0 })
    expect((await slow.request('GET', '/healthz')).status).toBe(200)
    expect(accessLines(slow)).toEqual(['GET /healthz 200'])
    await slow.close()
    const all = await start({ reads: true, slowMs: 60_000 })
    expect((await all.request('GET', '/healthz')).status).toBe(200)
    expect(accessLines(all)).toEqual(['GET /healthz 200'])
  })

  it('carries each request\'s reqId, though a request that logs nothing gets no logger made (api/request-logger.ts)', async () => {
    const a = await start({ reads: false, slowMs: 60_000 })
    const key = await a.key()
    expect((await a.request('GET', '/v1/payments/hpn_trx_00000000000000000000000000000000', { key })).status).toBe(404)
    expect((await a.request('GET', '/healthz')).status).toBe(200)
    expect((await a.request('GET', '/v1/payments/hpn_trx_00000000000000000000000000000001', { key })).status).toBe(404)
    const ids = a.logs.map((l) => JSON.parse(l) as Line).filter((l) => l.msg === 'request completed').map((l) => l.reqId)
    expect(ids).toHaveLength(2)
    expect(ids[0]).toMatch(/^req-/)
    expect(ids[1]).toMatch(/^req-/)
    expect(ids[0]).not.toBe(ids[1])
  })
})
