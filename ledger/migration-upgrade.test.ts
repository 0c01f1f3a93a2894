import { afterEach, describe, expect, it } from 'vitest'
import { isHarpoonError } from '../core/errors.js'
import { testDatabase, testEngine } from '../test/helpers/ledger.js'
import { createTestDatabase } from '../test/helpers/postgres-database.js'
import { tempDir } from '../test/helpers/temp-dir.js'
import type { Engine } from './engine.js'
import type { Migration } from './migration.js'
import { openLedger, type DatabaseSettings } from './open.js'
import { openPostgresEngine } from './postgres/engine.js'
import { migratePostgres } from './postgres/migrate.js'
import { POSTGRES_MIGRATIONS } from './postgres/migrations/index.js'
import { sql } from './sql.js'
import { SqliteEngine } from './sqlite/engine.js'
import { migrate } from './sqlite/migrate.js'
import { MIGRATIONS } from './sqlite/migrations/index.js'
import { testSecretKey } from '../test/secret-key.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

const ENGINE = testEngine()
const STEPS: readonly Migration[] = ENGINE === 'postgres' ? POSTGRES_MIGRATIONS : MIGRATIONS
const NEWEST = Math.max(...STEPS.map((m) => m.version))

/** A fresh database of the run's engine, taken through the steps up to `version` only, as that release left it. */
async function databaseAt (version: number): Promise<{ settings: DatabaseSettings, engine: Engine }> {
  const dir = tempDir('harpoon-upgrade-')
  cleanups.push(dir.cleanup)
  const steps = STEPS.filter((m) => m.version <= version)
  if (ENGINE === 'postgres') {
    // An empty database (the run's usual ones are made from a migrated template).
    const settings = { path: dir.path, url: (await createTestDatabase({ migrated: false })).url }
    const engine = await openPostgresEngine(settings.url)
    await migratePostgres(engine, steps)
    return { settings, engine }
  }
  const settings = await testDatabase(dir.path)
  const engine = new SqliteEngine(settings.path)
  migrate(engine.connection, steps)
  return { settings, engine }
}

/**
 * Every release's database upgrades to this one with its rows intact, on the engine of the run (the
 * suite runs this file on SQLite and again on PostgreSQL): filled at each earlier schema version with
 * a merchant, a payment and a credit written as that release wrote them (columns every version has),
 * then opened by this release, which migrates it and reads them back through its stores.
 */
describe(`migrations on ${ENGINE}`, () => {
  const earlier = STEPS.map((m) => m.version).filter((v) => v < NEWEST).sort((a, b) => a - b)

  it.each(earlier)('upgrades a database filled at version %i, keeping every row', async (version) => {
    const { settings, engine } = await databaseAt(version)
    await engine.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO merchants (id, name, created_at) VALUES ('default', 'Shop', 1)`)
      await tx.run(sql`INSERT INTO payments (reference, merchant_id, mode, hpn_code, status, expected_minor, currency, expires_at, created_at, updated_at)
        VALUES ('hpn_trx_1', 'default', 'live', 'HKMVR2', 'PENDING', 1000, 'GHS', 9, 1, 1)`)
      await tx.run(sql`INSERT INTO credits (public_id, merchant_id, mode, network, telco_transaction_id, amount_minor, currency, status, received_at)
        VALUES ('crd_1', 'default', 'test', 'mtn', '12345678901', 1000, 'GHS', 'unmatched', 1)`)
    })
    await engine.close()

    const ledger = await openLedger(settings, { secretKey: testSecretKey() })
    cleanups.push(async () => { await ledger.close() })
    expect(await ledger.payments.find({ merchantId: 'default', mode: 'live' }, 'hpn_trx_1')).toMatchObject({ hpn_code: 'HKMVR2', status: 'PENDING' })
    expect(await ledger.credits.get({ merchantId: 'default', mode: 'test' }, 'crd_1')).toMatchObject({ status: 'unmatched', amount_minor: 1000 })
    // And it goes on working: a new payment beside the old one.
    const { payment } = await ledger.payments.initialize({ merchantId: 'default', mode: 'live' }, { amountMinor: 2500, currency: 'GHS', clientReference: null, customerPhone: null, meta: {}, expiresInSeconds: 600 })
    expect(payment.status).toBe('PENDING')
  })

  it('refuses a database a newer release has migrated (database_too_new), and leaves it as it was', async () => {
    const { settings, engine } = await databaseAt(NEWEST)
    await engine.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${NEWEST + 1}, 'from-the-future', 1)`)
    })
    const before = await engine.all<{ version: number }>(sql`SELECT version FROM schema_migrations ORDER BY version`)
    const refused = await openLedger(settings, { secretKey: testSecretKey() }).then(async (l) => { await l.close(); return null }, (err: unknown) => err)
    expect(isHarpoonError(refused) ? refused.code : refused).toBe('database_too_new')
    expect(await engine.all<{ version: number }>(sql`SELECT version FROM schema_migrations ORDER BY version`)).toEqual(before)
    await engine.close()
  })
})
