import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { literal, sql } from '../sql.js'
import { SqliteEngine } from './engine.js'
import { tempDir } from '../../test/helpers/temp-dir.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

function engine (): SqliteEngine {
  const dir = tempDir('sqlite-engine-')
  const e = new SqliteEngine(join(dir.path, 'ledger.db'))
  cleanups.push(dir.cleanup, async () => { await e.close() })
  e.connection.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, status TEXT NOT NULL, n INTEGER)')
  return e
}

describe('SqliteEngine', () => {
  it('never lets a read outside the transaction see rows the transaction has not committed', async () => {
    const e = engine()
    let seenInside: number | undefined
    let seenOutside: number | undefined
    let resume!: () => void
    const paused = new Promise<void>((resolve) => { resume = resolve })
    const tx = e.transaction(async (t) => {
      await t.run(sql`INSERT INTO t (status, n) VALUES (${'PENDING'}, ${1})`)
      seenInside = await t.value<number>(sql`SELECT count(*) FROM t`)
      await paused
    })
    await new Promise((resolve) => setImmediate(resolve))
    seenOutside = await e.value<number>(sql`SELECT count(*) FROM t`)
    resume()
    await tx
    expect(seenInside).toBe(1)
    expect(seenOutside).toBe(0)
    expect(await e.value<number>(sql`SELECT count(*) FROM t`)).toBe(1)
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

  it('rolls back everything a failed transaction wrote, and runs afterCommit only on commit', async () => {
    const e = engine()
    const committed: string[] = []
    await expect(e.transaction(async (t) => {
      t.afterCommit(() => committed.push('failed'))
      await t.run(sql`INSERT INTO t (status, n) VALUES (${'x'}, ${1})`)
      throw new Error('boom')
    })).rejects.toThrow('boom')
    await e.transaction(async (t) => {
      t.afterCommit(() => committed.push('ok'))
      await t.run(sql`INSERT INTO t (status, n) VALUES (${'y'}, ${2})`)
    })
    expect(committed).toEqual(['ok'])
    expect(await e.all(sql`SELECT status FROM t`)).toEqual([{ status: 'y' }])
  })

  it('refuses a nested transaction instead of waiting for itself forever', async () => {
    const e = engine()
    await expect(e.transaction(async () => await e.transaction(async () => 1))).rejects.toThrow(/nested ledger transaction/)
    // The lock was released: the engine still serves.
    expect(await e.transaction(async () => 2)).toBe(2)
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

  it('refuses an undefined parameter instead of binding NULL by accident', async () => {
    const e = engine()
    const missing: string | undefined = undefined
    await expect(e.get(sql`SELECT * FROM t WHERE status = ${missing as unknown as string}`)).rejects.toThrow(/parameter 1 is undefined/)
  })
})
