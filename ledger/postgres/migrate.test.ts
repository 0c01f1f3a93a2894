import { afterEach, describe, expect, it } from 'vitest'
import { isUniqueViolation } from '../constraints.js'
import { sql } from '../sql.js'
import { SqliteEngine } from '../sqlite/engine.js'
import { migrate } from '../sqlite/migrate.js'
import { MIGRATIONS } from '../sqlite/migrations/index.js'
import { openPostgresEngine, type PostgresEngine } from './engine.js'
import { migratePostgres } from './migrate.js'
import { POSTGRES_MIGRATIONS } from './migrations/index.js'
import { createTestDatabase } from '../../test/helpers/postgres-database.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

async function open (url: string): Promise<PostgresEngine> {
  const e = await openPostgresEngine(url)
  cleanups.push(async () => { await e.close() })
  return e
}

async function emptyDatabase (): Promise<PostgresEngine> {
  return await open((await createTestDatabase({ migrated: false })).url)
}

interface TableShape {
  columns: Array<{ name: string, type: string, notNull: boolean, hasDefault: boolean }>
  /** Indexes: created ones by name, constraint ones by their columns. */
  indexes: string[]
}

function indexKey (name: string | null, unique: boolean, partial: boolean, columns: string[]): string {
  return `${name ?? 'constraint'}${unique ? ' unique' : ''}${partial ? ' partial' : ''} (${columns.join(', ')})`
}

async function sqliteSchema (): Promise<Record<string, TableShape>> {
  const engine = new SqliteEngine(':memory:')
  const db = engine.connection
  try {
    migrate(db)
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[]
    return Object.fromEntries(tables.map((t) => {
      const columns = (db.pragma(`table_info(${t})`) as Array<{ name: string, type: string, notnull: number, dflt_value: unknown, pk: number }>)
        .map((c) => ({ name: c.name, type: c.type, notNull: c.notnull === 1 || c.pk > 0, hasDefault: c.dflt_value !== null }))
      const indexes = (db.pragma(`index_list(${t})`) as Array<{ name: string, unique: number, origin: string, partial: number }>)
        .filter((i) => i.origin !== 'pk')
        .map((i) => indexKey(i.origin === 'c' ? i.name : null, i.unique === 1, i.partial === 1,
          (db.pragma(`index_info(${i.name})`) as Array<{ name: string }>).map((c) => c.name)))
      // The one deliberate difference (SQLite migration 017): SQLite guards an open HPN code with two
      // triggers where PostgreSQL, with no single writer, keeps the unique index. Both present count as the index.
      const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? ORDER BY name").pluck().all(t)
      if (t === 'payments' && triggers.join() === 'payments_open_code_insert,payments_open_code_update') indexes.push(indexKey('payments_open_code', true, true, ['hpn_code']))
      indexes.sort()
      return [t, { columns, indexes }]
    }))
  } finally {
    await engine.close()
  }
}

const PG_TYPES: Record<string, string> = { bigint: 'INTEGER', smallint: 'INTEGER', integer: 'INTEGER', text: 'TEXT', bytea: 'BLOB' }

async function postgresSchema (e: PostgresEngine): Promise<Record<string, TableShape>> {
  const columns = await e.all<{ table: string, name: string, type: string, nullable: string, hasDefault: boolean }>(sql`
    SELECT c.table_name AS "table", c.column_name AS "name", c.data_type AS "type", c.is_nullable AS "nullable",
           (c.column_default IS NOT NULL) AS "hasDefault"
    FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
    WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
    ORDER BY c.table_name, c.ordinal_position`)
  const indexes = await e.all<{ table: string, name: string, unique: boolean, partial: boolean, constraint: boolean, columns: string[] }>(sql`
    SELECT t.relname AS "table", i.relname AS "name", x.indisunique AS "unique", x.indpred IS NOT NULL AS "partial",
           EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) AS "constraint",
           ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, pos)
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.pos)::text[] AS "columns"
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
    WHERE t.relnamespace = current_schema()::regnamespace AND NOT x.indisprimary`)
  const shape: Record<string, TableShape> = {}
  for (const c of columns) {
    const table = (shape[c.table] ??= { columns: [], indexes: [] })
    table.columns.push({ name: c.name, type: PG_TYPES[c.type] ?? c.type, notNull: c.nullable === 'NO', hasDefault: c.hasDefault })
  }
  for (const i of indexes) shape[i.table]?.indexes.push(indexKey(i.constraint ? null : i.name, i.unique, i.partial, i.columns))
  for (const t of Object.values(shape)) t.indexes.sort()
  return shape
}

describe('PostgreSQL migrations', () => {
  it('carry the same numbers and names as the SQLite ones', () => {
    expect(POSTGRES_MIGRATIONS.map((m) => `${m.version} ${m.name}`)).toEqual(MIGRATIONS.map((m) => `${m.version} ${m.name}`))
  })

  it('build the same tables, columns, constraints and indexes as the SQLite schema', async () => {
    const e = await emptyDatabase()
    await migratePostgres(e)
    expect(await postgresSchema(e)).toEqual(await sqliteSchema())
  })

  it('store times, amounts and ids as BIGINT, 0/1 flags as SMALLINT, and no 32-bit integer anywhere', async () => {
    const e = await open((await createTestDatabase()).url)
    const typed = await e.all<{ column: string, type: string }>(sql`
      SELECT table_name || '.' || column_name AS "column", data_type AS "type" FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name <> 'schema_migrations' AND data_type IN ('smallint', 'integer')
      ORDER BY 1`)
    expect(typed).toEqual([
      { column: 'channel_transactions.ambiguous', type: 'smallint' },
      { column: 'sms_messages.complete', type: 'smallint' },
      { column: 'sms_messages.processed', type: 'smallint' },
      { column: 'webhook_endpoints.is_active', type: 'smallint' }
    ])
  })

  it('apply once: a second run, or a second node starting at the same moment, finds nothing to do', async () => {
    const db = await createTestDatabase({ migrated: false })
    const [a, b] = [await open(db.url), await open(db.url)]
    const runs = await Promise.all([migratePostgres(a), migratePostgres(b)])
    const all = POSTGRES_MIGRATIONS.map((m) => m.version)
    expect(runs.map((r) => r.length).sort()).toEqual([0, all.length])
    expect(runs.flat().sort((x, y) => x - y)).toEqual(all)
    expect(await migratePostgres(a)).toEqual([])
    expect(await a.all(sql`SELECT version FROM schema_migrations ORDER BY version`)).toEqual(all.map((version) => ({ version })))
  })

  it('refuse a database newer than the release (database_too_new)', async () => {
    const e = await open((await createTestDatabase()).url)
    await e.run(sql`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${999}, ${'from-the-future'}, ${Date.now()})`)
    await expect(migratePostgres(e)).rejects.toMatchObject({ code: 'database_too_new' })
  })

  it('take numbers with gaps: a step that lands later under a lower number is applied, one the release lacks is refused', async () => {
    const e = await emptyDatabase()
    const step = (version: number): { version: number, name: string, up: string } => ({ version, name: `step-${version}`, up: `CREATE TABLE step_${version} (id BIGINT)` })
    // 009 and 011 belong to other branches: a release with 008 and 010 only …
    expect(await migratePostgres(e, [step(8), step(10)])).toEqual([8, 10])
    // … then the release where 009 has landed applies it, though 010 is already there.
    expect(await migratePostgres(e, [step(8), step(9), step(10)])).toEqual([9])
    expect(await e.value(sql`SELECT to_regclass('step_9') IS NOT NULL`)).toBe(true)
    // A release without 009 must not run on the database that has it, though 010 is its newest.
    await expect(migratePostgres(e, [step(8), step(10)])).rejects.toMatchObject({ code: 'database_too_new' })
  })

  it('leave nothing of a step that fails half-way, and do not record it', async () => {
    const e = await open((await createTestDatabase()).url)
    const broken = { version: 1000, name: 'broken', up: 'CREATE TABLE half_made (id BIGINT); SELECT no_such_column FROM merchants;' }
    await expect(migratePostgres(e, [...POSTGRES_MIGRATIONS, broken])).rejects.toMatchObject({ code: 'migration_failed' })
    expect(await e.value(sql`SELECT to_regclass('half_made') IS NULL`)).toBe(true)
    expect(await e.value(sql`SELECT count(*) FROM schema_migrations WHERE version = ${1000}`)).toBe(0)
  })

  it('upgrade a database that holds data, keeping every row', async () => {
    const e = await emptyDatabase()
    expect(await migratePostgres(e, POSTGRES_MIGRATIONS.slice(0, 3))).toEqual([1, 2, 3])
    await e.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO merchants (id, name, created_at) VALUES (${'m1'}, ${'Kofi Stores'}, ${1_700_000_000_000})`)
      await tx.run(sql`INSERT INTO credits (public_id, merchant_id, mode, network, telco_transaction_id, amount_minor, currency, status, received_at)
        VALUES (${'crd_1'}, ${'m1'}, ${'live'}, ${'mtn'}, ${'TX1'}, ${5_000}, ${'GHS'}, ${'unmatched'}, ${1_700_000_000_001})`)
    })
    expect(await migratePostgres(e)).toEqual(POSTGRES_MIGRATIONS.slice(3).map((m) => m.version))
    expect(await e.get(sql`SELECT public_id, amount_minor, received_at, sms_id, fee_minor FROM credits`))
      .toEqual({ public_id: 'crd_1', amount_minor: 5_000, received_at: 1_700_000_000_001, sms_id: null, fee_minor: null })
    expect(await e.value(sql`SELECT name FROM merchants WHERE id = ${'m1'}`)).toBe('Kofi Stores')
  })

  it('keep an open HPN code unique and a telco transaction counted once per mode', async () => {
    const e = await open((await createTestDatabase()).url)
    await e.run(sql`INSERT INTO merchants (id, name, created_at) VALUES (${'m1'}, ${'Shop'}, ${1})`)
    const pay = async (reference: string, status: string): Promise<unknown> => await e.run(sql`
      INSERT INTO payments (reference, merchant_id, mode, hpn_code, status, expected_minor, currency, expires_at, created_at, updated_at)
      VALUES (${reference}, ${'m1'}, ${'live'}, ${'HKMVR2'}, ${status}, ${100}, ${'GHS'}, ${2}, ${1}, ${1})`)
    await pay('p1', 'SUCCESS')
    await pay('p2', 'PENDING')
    await expect(pay('p3', 'PARTIAL')).rejects.toSatisfy(isUniqueViolation)
    const credit = async (id: string, mode: string, status: string): Promise<unknown> => await e.run(sql`
      INSERT INTO credits (public_id, merchant_id, mode, network, telco_transaction_id, amount_minor, currency, status, received_at)
      VALUES (${id}, ${'m1'}, ${mode}, ${'mtn'}, ${'TX1'}, ${100}, ${'GHS'}, ${status}, ${1})`)
    await credit('c1', 'live', 'matched')
    await credit('c2', 'live', 'duplicate')
    await credit('c3', 'test', 'unmatched')
    await expect(credit('c4', 'live', 'unmatched')).rejects.toSatisfy(isUniqueViolation)
  })
})
