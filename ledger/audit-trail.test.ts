import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openTestLedger, testEngine, type TestLedger } from '../test/helpers/ledger.js'
import { testSecretKey } from '../test/secret-key.js'
import { recordHash, type AuditChange } from './audit-trail.js'
import { openLedger } from './open.js'
import { sql } from './sql.js'

let t: TestLedger
beforeEach(async () => { t = await openTestLedger() })
afterEach(async () => { await t.cleanup() })

const change = (n: number, overrides: Partial<AuditChange> = {}): AuditChange => ({
  actor: { type: 'key', id: `key_${n % 2}`, address: '203.0.113.9' },
  merchantId: 'default',
  mode: 'test',
  action: 'payment.cancel',
  targetType: 'payment',
  targetId: `hpn_trx_${n}`,
  before: { status: 'PENDING' },
  after: { status: 'CANCELLED', n },
  ...overrides
})

async function appendMany (count: number): Promise<void> {
  for (let i = 1; i <= count; i++) await t.ledger.transact(async (tx) => { await tx.auditTrail.append(change(i)) })
}

describe('audit trail (migration 014)', () => {
  it('chains each record to the one before and verifies the whole chain', async () => {
    expect(await t.ledger.auditTrail.verify()).toEqual({ ok: true, records: 0, headHash: '0'.repeat(64) })
    await appendMany(5)
    const verdict = await t.ledger.auditTrail.verify()
    expect(verdict).toMatchObject({ ok: true, records: 5 })
    const page = await t.ledger.auditTrail.list({ merchantId: 'default', mode: 'test', limit: 10 })
    expect(page.items.map((r) => r.seq)).toEqual([5, 4, 3, 2, 1])
    expect(page.items[4]?.prevHash).toBe('0'.repeat(64))
    expect(page.items[0]?.prevHash).toBe(page.items[1]?.hash)
    expect(page.items[0]).toMatchObject({ actorType: 'key', actorId: 'key_1', address: '203.0.113.9', afterState: '{"status":"CANCELLED","n":5}' })
  })

  it('chains several records appended in one transaction after taking the chain, on top of earlier ones', async () => {
    await appendMany(2)
    await t.ledger.transact(async (tx) => {
      await tx.auditTrail.lockChain()
      for (let i = 3; i <= 5; i++) await tx.auditTrail.append(change(i))
    })
    expect(await t.ledger.auditTrail.verify()).toMatchObject({ ok: true, records: 5 })
    const page = await t.ledger.auditTrail.list({ merchantId: 'default', mode: 'test', limit: 10 })
    expect(page.items.map((r) => r.seq)).toEqual([5, 4, 3, 2, 1])
  })

  it('refuses an append outside a transaction: a record without its change (or the reverse) cannot exist', async () => {
    await expect(t.ledger.auditTrail.append(change(1))).rejects.toThrow(/inside a ledger transaction/)
  })

  it('rolls the record back with the change it belongs to', async () => {
    await expect(t.ledger.transact(async (tx) => {
      await tx.auditTrail.append(change(1))
      throw new Error('the change failed')
    })).rejects.toThrow('the change failed')
    expect(await t.rows.value(sql`SELECT count(*) FROM audit_trail`)).toBe(0)
    expect(await t.ledger.auditTrail.verify()).toMatchObject({ ok: true, records: 0 })
  })

  it('names the first edited record', async () => {
    await appendMany(6)
    await t.rows.run(sql`UPDATE audit_trail SET after_state = ${'{"status":"SUCCESS","n":3}'} WHERE seq = 3`)
    await t.rows.run(sql`UPDATE audit_trail SET actor_id = ${'someone'} WHERE seq = 5`)
    expect(await t.ledger.auditTrail.verify()).toMatchObject({ ok: false, brokenAt: 3, reason: expect.stringMatching(/edited/) })
  })

  it('names an edit that recomputed the record\'s own hash: the next record\'s prev_hash no longer matches', async () => {
    await appendMany(4)
    // A forger who knows the hash rule rewrites record 2 and its hash; record 3 still points at the old one.
    await t.rows.run(sql`UPDATE audit_trail SET hash = ${'f'.repeat(64)}, after_state = NULL WHERE seq = 2`)
    const verdict = await t.ledger.auditTrail.verify()
    expect(verdict).toMatchObject({ ok: false, brokenAt: 2 })
  })

  it('names a deleted record, in the middle or at the end', async () => {
    await appendMany(5)
    await t.rows.run(sql`DELETE FROM audit_trail WHERE seq = 2`)
    expect(await t.ledger.auditTrail.verify()).toMatchObject({ ok: false, brokenAt: 2, reason: expect.stringMatching(/missing/) })
    await t.ledger.transact(async (tx) => { await tx.auditTrail.append(change(6)) })
    const fresh = await openTestLedger()
    try {
      for (let i = 1; i <= 3; i++) await fresh.ledger.transact(async (tx) => { await tx.auditTrail.append(change(i)) })
      await fresh.rows.run(sql`DELETE FROM audit_trail WHERE seq = 3`)
      expect(await fresh.ledger.auditTrail.verify()).toMatchObject({ ok: false, brokenAt: 3, reason: expect.stringMatching(/missing.*head/) })
    } finally {
      await fresh.cleanup()
    }
  })

  it('filters by target, actor and time, and pages', async () => {
    await appendMany(5)
    await t.ledger.transact(async (tx) => { await tx.auditTrail.append(change(9, { merchantId: 'other', targetId: 'hpn_trx_1' })) })
    await t.ledger.transact(async (tx) => { await tx.auditTrail.append(change(10, { merchantId: null, mode: null, actor: { type: 'cli', id: 'kofi' }, action: 'merchant.create', targetType: 'merchant', targetId: 'shop' })) })
    const q = { merchantId: 'default', mode: 'test' as const, limit: 10 }
    expect((await t.ledger.auditTrail.list({ ...q, targetType: 'payment', targetId: 'hpn_trx_1' })).items.map((r) => r.seq)).toEqual([1])
    expect((await t.ledger.auditTrail.list({ ...q, actorId: 'key_0' })).items.map((r) => r.seq)).toEqual([4, 2])
    // Another merchant's record is never shown; a box-wide one (the CLI's new merchant) is.
    expect((await t.ledger.auditTrail.list(q)).items.map((r) => r.seq)).toEqual([7, 5, 4, 3, 2, 1])
    const all = (await t.ledger.auditTrail.list(q)).items
    const third = all[2]?.at as number
    expect((await t.ledger.auditTrail.list({ ...q, from: third, to: third })).items.every((r) => r.at === third)).toBe(true)
    const first = await t.ledger.auditTrail.list({ ...q, limit: 4 })
    expect(first).toMatchObject({ hasMore: true })
    const second = await t.ledger.auditTrail.list({ ...q, limit: 4, cursor: first.nextCursor as string })
    expect([...first.items, ...second.items].map((r) => r.seq)).toEqual([7, 5, 4, 3, 2, 1])
  })

  // Several daemons share a ledger on PostgreSQL only (SQLite has one daemon per file; two engines in one process would wait on each other).
  it.runIf(testEngine() === 'postgres')('keeps one chain when several daemons append to one database at once', async () => {
    const other = await openLedger(t.database, { secretKey: testSecretKey(), poolSize: 5 })
    try {
      const nodes = [t.ledger, other]
      await Promise.all(Array.from({ length: 40 }, async (_, i) => {
        await (nodes[i % 2] as typeof other).transact(async (tx) => {
          // The chain first, as every audited change does; then the change's own reads and writes.
          await tx.auditTrail.lockChain()
          await tx.payments.list({ merchantId: 'default', mode: 'test' }, { limit: 1 })
          await tx.auditTrail.append(change(i))
        })
      }))
    } finally {
      await other.close()
    }
    expect(await t.ledger.auditTrail.verify()).toMatchObject({ ok: true, records: 40 })
    expect(await t.rows.value(sql`SELECT count(DISTINCT prev_hash) FROM audit_trail`)).toBe(40)
  })
})

describe('recordHash', () => {
  it('gives the digest records were stored with: a fixed record, non-ASCII text in its snapshot, hashes to the value of the first release', () => {
    // Computed by the release before issue 17's fifth round (a node:crypto Hash object fed the UTF-8 text):
    // records already in a trail must keep verifying.
    expect(recordHash({
      prev_hash: '0'.repeat(64), seq: 7, at: 1764633600000, actor_type: 'key', actor_id: 'key_01', address: '127.0.0.1', merchant_id: 'shop',
      mode: 'live', action: 'payment.initialize', target_type: 'payment', target_id: 'hpn_trx_0001', before_state: null,
      after_state: JSON.stringify({ note: 'Kɔfi’s order ✓', amount: '150.00' })
    })).toBe('56d3beba4edc415c61a20472dfce999a23a3682d6848aae3b1432f1080b1d5bb')
  })
})
