import { describe, expect, it } from 'vitest'
import { upgradedFrom } from '../../../test/helpers/sqlite-upgrade.js'
import { sql } from '../../sql.js'
import type { SqliteEngine } from '../engine.js'

describe('migration 017: triggers guard an open HPN code in place of its unique index', () => {
  it('keeps every payment, drops payments_open_code, refuses a second payable holder of a code, and searches payments_by_code to do so', async () => {
    const insert = async (engine: SqliteEngine, reference: string, status: string): Promise<void> => {
      await engine.run(sql`INSERT INTO payments (reference, merchant_id, mode, hpn_code, status, expected_minor, currency, expires_at, created_at, updated_at)
        VALUES (${reference}, 'a', 'live', 'HKMVR2', ${status}, 100, 'GHS', 0, 1, 1)`)
    }
    const { engine, cleanup } = await upgradedFrom(17, async (before) => {
      await before.run(sql`INSERT INTO merchants (id, name, created_at) VALUES ('a', 'Shop A', 0)`)
      await insert(before, 'hpn_trx_old', 'EXPIRED')
      await insert(before, 'hpn_trx_open', 'PENDING')
    })
    const db = engine.connection
    expect(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'payments'").pluck().all()).not.toContain('payments_open_code')
    expect(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'payments' ORDER BY name").pluck().all())
      .toEqual(['payments_open_code_insert', 'payments_open_code_update'])
    expect(db.prepare('SELECT reference, status FROM payments ORDER BY id').all()).toEqual([
      { reference: 'hpn_trx_old', status: 'EXPIRED' }, { reference: 'hpn_trx_open', status: 'PENDING' }
    ])
    await expect(insert(engine, 'hpn_trx_second', 'PENDING')).rejects.toThrow(/open_code_taken/)
    await expect(engine.run(sql`UPDATE payments SET status = 'PARTIAL' WHERE reference = 'hpn_trx_old'`)).rejects.toThrow(/open_code_taken/)
    await insert(engine, 'hpn_trx_closed', 'CANCELLED')
    expect(db.prepare('SELECT COUNT(*) FROM payments').pluck().get()).toBe(3)

    // The triggers' search, and the matcher's search for the open payment of a code (ledger/credits.ts):
    // an index search by the code, never a walk of the table, now that the partial index is gone.
    const plan = (text: string, ...args: unknown[]): string => (db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...args) as Array<{ detail: string }>).map((p) => p.detail).join(' | ')
    const guard = plan("SELECT 1 FROM payments WHERE hpn_code = ? AND status IN ('PENDING', 'PARTIAL') AND id <> ?", 'HKMVR2', 1)
    expect(guard).toMatch(/SEARCH payments USING INDEX payments_by_code \(hpn_code=\?\)/)
    const matcher = plan("SELECT * FROM payments WHERE hpn_code = ? AND merchant_id = ? AND mode = ? AND status IN ('PENDING', 'PARTIAL')", 'HKMVR2', 'a', 'live')
    expect(matcher).toMatch(/SEARCH payments USING INDEX payments_by_code \(hpn_code=\? AND merchant_id=\? AND mode=\?\)/)
    expect(`${guard} | ${matcher}`).not.toMatch(/SCAN/)
    await cleanup()
  })
})
