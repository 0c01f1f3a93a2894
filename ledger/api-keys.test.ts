import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openTestLedger, type TestLedger } from '../test/helpers/ledger.js'
import { SecretHashMemo } from './api-keys.js'

let t: TestLedger
beforeEach(async () => {
  t = await openTestLedger()
  await t.ledger.merchants.create({ id: 'shop', name: 'Shop' })
})
afterEach(async () => { await t.cleanup() })

const base = { merchantId: 'shop', name: 'k', mode: 'test' as const }

describe('API key types and access (migration 010)', () => {
  it('makes publishable keys hpn_{mode}_pk_… that authenticate with their type, origins and allow-list', async () => {
    const pk = await t.ledger.apiKeys.create({ ...base, type: 'publishable', scopes: ['payments:write', 'payments:read'], allowedOrigins: ['https://Shop.Example:443/', 'http://localhost:3000'], allowedIps: ['10.0.0.9/8'] })
    expect(pk.secret).toMatch(/^hpn_test_pk_[0-9A-Za-z]{40}$/)
    expect(pk.hint).toMatch(/^hpn_test_pk_…/)
    expect(pk).toMatchObject({ type: 'publishable', allowedOrigins: ['https://shop.example', 'http://localhost:3000'], allowedIps: ['10.0.0.0/8'] })
    expect(await t.ledger.apiKeys.authenticate(pk.secret)).toMatchObject({ type: 'publishable', allowedOrigins: ['https://shop.example', 'http://localhost:3000'], allowedIps: ['10.0.0.0/8'] })
    const sk = await t.ledger.apiKeys.create({ ...base, scopes: ['payments:read'] })
    expect(await t.ledger.apiKeys.authenticate(sk.secret)).toMatchObject({ type: 'secret', allowedOrigins: [], allowedIps: null })
  })

  it('refuses what a key type cannot hold, naming the field', async () => {
    await expect(t.ledger.apiKeys.create({ ...base, type: 'publishable', scopes: ['keys:manage'] })).rejects.toMatchObject({ details: [{ field: 'scopes' }] })
    await expect(t.ledger.apiKeys.create({ ...base, scopes: ['payments:read'], allowedOrigins: ['https://shop.example'] })).rejects.toMatchObject({ details: [{ field: 'allowed_origins' }] })
    await expect(t.ledger.apiKeys.create({ ...base, type: 'publishable', scopes: ['payments:read'], allowedOrigins: ['https://shop.example/pay'] })).rejects.toMatchObject({ details: [{ field: 'allowed_origins' }] })
    await expect(t.ledger.apiKeys.create({ ...base, scopes: ['payments:read'], allowedIps: ['10.0.0.0/40'] })).rejects.toMatchObject({ details: [{ field: 'allowed_ips' }] })
    await expect(t.ledger.apiKeys.create({ ...base, scopes: ['payments:read'], allowedIps: [] })).rejects.toMatchObject({ details: [{ field: 'allowed_ips' }] })
  })

  it('changes access with the key as it was and as it is, and a roll keeps type and access', async () => {
    const pk = await t.ledger.apiKeys.create({ ...base, type: 'publishable', scopes: ['payments:write'], allowedOrigins: ['https://a.example'] })
    const change = await t.ledger.apiKeys.updateAccess(pk.id, { merchantId: 'shop' }, { allowedIps: ['2001:db8::/32'] })
    expect(change.before).toMatchObject({ allowedIps: null, allowedOrigins: ['https://a.example'] })
    expect(change.after).toMatchObject({ allowedIps: ['2001:db8::/32'], allowedOrigins: ['https://a.example'] })
    expect((await t.ledger.apiKeys.updateAccess(pk.id, { merchantId: 'shop' }, { allowedIps: null, allowedOrigins: [] })).after).toMatchObject({ allowedIps: null, allowedOrigins: [] })
    await expect(t.ledger.apiKeys.updateAccess(pk.id, { merchantId: 'other' }, { allowedIps: null })).rejects.toMatchObject({ code: 'not_found' })
    await t.ledger.apiKeys.updateAccess(pk.id, { merchantId: 'shop' }, { allowedOrigins: ['https://b.example'], allowedIps: ['203.0.113.1'] })
    const { key } = await t.ledger.apiKeys.roll(pk.id, { merchantId: 'shop' }, 0)
    expect(key.secret).toMatch(/^hpn_test_pk_/)
    expect(key).toMatchObject({ type: 'publishable', allowedOrigins: ['https://b.example'], allowedIps: ['203.0.113.1/32'], scopes: ['payments:write'] })
  })

  it('tells whether any usable publishable key allows an origin (what a preflight can know)', async () => {
    const pk = await t.ledger.apiKeys.create({ ...base, type: 'publishable', scopes: ['payments:write'], allowedOrigins: ['https://a.example'] })
    expect(await t.ledger.apiKeys.anyAllowsOrigin('https://a.example')).toBe(true)
    expect(await t.ledger.apiKeys.anyAllowsOrigin('https://b.example')).toBe(false)
    await t.ledger.apiKeys.revoke(pk.id)
    expect(await t.ledger.apiKeys.anyAllowsOrigin('https://a.example')).toBe(false)
  })
})

describe('checkout tokens', () => {
  it('open their payment by an unguessable token of which only a hash is stored', async () => {
    const owner = { merchantId: 'shop', mode: 'test' as const }
    const token = await t.ledger.transact(async (tx) => {
      const { payment } = await tx.payments.initialize(owner, { amountMinor: 100, currency: 'GHS', clientReference: null, customerPhone: null, meta: null, expiresInSeconds: 600 })
      return await tx.checkoutTokens.issue(payment.id)
    })
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect((await t.ledger.checkoutTokens.payment(token))?.expected_minor).toBe(100)
    expect(await t.ledger.checkoutTokens.payment(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'))).toBeUndefined()
    expect(await t.ledger.checkoutTokens.payment('../etc')).toBeUndefined()
    const stored = await t.rows.all<{ token_hash: Buffer }>((await import('./testing.js')).sql`SELECT token_hash FROM checkout_tokens`)
    expect(stored).toHaveLength(1)
    expect(Buffer.from(stored[0]?.token_hash ?? []).toString('utf8')).not.toContain(token)
    await expect(t.ledger.checkoutTokens.issue(1)).rejects.toThrow(/inside a ledger transaction/)
  })
})

describe('authentication without waiting (authenticateCached)', () => {
  it('answers only what the key cache holds, and never a key changed since it was cached', async () => {
    const keys = t.ledger.apiKeys
    const key = await keys.create({ ...base, scopes: ['payments:read'] })
    expect(keys.authenticateCached('hpn_test_sk_nonsense')).toBeNull()
    // Never read yet: only the ledger can tell.
    expect(keys.authenticateCached(key.secret)).toBeUndefined()
    const auth = await keys.authenticate(key.secret)
    expect(auth?.keyId).toBe(key.id)
    expect(keys.authenticateCached(key.secret)).toEqual(auth)
    // A wrong secret of the right shape is not answered from the cache either way.
    expect(keys.authenticateCached(`${key.secret.slice(0, -1)}${key.secret.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined()
    expect(await keys.revoke(key.id, 'shop')).toBe(true)
    expect(keys.authenticateCached(key.secret)).toBeUndefined()
    expect(await keys.authenticate(key.secret)).toBeNull()
  })

  it('with a connection\'s memo of the last hash, still tells keys apart and refuses a key revoked since', async () => {
    const keys = t.ledger.apiKeys
    const one = await keys.create({ ...base, scopes: ['payments:read'] })
    const two = await keys.create({ ...base, scopes: ['payments:write'] })
    await keys.authenticate(one.secret)
    await keys.authenticate(two.secret)
    const memo = new SecretHashMemo()
    expect(keys.authenticateCached(one.secret, memo)?.keyId).toBe(one.id)
    expect(keys.authenticateCached(one.secret, memo)?.keyId).toBe(one.id)
    // Another secret on the same connection is hashed afresh, and the first again after it.
    expect(keys.authenticateCached(two.secret, memo)?.keyId).toBe(two.id)
    expect(keys.authenticateCached(`${one.secret.slice(0, -1)}${one.secret.endsWith('A') ? 'B' : 'A'}`, memo)).toBeUndefined()
    expect(keys.authenticateCached(one.secret, memo)?.keyId).toBe(one.id)
    // The memo holds a hash, never a verdict: the revocation counts on the very next request.
    expect(await keys.revoke(one.id, 'shop')).toBe(true)
    expect(keys.authenticateCached(one.secret, memo)).toBeUndefined()
    expect(await keys.authenticate(one.secret)).toBeNull()
    // Refused from the cache, or sent to the ledger (on PostgreSQL the change's notice may still be on its way).
    expect(keys.authenticateCached(one.secret, memo) ?? null).toBeNull()
  })

  it('stops a cached key at its expiry without any change to announce', async () => {
    let now = Date.now()
    const clocked = await openTestLedger({ now: () => now })
    try {
      await clocked.ledger.merchants.create({ id: 'shop', name: 'Shop' })
      const keys = clocked.ledger.apiKeys
      const first = await keys.create({ ...base, scopes: ['payments:read'] })
      const { key: second } = await keys.roll(first.id, { merchantId: 'shop' }, 60)
      expect(second.id).not.toBe(first.id)
      expect((await keys.authenticate(first.secret))?.keyId).toBe(first.id)
      expect(keys.authenticateCached(first.secret)?.keyId).toBe(first.id)
      now += 61_000
      expect(keys.authenticateCached(first.secret)).toBeNull()
    } finally {
      await clocked.cleanup()
    }
  })
})
