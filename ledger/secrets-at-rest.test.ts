import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openTestLedger, type TestLedger } from '../test/helpers/ledger.js'
import { testSecretKey } from '../test/secret-key.js'
import { openLedger } from './open.js'
import { SecretBox } from './secret-box.js'
import { sql } from './sql.js'

let t: TestLedger
beforeEach(async () => {
  t = await openTestLedger()
  await t.ledger.merchants.create({ id: 'shop', name: 'Shop' })
})
afterEach(async () => { await t.cleanup() })

const owner = { merchantId: 'shop', mode: 'test' as const }
const SECRET = `whsec_${randomBytes(32).toString('base64')}`

describe('secret box', () => {
  it('seals with AES-256-GCM: a fresh nonce each time, opens only with its key and its row', () => {
    const box = new SecretBox(randomBytes(32))
    const a = box.seal(SECRET, 'webhook_secrets:e1')
    expect(a).toMatch(/^enc:v1:[A-Za-z0-9_-]+$/)
    expect(a).not.toContain(SECRET.slice(6, 20))
    expect(box.seal(SECRET, 'webhook_secrets:e1')).not.toBe(a)
    expect(box.open(a, 'webhook_secrets:e1')).toBe(SECRET)
    expect(() => box.open(a, 'webhook_secrets:e2')).toThrow(/does not open/)
    expect(() => new SecretBox(randomBytes(32)).open(a, 'webhook_secrets:e1')).toThrow(/does not open/)
    const flipped = a.slice(0, -2) + (a.at(-2) === 'A' ? 'B' : 'A') + a.slice(-1)
    expect(() => box.open(flipped, 'webhook_secrets:e1')).toThrow(/does not open/)
    expect(() => new SecretBox(randomBytes(16))).toThrow(/32 bytes/)
  })
})

describe('secrets at rest (migration 014)', () => {
  it('keeps webhook secrets sealed in the database and reads them back', async () => {
    await t.ledger.webhookEndpoints.create(owner, { id: 'e1', url: 'https://shop.example/h', events: ['*'], description: null, secret: SECRET })
    const stored = await t.rows.value<string>(sql`SELECT secret FROM webhook_secrets WHERE endpoint_id = ${'e1'}`)
    expect(stored).toMatch(/^enc:v1:/)
    expect(stored).not.toContain(SECRET)
    expect(await t.ledger.webhookEndpoints.secretsOf('e1')).toEqual([SECRET])
    const rotated = `whsec_${randomBytes(32).toString('base64')}`
    await t.ledger.webhookEndpoints.rotateSecret(owner, 'e1', rotated, 60)
    expect(await t.ledger.webhookEndpoints.secretsOf('e1')).toEqual([rotated, SECRET])
    const all = await t.rows.all<{ secret: string }>(sql`SELECT secret FROM webhook_secrets`)
    expect(all.every((r) => r.secret.startsWith('enc:v1:'))).toBe(true)
  })

  it('seals the plaintext secrets an older release left, in place, when the ledger opens', async () => {
    await t.ledger.webhookEndpoints.create(owner, { id: 'e1', url: 'https://shop.example/h', events: ['*'], description: null, secret: SECRET })
    // As before migration 014: the secret in plaintext.
    await t.rows.run(sql`UPDATE webhook_secrets SET secret = ${SECRET} WHERE endpoint_id = ${'e1'}`)
    const again = await t.reopen()
    t = again
    const stored = await t.rows.value<string>(sql`SELECT secret FROM webhook_secrets WHERE endpoint_id = ${'e1'}`)
    expect(stored).toMatch(/^enc:v1:/)
    expect(await t.ledger.webhookEndpoints.secretsOf('e1')).toEqual([SECRET])
  })

  it('refuses to open with another key, saying so, and changes nothing', async () => {
    await t.ledger.webhookEndpoints.create(owner, { id: 'e1', url: 'https://shop.example/h', events: ['*'], description: null, secret: SECRET })
    const before = await t.rows.value<string>(sql`SELECT secret FROM webhook_secrets`)
    await expect(openLedger(t.database, { secretKey: randomBytes(32) })).rejects.toMatchObject({ code: 'secret_key_wrong', message: expect.stringMatching(/another secret key/) })
    expect(await t.rows.value<string>(sql`SELECT secret FROM webhook_secrets`)).toBe(before)
    const right = await openLedger(t.database, { secretKey: testSecretKey() })
    await right.close()
  })
})
