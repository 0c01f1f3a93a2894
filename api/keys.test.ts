import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SCOPES } from '../ledger/api-keys.js'
import { startTestApi, type TestApi } from '../test/helpers/api-server.js'

let api: TestApi
beforeEach(async () => { api = await startTestApi() })
afterEach(async () => { await api.close() })

const idOf = async (secret: string): Promise<string> => (await api.ledger.apiKeys.authenticate(secret))?.keyId as string

/**
 * Issue 11 D1: a live key with only keys:manage and payments:read rolled the merchant's all-scopes
 * key and received its scopes. A key may act only on keys whose scopes it holds itself, of its own
 * mode and merchant; anything else is as invisible as another merchant's key (404, never 403).
 */
describe('a key never reaches a key with scopes it lacks', () => {
  it('cannot roll, revoke or list a key with wider scopes, and the wider key keeps working', async () => {
    const narrow = await api.key({ mode: 'live', scopes: ['keys:manage', 'payments:read'] })
    const wide = await api.key({ mode: 'live', scopes: [...SCOPES] })
    const wideId = await idOf(wide)

    const rolled = await api.request('POST', `/v1/keys/${wideId}/roll`, { key: narrow, body: { expires_in: 0 } })
    expect(rolled.status).toBe(404)
    expect(rolled.body.error.code).toBe('not_found')
    expect(JSON.stringify(rolled.body)).not.toContain('hpn_live_sk_')

    const revoked = await api.request('DELETE', `/v1/keys/${wideId}`, { key: narrow })
    expect(revoked.status).toBe(404)

    const listed = await api.request('GET', '/v1/keys', { key: narrow })
    expect(listed.status).toBe(200)
    expect(listed.body.data.map((k: { id: string }) => k.id)).not.toContain(wideId)
    expect(listed.body.data.map((k: { id: string }) => k.id)).toContain(await idOf(narrow))

    // The victim was not touched: it still authenticates and reads metrics.
    expect((await api.request('GET', '/metrics', { key: wide })).status).toBe(200)
    expect((await api.ledger.apiKeys.get(wideId))?.expiresAt).toBeNull()
    expect((await api.ledger.apiKeys.get(wideId))?.revokedAt).toBeNull()
  })

  it('may roll, revoke and list keys whose scopes it holds, itself included', async () => {
    const manager = await api.key({ mode: 'live', scopes: ['keys:manage', 'payments:read', 'payments:write'] })
    const reader = await api.key({ mode: 'live', scopes: ['payments:read'] })
    const peer = await api.key({ mode: 'live', scopes: ['keys:manage', 'payments:write', 'payments:read'] })

    const listed = await api.request('GET', '/v1/keys', { key: manager })
    expect(listed.body.data.map((k: { id: string }) => k.id).sort()).toEqual([await idOf(manager), await idOf(reader), await idOf(peer)].sort())

    const rolled = await api.request('POST', `/v1/keys/${await idOf(reader)}/roll`, { key: manager, body: { expires_in: 60 } })
    expect(rolled.status).toBe(201)
    expect(rolled.body.data.scopes).toEqual(['payments:read'])
    expect((await api.request('DELETE', `/v1/keys/${await idOf(peer)}`, { key: manager })).status).toBe(200)
    const self = await api.request('POST', `/v1/keys/${await idOf(manager)}/roll`, { key: manager, body: { expires_in: 60 } })
    expect(self.status).toBe(201)
  })

  it('never reaches another mode\'s or another merchant\'s key, whatever their scopes', async () => {
    const live = await api.key({ mode: 'live', scopes: [...SCOPES] })
    const test = await api.key({ mode: 'test', scopes: ['payments:read'] })
    const foreign = await api.key({ merchant: 'other', mode: 'live', scopes: ['payments:read'] })
    for (const id of [await idOf(test), await idOf(foreign)]) {
      expect((await api.request('POST', `/v1/keys/${id}/roll`, { key: live, body: { expires_in: 0 } })).status).toBe(404)
      expect((await api.request('DELETE', `/v1/keys/${id}`, { key: live })).status).toBe(404)
    }
    const listed = await api.request('GET', '/v1/keys', { key: live })
    expect(listed.body.data.map((k: { id: string }) => k.id)).toEqual([await idOf(live)])
  })
})
