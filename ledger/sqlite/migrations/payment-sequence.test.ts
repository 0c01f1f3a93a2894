import { describe, expect, it } from 'vitest'
import { upgradedFrom } from '../../../test/helpers/sqlite-upgrade.js'
import { sql } from '../../sql.js'

describe('migration 008: payment sequence', () => {
  it('starts an existing payment one past the events it already had, and a new one at 1', async () => {
    const { engine: after, cleanup } = await upgradedFrom(8, async (before) => await before.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO merchants (id, name, created_at) VALUES ('default', 'Shop', 0)`)
      const insert = async (reference: string, code: string, status: string): Promise<number> => await tx.value<number>(sql`INSERT INTO payments
          (reference, merchant_id, mode, hpn_code, status, expected_minor, currency, expires_at, created_at, updated_at)
        VALUES (${reference}, 'default', 'live', ${code}, ${status}, 100, 'GHS', 0, 0, 0) RETURNING id`) as number
      const changed = await insert('hpn_trx_a', 'AAAAAA', 'MANUAL_REVIEW')
      await insert('hpn_trx_b', 'BBBBBB', 'PENDING')
      for (const type of ['transaction.cancelled', 'transaction.disputed']) {
        await tx.run(sql`INSERT INTO events (merchant_id, mode, type, payment_id, data, created_at) VALUES ('default', 'live', ${type}, ${changed}, '{}', 0)`)
      }
    }))
    expect(await after.all(sql`SELECT reference, sequence FROM payments ORDER BY reference`)).toEqual([{ reference: 'hpn_trx_a', sequence: 3 }, { reference: 'hpn_trx_b', sequence: 1 }])
    await cleanup()
  })
})
