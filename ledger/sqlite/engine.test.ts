import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { describeEngineConformance, type ConformanceOptions } from '../engine.conformance.js'
import { literal, sql } from '../sql.js'
import { SqliteEngine } from './engine.js'
import { tempDir } from '../../test/helpers/temp-dir.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

function engine (options: Partial<ConformanceOptions> = {}): SqliteEngine {
  const dir = tempDir('sqlite-engine-')
  const e = new SqliteEngine(join(dir.path, 'ledger.db'), options)
  cleanups.push(dir.cleanup, async () => { await e.close() })
  e.connection.exec('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, status TEXT NOT NULL, n INTEGER, b BLOB)')
  return e
}

describeEngineConformance('SQLite', async (options) => engine(options))

describe('SqliteEngine', () => {
  it('moves a watched version when another connection commits (PRAGMA data_version), not for its own writes', async () => {
    const e = engine()
    const watch = await e.watch('t_rows')
    const start = watch.version()
    await e.run(sql`INSERT INTO t (status, n) VALUES (${'own'}, ${1})`)
    expect(watch.version()).toBe(start)
    // Another connection to the file: what the CLI in another process is.
    const cli = new SqliteEngine(e.path)
    cleanups.push(async () => { await cli.close() })
    await cli.run(sql`INSERT INTO t (status, n) VALUES (${'from the cli'}, ${2})`)
    const moved = watch.version()
    expect(moved).not.toBe(start)
    expect(watch.version()).toBe(moved)
    await e.close()
    expect(watch.version()).toBeNull()
  })

  it('runs transactions one at a time, in the order they were asked for', async () => {
    const e = engine()
    const order: string[] = []
    await Promise.all(['a', 'b', 'c'].map(async (name) => await e.transaction(async (t) => {
      order.push(`${name}:begin`)
      await t.run(sql`INSERT INTO t (status, n) VALUES (${name}, ${order.length})`)
      await new Promise((resolve) => setImmediate(resolve))
      order.push(`${name}:end`)
    })))
    expect(order).toEqual(['a:begin', 'a:end', 'b:begin', 'b:end', 'c:begin', 'c:end'])
  })

  it('writes enum literals into the statement text, so partial indexes stay usable', async () => {
    const e = engine()
    e.connection.exec("CREATE INDEX t_open ON t(n) WHERE status IN ('PENDING', 'PARTIAL')")
    const plan = await e.all<{ detail: string }>(sql`EXPLAIN QUERY PLAN SELECT id FROM t WHERE n = ${5} AND status IN ${literal(['PENDING', 'PARTIAL'])}`)
    expect(plan.map((p) => p.detail).join(' ')).toContain('t_open')
  })

  it('refuses a writing statement on the reader connection: writes wait their turn on the writer', async () => {
    const e = engine()
    await expect(e.get(sql`INSERT INTO t (status, n) VALUES (${'x'}, ${1}) RETURNING id`)).rejects.toThrow(/writing statement outside a transaction/)
    expect(await e.transaction(async (t) => await t.value(sql`INSERT INTO t (status, n) VALUES (${'x'}, ${1}) RETURNING id`))).toBe(1)
  })
})
