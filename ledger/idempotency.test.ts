import { afterEach, describe, expect, it } from 'vitest'
import { openTestLedger } from '../test/helpers/ledger.js'
import { IDEMPOTENCY_TTL_MS, PURGE_BATCH, fingerprint } from './idempotency.js'
import { sql } from './sql.js'

const OWNER = { merchantId: 'default', mode: 'live' as const }

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

describe('SqlIdempotencyStore.purgeExpired', () => {
  it('removes every record past its 24 hours, a batch to a transaction, and keeps the live ones', async () => {
    const clock = { now: Date.now() }
    const t = await openTestLedger({ now: () => clock.now })
    cleanups.push(t.cleanup)
    const { ledger, rows } = t
    await ledger.merchants.create({ id: 'default', name: 'Shop' })
    const print = fingerprint('POST', '/v1/payments/initialize', '{}')
    // More than two batches' worth that will expire, then a few that stay within their day.
    const old = 2 * PURGE_BATCH + 7
    await rows.run(sql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${old})
      INSERT INTO idempotency_keys (merchant_id, mode, key, fingerprint, state, created_at)
      SELECT 'default', 'live', 'old-' || i, ${print}, 'done', ${clock.now} FROM n`)
    clock.now += IDEMPOTENCY_TTL_MS
    for (const key of ['fresh-1', 'fresh-2']) expect((await ledger.idempotency.begin(OWNER, key, print)).kind).toBe('new')
    expect(await ledger.idempotency.purgeExpired()).toBe(old)
    expect(await rows.all(sql`SELECT key FROM idempotency_keys ORDER BY key`)).toEqual([{ key: 'fresh-1' }, { key: 'fresh-2' }])
    expect(await ledger.idempotency.purgeExpired()).toBe(0)
  })
})
