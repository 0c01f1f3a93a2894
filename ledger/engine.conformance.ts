import { describe, expect, it } from 'vitest'
import type { Engine } from './engine.js'
import { literal, sql, type SqlValue } from './sql.js'

export interface ConformanceOptions {
  readonly onAfterCommitError: (err: unknown) => void
}

/**
 * What every engine promises the stores, as one suite run against each (ledger/sqlite/engine.test.ts,
 * ledger/postgres/engine.test.ts). `open` gives a fresh engine whose database holds one empty table:
 *
 *   t (id: auto-assigned integer key, status: text NOT NULL, n: 64-bit integer, b: bytes)
 *
 * and closes it after the test.
 */
export function describeEngineConformance (name: string, open: (options: ConformanceOptions) => Promise<Engine>): void {
  // By default a throwing callback fails the run, as it would crash the daemon.
  const engine = async (onAfterCommitError: (err: unknown) => void = (err) => { queueMicrotask(() => { throw err }) }): Promise<Engine> => await open({ onAfterCommitError })

  describe(`${name} engine conformance`, () => {
    it('never lets a read outside the transaction see rows the transaction has not committed', async () => {
      const e = await engine()
      let resume!: () => void
      const paused = new Promise<void>((resolve) => { resume = resolve })
      let inserted!: () => void
      const insertDone = new Promise<void>((resolve) => { inserted = resolve })
      let seenInside: number | undefined
      const tx = e.transaction(async (t) => {
        await t.run(sql`INSERT INTO t (status, n) VALUES (${'PENDING'}, ${1})`)
        seenInside = await t.value<number>(sql`SELECT count(*) FROM t`)
        inserted()
        await paused
      })
      await insertDone
      const seenOutside = await e.value<number>(sql`SELECT count(*) FROM t`)
      resume()
      await tx
      expect(seenInside).toBe(1)
      expect(seenOutside).toBe(0)
      expect(await e.value<number>(sql`SELECT count(*) FROM t`)).toBe(1)
    })

    it('rolls back everything a failed transaction wrote, and runs afterCommit only on commit', async () => {
      const e = await engine()
      const committed: string[] = []
      await expect(e.transaction(async (t) => {
        t.afterCommit(() => committed.push('failed'))
        await t.run(sql`INSERT INTO t (status, n) VALUES (${'x'}, ${1})`)
        throw new Error('boom')
      })).rejects.toThrow('boom')
      const result = await e.transaction(async (t) => {
        t.afterCommit(() => committed.push('ok'))
        await t.run(sql`INSERT INTO t (status, n) VALUES (${'y'}, ${2})`)
        expect(committed).toEqual([]) // not before the commit
        return 'result'
      })
      expect(result).toBe('result')
      expect(committed).toEqual(['ok'])
      expect(await e.all(sql`SELECT status FROM t`)).toEqual([{ status: 'y' }])
    })

    it('keeps a commit whose afterCommit callback threw, and reports the error', async () => {
      const reported: unknown[] = []
      const e = await engine((err) => reported.push(err))
      const ran: string[] = []
      await e.transaction(async (t) => {
        t.afterCommit(() => { throw new Error('callback failed') })
        t.afterCommit(() => ran.push('second'))
        await t.run(sql`INSERT INTO t (status, n) VALUES (${'kept'}, ${1})`)
      })
      expect(reported.map((err) => (err as Error).message)).toEqual(['callback failed'])
      expect(ran).toEqual(['second'])
      expect(await e.value(sql`SELECT status FROM t`)).toBe('kept')
    })

    it('refuses a nested transaction instead of waiting for itself forever', async () => {
      const e = await engine()
      await expect(e.transaction(async () => await e.transaction(async () => 1))).rejects.toThrow(/nested ledger transaction/)
      expect(await e.transaction(async () => 2)).toBe(2)
    })

    it('refuses an undefined parameter instead of binding NULL by accident', async () => {
      const e = await engine()
      const missing: string | undefined = undefined
      await expect(e.get(sql`SELECT * FROM t WHERE status = ${missing as unknown as string}`)).rejects.toThrow(/parameter 1 is undefined/)
    })

    it('returns counts, sums and 64-bit integers as JS numbers', async () => {
      const e = await engine()
      const big = 2 ** 50 + 3 // epoch ms and minor units need more than 32 bits
      await e.run(sql`INSERT INTO t (status, n) VALUES (${'a'}, ${big})`)
      await e.run(sql`INSERT INTO t (status, n) VALUES (${'b'}, ${5})`)
      const row = await e.get<{ c: unknown, s: unknown, m: unknown, n: unknown }>(
        sql`SELECT count(*) AS "c", sum(n) AS "s", max(n) AS "m", min(n) AS "n" FROM t`)
      expect(row).toEqual({ c: 2, s: big + 5, m: big, n: 5 })
      expect(await e.value(sql`SELECT coalesce(sum(n), 0) FROM t WHERE status = ${'none'}`)).toBe(0)
    })

    it('stores bytes and text exactly', async () => {
      const e = await engine()
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
      const text = 'Ghana ₵ 50.00 — “ref” 🙂 \'quoted\' ?'
      await e.run(sql`INSERT INTO t (status, n, b) VALUES (${text}, ${1}, ${bytes})`)
      const row = await e.get<{ status: string, b: Buffer }>(sql`SELECT status, b FROM t`)
      expect(row?.status).toBe(text)
      expect(Buffer.isBuffer(row?.b)).toBe(true)
      expect(row?.b.equals(bytes)).toBe(true)
    })

    it('counts changed rows, hands back RETURNING values, and commits a lone write', async () => {
      const e = await engine()
      const first = await e.transaction(async (t) => await t.value<number>(sql`INSERT INTO t (status, n) VALUES (${'a'}, ${1}) RETURNING id`))
      expect(typeof first).toBe('number')
      await e.run(sql`INSERT INTO t (status, n) VALUES (${'a'}, ${2})`)
      expect((await e.run(sql`UPDATE t SET n = n + ${10} WHERE status = ${'a'}`)).changes).toBe(2)
      expect((await e.run(sql`DELETE FROM t WHERE status = ${'none'}`)).changes).toBe(0)
      expect(await e.value(sql`SELECT n FROM t WHERE id = ${first as number}`)).toBe(11)
      expect(await e.value(sql`SELECT n FROM t WHERE status = ${'none'}`)).toBeUndefined()
      expect(await e.get(sql`SELECT n FROM t WHERE status = ${'none'}`)).toBeUndefined()
    })

    it('keeps one call site right when it is given different literals', async () => {
      const e = await engine()
      for (const [status, n] of [['PENDING', 1], ['PARTIAL', 2], ['SUCCESS', 3]] as Array<[string, SqlValue]>) {
        await e.run(sql`INSERT INTO t (status, n) VALUES (${status}, ${n})`)
      }
      const count = async (statuses: readonly string[]): Promise<number | undefined> =>
        await e.value<number>(sql`SELECT count(*) FROM t WHERE status IN ${literal(statuses)}`)
      expect(await count(['PENDING', 'PARTIAL'])).toBe(2)
      expect(await count(['SUCCESS'])).toBe(1)
      expect(await count(['PENDING', 'PARTIAL'])).toBe(2)
    })

    it('accepts read_committed for statements that guard themselves', async () => {
      const e = await engine()
      const id = await e.transaction(async (t) => await t.value<number>(sql`INSERT INTO t (status, n) VALUES (${'lease'}, ${1}) RETURNING id`), { isolation: 'read_committed' })
      expect(await e.value(sql`SELECT status FROM t WHERE id = ${id as number}`)).toBe('lease')
    })

    it('moves a watched topic\'s version at the commit of a transaction that announced a change, and only then', async () => {
      const e = await engine()
      const watch = await e.watch('t_rows')
      const other = await e.watch('other_rows')
      const start = watch.version()
      expect(start).not.toBeNull()
      await e.run(sql`INSERT INTO t (status, n) VALUES (${'unannounced'}, ${1})`)
      expect(watch.version()).toBe(start)
      let inside: number | null | undefined
      await expect(e.transaction(async (t) => {
        await e.changed(t, 't_rows')
        throw new Error('abandon')
      })).rejects.toThrow('abandon')
      expect(watch.version()).toBe(start)
      const otherStart = other.version()
      await e.transaction(async (t) => {
        await t.run(sql`INSERT INTO t (status, n) VALUES (${'announced'}, ${2})`)
        await e.changed(t, 't_rows')
        inside = watch.version()
      })
      expect(inside).toBe(start)
      // Moved when transaction() returns, without waiting for anything to arrive.
      expect(watch.version()).not.toBe(start)
      expect(other.version()).toBe(otherStart)
    })
  })
}
