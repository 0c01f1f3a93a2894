import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { openLedger, type Ledger } from './ledger.js'
import { tempDir } from '../test/helpers/temp-dir.js'
import pino from 'pino'
import { startExpirySweeper } from './expiry-sweeper.js'

let clock = 1_800_000_000_000
const cleanups: Array<() => void> = []
afterEach(() => { while (cleanups.length > 0) cleanups.pop()?.() })

function ledgerAt (): Ledger {
  const dir = tempDir()
  const ledger = openLedger(join(dir.path, 'h.db'), () => clock)
  cleanups.push(() => { ledger.close(); dir.cleanup() })
  ledger.merchants.create({ id: 'default', name: 'D' })
  return ledger
}

const owner = { merchantId: 'default', mode: 'live' as const }
const input = { amountMinor: 1000, currency: 'GHS', clientReference: null, customerPhone: null, meta: null, expiresInSeconds: 60 }

describe('expiry', () => {
  it('moves PENDING payments past expires_at to EXPIRED with a transaction.expired event, and leaves PARTIAL alone', async () => {
    const ledger = ledgerAt()
    const pending = ledger.payments.initialize(owner, input).payment
    const partial = ledger.payments.initialize(owner, input).payment
    const later = ledger.payments.initialize(owner, { ...input, expiresInSeconds: 3600 }).payment
    ledger.db.transaction(() => ledger.paymentStatus.change(partial, { status: 'PARTIAL', actualMinor: 500 }))()
    clock += 59_000
    expect(ledger.payments.expireDue()).toBe(0)
    clock += 1_000
    const sweeper = startExpirySweeper(ledger.payments, pino({ level: 'silent' }), 60_000)
    expect(sweeper.sweep()).toBe(1)
    sweeper.stop()
    expect(ledger.payments.getById(pending.id)?.status).toBe('EXPIRED')
    expect(ledger.payments.getById(partial.id)?.status).toBe('PARTIAL')
    expect(ledger.payments.getById(later.id)?.status).toBe('PENDING')
    const events = ledger.db.prepare('SELECT type, payment_id FROM events WHERE type = ?').all('transaction.expired')
    expect(events).toEqual([{ type: 'transaction.expired', payment_id: pending.id }])
  })

  it('frees the code of an expired payment from the open-code index but never hands it out again soon', () => {
    const ledger = ledgerAt()
    const p = ledger.payments.initialize(owner, input).payment
    clock += 61_000
    ledger.payments.expireDue()
    const open = ledger.db.prepare('SELECT COUNT(*) FROM payments WHERE hpn_code = ? AND status IN (\'PENDING\', \'PARTIAL\')').pluck().get(p.hpn_code)
    expect(open).toBe(0)
  })

  it('drains more than one batch', () => {
    const ledger = ledgerAt()
    for (let i = 0; i < 30; i++) ledger.payments.initialize(owner, input)
    clock += 61_000
    let total = 0
    for (let n = ledger.payments.expireDue(7); n > 0; n = ledger.payments.expireDue(7)) total += n
    expect(total).toBe(30)
  })
})
