import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../test/helpers/temp-dir.js'
import { until } from '../../test/helpers/wait-for.js'
import { sql } from '../sql.js'
import { BackgroundCheckpointer } from './checkpointer.js'
import { SqliteEngine } from './engine.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

/** A 4 KiB row: a page of the database file for each commit. */
const PAGE = Buffer.alloc(4000, 7)

async function busyEngine (): Promise<{ engine: SqliteEngine, path: string }> {
  const dir = tempDir('sqlite-checkpointer-')
  cleanups.push(dir.cleanup)
  const path = join(dir.path, 'ledger.db')
  const engine = new SqliteEngine(path, { backgroundCheckpoints: true })
  cleanups.push(async () => { await engine.close() })
  engine.connection.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)')
  // One transaction at a time: each its own group commit.
  for (let i = 0; i < BackgroundCheckpointer.START_AFTER_COMMITS + 10; i++) await engine.run(sql`INSERT INTO t (b) VALUES (${PAGE})`)
  return { engine, path }
}

describe('BackgroundCheckpointer', () => {
  it('takes the WAL checkpoint off the writer once the engine is busy, and copies commits into the database file from its thread', async () => {
    const { engine, path } = await busyEngine()
    await until(() => engine.connection.pragma('wal_autocheckpoint', { simple: true }) === 0, 'the writer to stop checkpointing')
    const before = statSync(path).size
    // With the writer's checkpoint off, only the thread's checkpoint grows the database file.
    for (let i = 0; i < 50; i++) await engine.run(sql`INSERT INTO t (b) VALUES (${PAGE})`)
    await until(() => statSync(path).size >= before + 50 * 4096, 'the checkpoint thread to copy the new pages')
    expect(await engine.value(sql`SELECT COUNT(*) FROM t`)).toBe(BackgroundCheckpointer.START_AFTER_COMMITS + 60)
  })

  it('stops its thread before the engine closes, so the last connection out still folds the WAL into the file', async () => {
    const { engine, path } = await busyEngine()
    await until(() => engine.connection.pragma('wal_autocheckpoint', { simple: true }) === 0, 'the writer to stop checkpointing')
    await engine.run(sql`INSERT INTO t (b) VALUES (${PAGE})`)
    await engine.close()
    expect(existsSync(`${path}-wal`)).toBe(false)
    const db = new Database(path, { readonly: true })
    try {
      expect(db.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(BackgroundCheckpointer.START_AFTER_COMMITS + 11)
    } finally {
      db.close()
    }
  })

  it('is off unless asked for: a lone engine keeps SQLite\'s own checkpoint', async () => {
    const dir = tempDir('sqlite-checkpointer-')
    cleanups.push(dir.cleanup)
    const engine = new SqliteEngine(join(dir.path, 'ledger.db'))
    cleanups.push(async () => { await engine.close() })
    engine.connection.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)')
    for (let i = 0; i < BackgroundCheckpointer.START_AFTER_COMMITS + 10; i++) await engine.run(sql`INSERT INTO t (b) VALUES (${PAGE})`)
    expect(engine.connection.pragma('wal_autocheckpoint', { simple: true })).toBe(1000)
  })
})
