import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../../test/helpers/temp-dir.js'
import { openDatabase } from '../db.js'
import { MIGRATIONS } from './index.js'

describe('migration 008: payment sequence', () => {
  it('starts an existing payment one past the events it already had, and a new one at 1', () => {
    const dir = tempDir()
    const path = join(dir.path, 'h.db')
    const before = openDatabase(path, MIGRATIONS.filter((m) => m.version < 8))
    before.prepare("INSERT INTO merchants (id, name, created_at) VALUES ('default', 'Shop', 0)").run()
    const payment = before.prepare(`INSERT INTO payments (reference, merchant_id, mode, hpn_code, status, expected_minor, currency, expires_at, created_at, updated_at)
      VALUES (?, 'default', 'live', ?, ?, 100, 'GHS', 0, 0, 0)`)
    const changed = Number(payment.run('hpn_trx_a', 'AAAAAA', 'MANUAL_REVIEW').lastInsertRowid)
    payment.run('hpn_trx_b', 'BBBBBB', 'PENDING')
    const event = before.prepare("INSERT INTO events (merchant_id, mode, type, payment_id, data, created_at) VALUES ('default', 'live', ?, ?, '{}', 0)")
    event.run('transaction.cancelled', changed)
    event.run('transaction.disputed', changed)
    before.close()

    const after = openDatabase(path)
    const sequences = after.prepare('SELECT reference, sequence FROM payments ORDER BY reference').all()
    expect(sequences).toEqual([{ reference: 'hpn_trx_a', sequence: 3 }, { reference: 'hpn_trx_b', sequence: 1 }])
    after.close()
    dir.cleanup()
  })
})
