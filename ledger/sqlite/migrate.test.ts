import { testSecretKey } from '../../test/secret-key.js'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../test/helpers/temp-dir.js'
import { openLedger } from '../open.js'
import { sql } from '../sql.js'
import { SqliteEngine } from './engine.js'
import { migrate } from './migrate.js'
import { MIGRATIONS } from './migrations/index.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

function database (): string {
  const dir = tempDir('harpoon-migrate-')
  cleanups.push(dir.cleanup)
  return join(dir.path, 'ledger.db')
}

describe('SQLite migrations', () => {
  it('upgrades a database holding data from an older release, keeping every row', async () => {
    const path = database()
    // The database as release 6 left it, with a merchant, a payment and a credit.
    const old = new SqliteEngine(path)
    migrate(old.connection, MIGRATIONS.filter((m) => m.version <= 6))
    await old.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO merchants (id, name, created_at) VALUES ('default', 'Shop', 1)`)
      await tx.run(sql`INSERT INTO payments (reference, merchant_id, mode, hpn_code, status, expected_minor, currency, expires_at, created_at, updated_at)
        VALUES ('hpn_trx_1', 'default', 'live', 'HKMVR2', 'PENDING', 1000, 'GHS', 9, 1, 1)`)
      await tx.run(sql`INSERT INTO credits (public_id, merchant_id, mode, network, telco_transaction_id, amount_minor, currency, status, received_at)
        VALUES ('crd_1', 'default', 'test', 'mtn', '12345678901', 1000, 'GHS', 'unmatched', 1)`)
    })
    await old.close()

    const ledger = await openLedger({ path }, { secretKey: testSecretKey() })
    cleanups.push(async () => { await ledger.close() })
    expect(await ledger.payments.find({ merchantId: 'default', mode: 'live' }, 'hpn_trx_1')).toMatchObject({ hpn_code: 'HKMVR2', status: 'PENDING' })
    expect(await ledger.credits.get({ merchantId: 'default', mode: 'test' }, 'crd_1')).toMatchObject({ status: 'unmatched', amount_minor: 1000 })
    // Migration 7: the same telco transaction id counts once per mode, so a live credit with the test one's id is no duplicate.
    const live = await ledger.transact(async (tx) => await tx.credits.record({
      merchantId: 'default', mode: 'live', network: 'mtn', telcoTransactionId: '12345678901', amountMinor: 1000, currency: 'GHS', payerPhone: null,
      payerName: null, reference: null, text: '', balanceMinor: null, feeMinor: null, receivedAt: 2, smsId: null, riskFlags: [], holdForReview: false
    }))
    expect(live.kind).toBe('unmatched')
    const versions = new SqliteEngine(path)
    cleanups.push(async () => { await versions.close() })
    expect((await versions.all<{ version: number }>(sql`SELECT version FROM schema_migrations ORDER BY version`)).map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version))
  })

  it('takes numbers with gaps: a step that lands later under a lower number is applied, one the release lacks is refused', async () => {
    const engine = new SqliteEngine(database())
    cleanups.push(async () => { await engine.close() })
    const db = engine.connection
    const step = (version: number): { version: number, name: string, up: string } => ({ version, name: `step-${version}`, up: `CREATE TABLE step_${version} (id INTEGER)` })
    const versions = (): number[] => db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all() as number[]
    // 009 and 011 belong to other branches: a release with 008 and 010 only …
    migrate(db, [step(8), step(10)])
    expect(versions()).toEqual([8, 10])
    // … then the release where 009 has landed applies it, though 010 is already there.
    migrate(db, [step(8), step(9), step(10)])
    expect(versions()).toEqual([8, 9, 10])
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'step_9'").pluck().get()).toBe(1)
    // A release without 009 must not run on the database that has it, though 010 is its newest.
    expect(() => { migrate(db, [step(8), step(10)]) }).toThrow(expect.objectContaining({ code: 'database_too_new' }))
  })

  it('refuses a database a newer release has migrated (database_too_new), and leaves it alone', async () => {
    const path = database()
    const ledger = await openLedger({ path }, { secretKey: testSecretKey() })
    await ledger.close()
    const newer = new SqliteEngine(path)
    await newer.run(sql`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', 1)`)
    await newer.close()
    await expect(openLedger({ path }, { secretKey: testSecretKey() })).rejects.toMatchObject({ code: 'database_too_new' })
    const check = new SqliteEngine(path)
    cleanups.push(async () => { await check.close() })
    expect(await check.value(sql`SELECT MAX(version) FROM schema_migrations`)).toBe(999)
  })

  it('migrates with temp files (a migration may journal or sort a whole table), then gives the writer its in-memory journals back', async () => {
    const engine = new SqliteEngine(database())
    cleanups.push(async () => { await engine.close() })
    // A step that records the temp_store it ran under (1: FILE).
    migrate(engine.connection, [...MIGRATIONS, { version: 999, name: 'records-temp-store', up: 'CREATE TABLE seen AS SELECT temp_store FROM pragma_temp_store;' }])
    expect(await engine.value(sql`SELECT temp_store FROM seen`)).toBe(1)
    expect(engine.connection.pragma('temp_store', { simple: true })).toBe(2)
  })
})
