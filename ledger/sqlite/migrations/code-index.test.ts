import { describe, expect, it } from 'vitest'
import { upgradedFrom } from '../../../test/helpers/sqlite-upgrade.js'
import { testSecretKey } from '../../../test/secret-key.js'
import { createLedger } from '../../ledger.js'
import { sql } from '../../sql.js'

describe('migration 015: one index on the HPN code', () => {
  it('replaces the two indexes led by the HPN code with one that serves the in-use check and each owner\'s lookup', async () => {
    const { engine, cleanup } = await upgradedFrom(15, async (before) => await before.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO merchants (id, name, created_at) VALUES ('a', 'Shop A', 0), ('b', 'Shop B', 0)`)
      const insert = async (reference: string, merchant: string, status: string, createdAt: number): Promise<void> => {
        await tx.run(sql`INSERT INTO payments (reference, merchant_id, mode, hpn_code, status, expected_minor, currency, expires_at, created_at, updated_at)
          VALUES (${reference}, ${merchant}, 'live', 'HKMVR2', ${status}, 100, 'GHS', 0, ${createdAt}, ${createdAt})`)
      }
      // One code over the years: merchant a's expired payment, b's, then a's current one.
      await insert('hpn_trx_a_old', 'a', 'EXPIRED', 1)
      await insert('hpn_trx_b', 'b', 'EXPIRED', 2)
      await insert('hpn_trx_a_new', 'a', 'PENDING', 3)
    }))
    const indexes = engine.connection.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'payments'").pluck().all()
    expect(indexes).not.toContain('payments_owner_code')
    expect(indexes).not.toContain('payments_code')
    expect(indexes).toContain('payments_by_code')
    const ledger = createLedger(engine, { secretKey: testSecretKey() })
    expect((await ledger.payments.findByCode({ merchantId: 'a', mode: 'live' }, 'HKMVR2'))?.reference).toBe('hpn_trx_a_new')
    expect((await ledger.payments.findByCode({ merchantId: 'b', mode: 'live' }, 'HKMVR2'))?.reference).toBe('hpn_trx_b')
    expect(await ledger.payments.findByCode({ merchantId: 'b', mode: 'test' }, 'HKMVR2')).toBeUndefined()
    // The query of SqlPaymentStore.findByCode: a search of the code's index, never a walk of the owner's payments.
    const plan = engine.connection.prepare(`EXPLAIN QUERY PLAN SELECT * FROM payments WHERE hpn_code = ? AND merchant_id = ? AND mode = ?
      ORDER BY id DESC LIMIT 1`).all('HKMVR2', 'a', 'live') as Array<{ detail: string }>
    expect(plan.map((p) => p.detail)).toEqual(['SEARCH payments USING INDEX payments_by_code (hpn_code=? AND merchant_id=? AND mode=?)'])
    // The reuse check inside ledger/payments.ts initialize's INSERT: the open code's unique index, or the code's rows of any owner.
    const inUse = engine.connection.prepare(`EXPLAIN QUERY PLAN SELECT 1 FROM payments WHERE hpn_code = ? AND (status IN ('PENDING', 'PARTIAL') OR created_at > ?) LIMIT 1`)
      .all('HKMVR2', 0) as Array<{ detail: string }>
    expect(inUse.map((p) => p.detail).join(' | ')).toMatch(/payments_by_code \(hpn_code=\?\)/)
    expect(inUse.map((p) => p.detail).join(' | ')).not.toMatch(/SCAN/)
    await ledger.close()
    await cleanup()
  })
})
