import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { describeEngineConformance, type ConformanceOptions } from '../engine.conformance.js'
import { literal, sql } from '../sql.js'
import { rowMaker, SqliteEngine, type SqliteEngineOptions } from './engine.js'
import { tempDir } from '../../test/helpers/temp-dir.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

function engine (options: Partial<ConformanceOptions> & SqliteEngineOptions = {}): SqliteEngine {
  const dir = tempDir('sqlite-engine-')
  const e = new SqliteEngine(join(dir.path, 'ledger.db'), options)
  cleanups.push(dir.cleanup, async () => { await e.close() })
  e.connection.exec('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, status TEXT NOT NULL, n INTEGER, b BLOB)')
  return e
}

describeEngineConformance('SQLite', async (options) => engine(options))

describe('SqliteEngine', () => {
  it('commits durably (WAL, synchronous=FULL) and keeps the writer\'s savepoint journal in memory (temp_store=MEMORY)', () => {
    const e = engine()
    expect(e.connection.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(e.connection.pragma('synchronous', { simple: true })).toBe(2)
    expect(e.connection.pragma('temp_store', { simple: true })).toBe(2)
  })

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

  it('asks PRAGMA data_version at most once per turn of the event loop: a commit made since is seen in the next turn', async () => {
    const e = engine()
    const watch = await e.watch('t_rows')
    await new Promise((resolve) => setImmediate(resolve))
    const start = watch.version()
    const cli = new SqliteEngine(e.path)
    cleanups.push(async () => { await cli.close() })
    // Committed within this very turn (synchronously, on the other connection).
    cli.connection.exec("INSERT INTO t (status, n) VALUES ('from the cli', 3)")
    expect(watch.version()).toBe(start)
    await new Promise((resolve) => setImmediate(resolve))
    expect(watch.version()).not.toBe(start)
  })

  it('reads of one turn share one snapshot: another connection\'s commit is seen from the next turn', async () => {
    const e = engine()
    const count = async (): Promise<number | undefined> => await e.value<number>(sql`SELECT COUNT(*) FROM t`)
    await e.run(sql`INSERT INTO t (status, n) VALUES (${'first'}, ${1})`)
    await new Promise((resolve) => setImmediate(resolve))
    expect(await count()).toBe(1)
    const cli = new SqliteEngine(e.path)
    cleanups.push(async () => { await cli.close() })
    // Committed within this very turn (synchronously, on the other connection): this turn's reads
    // began before it, as if it had come a moment later.
    cli.connection.exec("INSERT INTO t (status, n) VALUES ('from the cli', 2)")
    expect(await count()).toBe(1)
    await new Promise((resolve) => setImmediate(resolve))
    expect(await count()).toBe(2)
  })

  it('a read after its own process\'s commit sees it, even when an earlier read of the turn took a snapshot', async () => {
    const e = engine()
    const count = async (): Promise<number | undefined> => await e.value<number>(sql`SELECT COUNT(*) FROM t`)
    expect(await count()).toBe(0)
    // Another caller reads while the group runs (inside its transaction body): a snapshot without the group's rows.
    let during: number | undefined
    await e.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO t (status, n) VALUES (${'mine'}, ${1})`)
      during = await count()
    })
    expect(during).toBe(0)
    expect(await count()).toBe(1)
    // A change made through the connection itself (a migration, a schema change) is seen at once too.
    e.connection.exec("INSERT INTO t (status, n) VALUES ('direct', 2)")
    expect(await count()).toBe(2)
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

  it('commits transactions asked for together in one group: one COMMIT, each caller answered after it', async () => {
    const groups: number[] = []
    const e = engine({ onGroupCommit: (n) => groups.push(n) })
    const order: string[] = []
    const all = ['a', 'b', 'c', 'd'].map(async (name) => {
      const id = await e.transaction(async (t) => {
        order.push(`${name}:ran`)
        return await t.value<number>(sql`INSERT INTO t (status, n) VALUES (${name}, ${1}) RETURNING id`)
      })
      order.push(`${name}:answered`)
      return id
    })
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4])
    expect(groups).toEqual([4])
    // Nobody is answered before the last of the group ran (and the group committed).
    expect(order.slice(0, 4)).toEqual(['a:ran', 'b:ran', 'c:ran', 'd:ran'])
  })

  it('rolls back a failing transaction of a group alone: the others commit, its afterCommit never runs', async () => {
    const groups: number[] = []
    const e = engine({ onGroupCommit: (n) => groups.push(n) })
    const committed: string[] = []
    const results = await Promise.allSettled(['a', 'bad', 'c'].map(async (name) => await e.transaction(async (t) => {
      t.afterCommit(() => committed.push(name))
      await t.run(sql`INSERT INTO t (status, n) VALUES (${name}, ${1})`)
      if (name === 'bad') throw new Error('refused')
      return name
    })))
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(groups).toEqual([2])
    expect(committed).toEqual(['a', 'c'])
    expect(await e.all(sql`SELECT status FROM t ORDER BY id`)).toEqual([{ status: 'a' }, { status: 'c' }])
  })

  it('runs the earlier transactions of a group again when one of them ends the whole SQLite transaction', async () => {
    const e = engine()
    const runs: string[] = []
    const results = await Promise.allSettled(['a', 'kill', 'c'].map(async (name) => await e.transaction(async (t) => {
      runs.push(name)
      await t.run(sql`INSERT INTO t (status, n) VALUES (${name}, ${1})`)
      // What SQLite does on its own after an I/O error or a full disk: the transaction is gone.
      if (name === 'kill') { await t.run(sql`ROLLBACK`); throw new Error('disk full') }
      return name
    })))
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(runs).toEqual(['a', 'kill', 'a', 'c'])
    expect(await e.all(sql`SELECT status FROM t ORDER BY id`)).toEqual([{ status: 'a' }, { status: 'c' }])
  })

  it('fails every transaction of a group whose COMMIT fails, and none is answered as committed', async () => {
    const e = engine()
    // A deferred foreign key is only checked at COMMIT: the group's COMMIT fails.
    e.connection.exec('PRAGMA foreign_keys = ON; CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)')
    const results = await Promise.allSettled([
      e.transaction(async (t) => await t.run(sql`INSERT INTO t (status, n) VALUES (${'a'}, ${1})`)),
      e.transaction(async (t) => await t.run(sql`INSERT INTO child (p) VALUES (${42})`))
    ])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect(await e.value(sql`SELECT count(*) FROM t`)).toBe(0)
    expect(await e.transaction(async (t) => await t.value(sql`INSERT INTO t (status, n) VALUES (${'after'}, ${1}) RETURNING status`))).toBe('after')
  })

  it('commits what was asked for before close, and refuses what comes after', async () => {
    const e = engine()
    const before = e.run(sql`INSERT INTO t (status, n) VALUES (${'before'}, ${1})`)
    const closed = e.close()
    await expect(e.run(sql`INSERT INTO t (status, n) VALUES (${'after'}, ${1})`)).rejects.toThrow(/closed/)
    await before
    await closed
    const reopened = new SqliteEngine(e.path)
    cleanups.push(async () => { await reopened.close() })
    expect(await reopened.all(sql`SELECT status FROM t`)).toEqual([{ status: 'before' }])
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

  it('names a row\'s values as better-sqlite3 would: a later duplicate name wins, in the place of the first', async () => {
    const e = engine()
    await e.run(sql`INSERT INTO t (status, n) VALUES (${'x'}, ${7})`)
    const statement = sql`SELECT status AS a, n AS b, id AS a, 'q"\\' AS "we""ird", 1 AS "0" FROM t`
    const ours = await e.get<Record<string, unknown>>(statement)
    const theirs = e.connection.prepare(`SELECT status AS a, n AS b, id AS a, 'q"\\' AS "we""ird", 1 AS "0" FROM t`).get() as Record<string, unknown>
    expect(ours).toEqual({ a: 1, b: 7, 'we"ird': 'q"\\', 0: 1 })
    expect(Object.keys(ours ?? {})).toEqual(Object.keys(theirs))
    expect(ours).toEqual(theirs)
  })

  it('names the columns a statement has after a schema change (a SELECT * prepared again by SQLite)', async () => {
    const e = engine()
    await e.run(sql`INSERT INTO t (status, n) VALUES (${'x'}, ${7})`)
    const all = (): Promise<Array<Record<string, unknown>>> => e.all(sql`SELECT * FROM t`)
    expect(await all()).toEqual([{ id: 1, status: 'x', n: 7, b: null }])
    e.connection.exec("ALTER TABLE t ADD COLUMN extra TEXT NOT NULL DEFAULT 'later'")
    expect(await all()).toEqual([{ id: 1, status: 'x', n: 7, b: null, extra: 'later' }])
    expect(await e.get(sql`SELECT * FROM t`)).toEqual({ id: 1, status: 'x', n: 7, b: null, extra: 'later' })
  })

  it('leaves a __proto__ column an own property, never the row\'s prototype', async () => {
    const e = engine()
    const row = await e.get<Record<string, unknown>>(sql`SELECT 1 AS one, 'p' AS __proto__`)
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype)
    // Made by rowMaker (a column that appears only after a schema change): an own property.
    const made = rowMaker(['one', '__proto__'])([1, { polluted: true }])
    expect(Object.getPrototypeOf(made)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(made, '__proto__')?.value).toEqual({ polluted: true })
    expect(Object.keys(made)).toEqual(['one', '__proto__'])
  })
})
