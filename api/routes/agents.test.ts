import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SCOPES } from '../../ledger/api-keys.js'
import { sql } from '../../ledger/testing.js'
import { encodeDeliver } from '../../modem/pdu/encode.js'
import { emptyCounters } from '../../modem/status.js'
import { startTestApi, type TestApi } from '../../test/helpers/api-server.js'

let api: TestApi
beforeEach(async () => { api = await startTestApi() })
afterEach(async () => { await api.close() })

const modem = {
  id: 'mtn-1', port: '/dev/serial/by-id/usb-mtn', network: 'mtn', msisdn: '0244000001', virtual: false, connected: true, signal_dbm: -70, registered: true,
  sim_ready: true, imei: '860000000000001', imsi: '620010000000001', last_sms_at: null, storage_used: 1, storage_total: 30, counters: emptyCounters(), last_error: null
}
const heartbeat = { agent: 'kumasi', version: '0.1.0', backlog: { pending: 0, oldest_pending_at: null }, modems: [modem] }
const message = (text: string, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  agent: 'kumasi', seq: 1, modem, modem_key: 'imsi:620010000000001', stored_at: 1_700_000_000_000, complete: true,
  pdus: [encodeDeliver({ sender: 'MobileMoney', text })], ...over
})

describe('the agent routes', () => {
  it('take a heartbeat and a message from an agent key, answering a repeat as a duplicate', async () => {
    const agentKey = await api.key({ mode: 'live', scopes: ['agent'] })
    const beat = await api.request('POST', '/v1/agent/heartbeat', { key: agentKey, body: heartbeat })
    expect(beat.status).toBe(200)
    expect(beat.body.data.agent).toEqual({ id: 'kumasi', merchant: 'default', mode: 'live' })
    const first = await api.request('POST', '/v1/agent/messages', { key: agentKey, body: message('hello from kumasi') })
    expect(first.status).toBe(200)
    expect(first.body.data).toMatchObject({ duplicate: false, outcome: 'unparsed' })
    const again = await api.request('POST', '/v1/agent/messages', { key: agentKey, body: message('hello from kumasi') })
    expect(again.body.data).toEqual({ duplicate: true, sms_id: first.body.data.sms_id, outcome: null })
    expect(await api.rows.value(sql`SELECT COUNT(*) FROM sms_messages`)).toBe(1)
  })

  it('give an agent key nothing else: every other route of the API answers 403', async () => {
    const agentKey = await api.key({ mode: 'test', scopes: ['agent'] })
    const doc = (await api.request('GET', '/openapi.json', { key: null })).body as { paths: Record<string, Record<string, unknown>> }
    const tried: string[] = []
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (path.startsWith('/v1/agent/') || !(path.startsWith('/v1/') || path === '/metrics')) continue
      for (const method of Object.keys(methods)) {
        const res = await api.request(method.toUpperCase(), path.replace(/\{[^}]+\}/g, 'x'), { key: agentKey, body: method === 'get' || method === 'delete' ? undefined : {} })
        expect(res.status, `${method} ${path}`).toBe(403)
        tried.push(`${method} ${path}`)
      }
    }
    expect(tried.length).toBeGreaterThan(15)
    expect(tried).toContain('post /v1/keys')
    expect(tried).toContain('post /v1/test/sms')
  })

  it('are closed to every other key, and test SMS go to test-mode agent keys only', async () => {
    const wide = await api.key({ mode: 'live', scopes: [...SCOPES] })
    for (const path of ['/v1/agent/heartbeat', '/v1/agent/messages', '/v1/agent/test-sms/claim']) {
      const res = await api.request('POST', path, { key: wide, body: heartbeat })
      expect(res.status, path).toBe(403)
      expect(res.body.error.message).toContain('agent scope')
    }
    expect((await api.request('POST', '/v1/agent/heartbeat', { key: null, body: heartbeat })).status).toBe(401)
    const liveAgent = await api.key({ mode: 'live', scopes: ['agent'] })
    expect((await api.request('POST', '/v1/agent/test-sms/claim', { key: liveAgent, body: { agent: 'kumasi' } })).status).toBe(403)
    // A key made over the API can never be an agent key.
    const made = await api.request('POST', '/v1/keys', { key: await api.key({ mode: 'test', scopes: ['keys:manage'] }), body: { name: 'x', scopes: ['agent'] } })
    expect(made.status).toBe(422)
  })

  it('refuse malformed bodies naming the field, and an agent id of another merchant with 409', async () => {
    const agentKey = await api.key({ mode: 'live', scopes: ['agent'] })
    const cases: Array<[Record<string, unknown>, string]> = [
      [message('x', { agent: 'kumasi/evil' }), 'agent'],
      [message('x', { pdus: [] }), 'pdus'],
      [message('x', { mode: 'live' }), 'mode'],
      [message('x', { modem_key: 'serial 7' }), 'modem_key'],
      [message('x', { modem: { ...modem, counters: { 'x-y': 1 } } }), 'modem.counters']
    ]
    for (const [body, field] of cases) {
      const res = await api.request('POST', '/v1/agent/messages', { key: agentKey, body })
      expect(res.status, field).toBe(422)
      expect(res.body.error.details.map((d: { field: string }) => d.field).join(' '), field).toContain(field)
    }
    expect((await api.request('POST', '/v1/agent/heartbeat', { key: agentKey, body: heartbeat })).status).toBe(200)
    const theirs = await api.key({ merchant: 'other', mode: 'live', scopes: ['agent'] })
    const clash = await api.request('POST', '/v1/agent/heartbeat', { key: theirs, body: heartbeat })
    expect(clash.status).toBe(409)
    expect(clash.body.error.code).toBe('agent_conflict')
    const virtual = await api.request('POST', '/v1/agent/messages', { key: agentKey, body: message('x', { modem: { ...modem, virtual: true } }) })
    expect(virtual.status).toBe(422)
    expect(await api.rows.value(sql`SELECT COUNT(*) FROM sms_messages`)).toBe(0)
  })
})
