import { createHash, type Hash } from 'node:crypto'
import Database from 'better-sqlite3'
import type pg from 'pg'
import { HarpoonError } from '../core/errors.js'
import { openPostgresEngine, type PostgresEngine } from './postgres/engine.js'
import { migratePostgres } from './postgres/migrate.js'
import { POSTGRES_MIGRATIONS } from './postgres/migrations/index.js'

/** One table's outcome: the same rows on both sides, by count and by checksum. */
export interface TableCopy {
  readonly table: string
  readonly sourceRows: number
  readonly targetRows: number
  /** sha256 over the rows in primary-key order, each canonicalised the same way on both sides. */
  readonly sourceSha256: string
  readonly targetSha256: string
  readonly ok: boolean
}

export interface CopyReport {
  readonly schemaVersion: number
  readonly tables: readonly TableCopy[]
  /** Every table matched, and the copy was committed. On a mismatch nothing is committed. */
  readonly ok: boolean
}

interface SourceTable {
  readonly name: string
  readonly columns: readonly string[]
  /** Indexes (into `columns`) of the TEXT columns, hashed as the bytes SQLite holds. */
  readonly text: readonly number[]
  /** Primary-key columns, in key order: the order rows are copied and hashed in. */
  readonly key: readonly string[]
  /** The INTEGER PRIMARY KEY column, whose PostgreSQL identity sequence must go past the copied ids. */
  readonly identity: string | undefined
  /** SQLite's AUTOINCREMENT high-water mark: ids of deleted rows are never handed out again either. */
  readonly highWater: number
}

const quote = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`

/**
 * `harpoon ledger copy --to postgres://…`: copies a SQLite ledger into an empty PostgreSQL database
 * and proves the copy.
 *
 * - The SQLite file is opened in exclusive locking mode: if any other process has it open (a daemon
 *   still running), the copy refuses; while it runs, nobody else can read or write it, so the copy is
 *   the ledger's final state.
 * - The target must be empty (no rows in any ledger table, no foreign tables); it is migrated to the
 *   source's schema version, so the daemon of the same release finds it as it found the SQLite file.
 * - All rows go in one PostgreSQL transaction, table by table in batches, foreign keys checked at
 *   COMMIT (they are DEFERRABLE), identity sequences set past the copied ids.
 * - Before COMMIT, every table is read back in primary-key order and its row count and sha256 are
 *   compared with the source's. Any difference rolls the whole copy back: the target stays empty.
 */
export async function copyLedger (sourcePath: string, targetUrl: string, options: { batchSize?: number } = {}): Promise<CopyReport> {
  const batchSize = options.batchSize ?? 500
  const source = openSourceExclusively(sourcePath)
  try {
    const versions = schemaVersions(source, sourcePath)
    const known = new Set(POSTGRES_MIGRATIONS.map((m) => m.version))
    const unknown = [...versions].filter((v) => !known.has(v))
    if (unknown.length > 0) {
      throw new HarpoonError('database_too_new', `the SQLite ledger has schema version ${Math.max(...unknown)}, which this release does not know; copy it with the release that wrote it`)
    }
    const tables = sourceTables(source)
    const engine = await openPostgresEngine(targetUrl)
    try {
      await assertEmptyTarget(engine, tables, versions)
      await migratePostgres(engine, POSTGRES_MIGRATIONS.filter((m) => versions.has(m.version)))
      const textKeys = await assertSameColumns(engine, tables)
      const report = await engine.session(async (client) => await copyAndVerify(client, source, tables, textKeys, batchSize))
      return { schemaVersion: Math.max(0, ...versions), ...report }
    } finally {
      await engine.close()
    }
  } finally {
    if (source.inTransaction) source.exec('ROLLBACK')
    source.close()
  }
}

function openSourceExclusively (path: string): Database.Database {
  let db: Database.Database
  try {
    db = new Database(path, { fileMustExist: true })
  } catch (err) {
    throw new HarpoonError('copy_no_source', `cannot open the SQLite ledger at ${path}: ${(err as Error).message}`, [], { cause: err })
  }
  try {
    db.pragma('busy_timeout = 0')
    db.pragma('locking_mode = EXCLUSIVE')
    db.exec('BEGIN EXCLUSIVE')
  } catch (err) {
    db.close()
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new HarpoonError('ledger_in_use', `the SQLite ledger at ${path} is open in another process (is the daemon still running?); stop it first, so that the copy is the ledger's final state`)
    }
    throw err
  }
  return db
}

function schemaVersions (db: Database.Database, path: string): Set<number> {
  try {
    return new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[])
  } catch (err) {
    throw new HarpoonError('copy_not_a_ledger', `${path} is not a Harpoon ledger (no schema_migrations table)`, [], { cause: err })
  }
}

function sourceTables (db: Database.Database): SourceTable[] {
  const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name").pluck().all() as string[]
  const hasSequences = db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'").pluck().get() === 1
  return names.map((name) => {
    const info = db.pragma(`table_info(${quote(name)})`) as Array<{ name: string, type: string, pk: number }>
    const keyed = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk)
    const key = keyed.length > 0 ? keyed.map((c) => c.name) : info.map((c) => c.name)
    const identity = keyed.length === 1 && keyed[0]?.type.toUpperCase() === 'INTEGER' ? keyed[0].name : undefined
    const highWater = hasSequences ? Number(db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(name) ?? 0) : 0
    const text = info.flatMap((c, i) => c.type.toUpperCase() === 'TEXT' ? [i] : [])
    return { name, columns: info.map((c) => c.name), text, key, identity, highWater }
  })
}

async function assertEmptyTarget (engine: PostgresEngine, tables: readonly SourceTable[], sourceVersions: ReadonlySet<number>): Promise<void> {
  await engine.session(async (client) => {
    const present = (await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1")).rows.map((r) => r.name)
    const ours = new Set([...tables.map((t) => t.name), 'schema_migrations'])
    const foreign = present.filter((t) => !ours.has(t))
    if (foreign.length > 0) {
      throw new HarpoonError('copy_target_not_empty', `the target database holds tables that are not a Harpoon ledger's (${foreign.join(', ')}); copy into a new, empty database`)
    }
    for (const table of present) {
      if (table === 'schema_migrations') continue
      const { rows } = await client.query(`SELECT 1 FROM ${quote(table)} LIMIT 1`)
      if (rows.length > 0) throw new HarpoonError('copy_target_not_empty', `the target database is not empty (${table} has rows); copy into a new, empty database`)
    }
    if (present.includes('schema_migrations')) {
      const applied = (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version)
      const ahead = applied.filter((v) => !sourceVersions.has(v))
      if (ahead.length > 0) {
        throw new HarpoonError('copy_schema_mismatch', `the target database's schema (version ${Math.max(...applied)}) is ahead of the SQLite ledger's (${Math.max(0, ...sourceVersions)}): start this release's daemon once on the SQLite ledger to upgrade it, or copy into a new database`)
      }
    }
  })
}

/** The target has exactly the source's columns; returns, per table, which key columns are text (sorted byte-wise, as SQLite does). */
async function assertSameColumns (engine: PostgresEngine, tables: readonly SourceTable[]): Promise<Map<string, Set<string>>> {
  return await engine.session(async (client) => {
    const { rows } = await client.query<{ table: string, column: string, type: string }>(
      'SELECT table_name AS "table", column_name AS "column", data_type AS "type" FROM information_schema.columns WHERE table_schema = current_schema()')
    const textKeys = new Map<string, Set<string>>()
    for (const t of tables) {
      const target = rows.filter((r) => r.table === t.name)
      const missing = t.columns.filter((c) => !target.some((r) => r.column === c))
      const extra = target.filter((r) => !t.columns.includes(r.column)).map((r) => r.column)
      if (missing.length > 0 || extra.length > 0) {
        throw new HarpoonError('copy_schema_mismatch', `table ${t.name} differs between the ledgers (only in SQLite: ${missing.join(', ') || '-'}; only in PostgreSQL: ${extra.join(', ') || '-'})`)
      }
      textKeys.set(t.name, new Set(target.filter((r) => t.key.includes(r.column) && r.type === 'text').map((r) => r.column)))
    }
    return textKeys
  })
}

/**
 * One value as the checksum sees it, typed, so that 1 and '1' differ and both engines agree:
 * integers come as bigint from SQLite (read with safeIntegers) and as number from PostgreSQL; text
 * is compared as its UTF-8 bytes, and from SQLite as the bytes the file holds, so text that is not
 * valid UTF-8 there (and would arrive altered) shows as a mismatch instead of passing.
 */
function canonical (value: unknown, textBytes?: Buffer | null): string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'bigint') return `i${value}`
  if (typeof value === 'number') return Number.isInteger(value) ? `i${value}` : `r${value}`
  if (typeof value === 'string') return `s${(textBytes ?? Buffer.from(value, 'utf8')).toString('hex')}`
  if (Buffer.isBuffer(value)) return `b${value.toString('hex')}`
  throw new HarpoonError('copy_unexpected_value', `a value of type ${typeof value} cannot be compared`)
}

function hashRow (hash: Hash, row: readonly unknown[], textBytes?: ReadonlyMap<number, Buffer | null>): void {
  hash.update(JSON.stringify(row.map((v, i) => canonical(v, textBytes?.get(i)))))
  hash.update('\n')
}

/** SQLite values as pg binds them: integers as decimal text (exact beyond 2^53 too). */
function bindable (value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}

async function copyAndVerify (client: pg.PoolClient, source: Database.Database, tables: readonly SourceTable[], textKeys: Map<string, Set<string>>, batchSize: number): Promise<Omit<CopyReport, 'schemaVersion'>> {
  await client.query('BEGIN')
  let committed = false
  try {
    await client.query('SET CONSTRAINTS ALL DEFERRED')
    const copied = new Map<string, { rows: number, sha256: string }>()
    for (const table of tables) copied.set(table.name, await copyTable(client, source, table, batchSize))
    const results: TableCopy[] = []
    for (const table of tables) {
      const target = await readBack(client, table, textKeys.get(table.name) ?? new Set())
      const from = copied.get(table.name) as { rows: number, sha256: string }
      results.push({
        table: table.name,
        sourceRows: from.rows,
        targetRows: target.rows,
        sourceSha256: from.sha256,
        targetSha256: target.sha256,
        ok: from.rows === target.rows && from.sha256 === target.sha256
      })
    }
    const ok = results.every((r) => r.ok)
    if (!ok) return { tables: results, ok }
    try {
      await client.query('COMMIT')
    } catch (err) {
      throw new HarpoonError('copy_failed', `PostgreSQL refused the copy at COMMIT (${(err as Error).message}); nothing was written`, [], { cause: err })
    }
    committed = true
    return { tables: results, ok }
  } finally {
    if (!committed) await client.query('ROLLBACK').catch(() => {})
  }
}

async function copyTable (client: pg.PoolClient, source: Database.Database, table: SourceTable, batchSize: number): Promise<{ rows: number, sha256: string }> {
  const columns = table.columns.map(quote).join(', ')
  // Each row, then the bytes of its TEXT columns as stored.
  const bytes = table.text.map((i) => `, CAST(${quote(table.columns[i] as string)} AS BLOB)`).join('')
  const select = source.prepare(`SELECT ${columns}${bytes} FROM ${quote(table.name)} ORDER BY ${table.key.map(quote).join(', ')}`).raw(true).safeIntegers(true)
  const width = table.columns.length
  const hash = createHash('sha256')
  let rows = 0
  let maxId = 0n
  let batch: unknown[][] = []
  const identityAt = table.identity === undefined ? -1 : table.columns.indexOf(table.identity)
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return
    const tuples = batch.map((_, r) => `(${table.columns.map((__, c) => `$${r * width + c + 1}`).join(', ')})`).join(', ')
    try {
      await client.query(`INSERT INTO ${quote(table.name)} (${columns}) VALUES ${tuples}`, batch.flat().map(bindable))
    } catch (err) {
      throw new HarpoonError('copy_failed', `copying table ${table.name} failed near row ${rows}: ${(err as Error).message}; nothing was written`, [], { cause: err })
    }
    batch = []
  }
  for (const selected of select.iterate() as IterableIterator<unknown[]>) {
    const row = selected.slice(0, width)
    hashRow(hash, row, new Map(table.text.map((column, j) => [column, selected[width + j] as Buffer | null])))
    rows++
    if (identityAt >= 0 && typeof row[identityAt] === 'bigint' && (row[identityAt] as bigint) > maxId) maxId = row[identityAt] as bigint
    batch.push(row)
    if (batch.length >= batchSize) await flush()
  }
  await flush()
  if (table.identity !== undefined) {
    const next = maxId > BigInt(table.highWater) ? maxId : BigInt(table.highWater)
    if (next > 0n) {
      await client.query('SELECT setval(pg_get_serial_sequence($1, $2), $3::bigint, true)', [quote(table.name), table.identity, next.toString()])
    }
  }
  return { rows, sha256: hash.digest('hex') }
}

/** Reads a table back inside the copy's transaction, in the source's order (text keys byte-wise, as SQLite's BINARY collation sorts them). */
async function readBack (client: pg.PoolClient, table: SourceTable, textKeys: ReadonlySet<string>): Promise<{ rows: number, sha256: string }> {
  const order = table.key.map((k) => textKeys.has(k) ? `${quote(k)} COLLATE "C"` : quote(k)).join(', ')
  await client.query(`DECLARE copy_check NO SCROLL CURSOR FOR SELECT ${table.columns.map(quote).join(', ')} FROM ${quote(table.name)} ORDER BY ${order}`)
  const hash = createHash('sha256')
  let rows = 0
  for (;;) {
    const { rows: page } = await client.query<unknown[]>({ text: 'FETCH 1000 FROM copy_check', rowMode: 'array' })
    if (page.length === 0) break
    for (const row of page) hashRow(hash, row)
    rows += page.length
  }
  await client.query('CLOSE copy_check')
  return { rows, sha256: hash.digest('hex') }
}

