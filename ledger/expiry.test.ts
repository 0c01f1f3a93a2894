import { afterEach, describe, expect, it } from 'vitest'
import pino from 'pino'
import { openTestLedger } from '../test/helpers/ledger.js'
import { startExpirySweeper } from './expiry-sweeper.js'
import type { Ledger } from './ledger.js'
import { sql } from './testing.js'
import type { Executor } from './engine.js'
import { ManualClock } from '../test/support/manual-clock.js'
import { until } from '../test/helpers/wait-for.js'

let clock = 1_800_000_000_000
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { while (cleanups.length > 0) await cleanups.pop()?.() })

async function ledgerAt (): Promise<{ ledger: Ledger, rows: Executor }> {
  const test = await openTestLedger({ now: () => clock })
  cleanups.push(test.cleanup)
  await test.ledger.merchants.create({ id: 'default', name: 'D' })
  return test
}

const owner = { merchantId: 'default', mode: 'live' as const }
const input = { amountMinor: 1000, currency: 'GHS', clientReference: null, customerPhone: null, meta: null, expiresInSeconds: 60 }

describe('expiry', () => {
  it('moves PENDING payments past expires_at to EXPIRED with a transaction.expired event, and leaves PARTIAL alone', async () => {
    const { ledger, rows } = await ledgerAt()
    const pending = (await ledger.payments.initialize(owner, input)).payment
    const partial = (await ledger.payments.initialize(owner, input)).payment
    const later = (await ledger.payments.initialize(owner, { ...input, expiresInSeconds: 3600 })).payment
    await ledger.transact(async (tx) => await tx.paymentStatus.change(partial, { status: 'PARTIAL', actualMinor: 500 }))
    clock += 59_000
    expect(await ledger.payments.expireDue()).toBe(0)
    clock += 1_000
    const sweeper = startExpirySweeper(ledger.payments, pino({ level: 'silent' }), 60_000)
    expect(await sweeper.sweep()).toBe(1)
    await sweeper.stop()
    expect((await ledger.payments.getById(pending.id))?.status).toBe('EXPIRED')
    expect((await ledger.payments.getById(partial.id))?.status).toBe('PARTIAL')
    expect((await ledger.payments.getById(later.id))?.status).toBe('PENDING')
    const events = await rows.all(sql`SELECT type, payment_id FROM events WHERE type = ${'transaction.expired'}`)
    expect(events).toEqual([{ type: 'transaction.expired', payment_id: pending.id }])
  })

  it('frees the code of an expired payment from the open-code index but never hands it out again soon', async () => {
    const { ledger, rows } = await ledgerAt()
    const p = (await ledger.payments.initialize(owner, input)).payment
    clock += 61_000
    await ledger.payments.expireDue()
    const open = await rows.value(sql`SELECT COUNT(*) FROM payments WHERE hpn_code = ${p.hpn_code} AND status IN ('PENDING', 'PARTIAL')`)
    expect(open).toBe(0)
  })

  it('drains more than one batch', async () => {
    const { ledger } = await ledgerAt()
    for (let i = 0; i < 30; i++) await ledger.payments.initialize(owner, input)
    clock += 61_000
    let total = 0
    for (let n = await ledger.payments.expireDue(7); n > 0; n = await ledger.payments.expireDue(7)) total += n
    expect(total).toBe(30)
  })

  it('sweeps by itself every interval of its clock, and stops ticking once stopped', async () => {
    const time = new ManualClock(clock)
    const test = await openTestLedger({ now: () => time.now() })
    cleanups.push(test.cleanup)
    const { ledger } = test
    await ledger.merchants.create({ id: 'default', name: 'D' })
    const p = (await ledger.payments.initialize(owner, input)).payment
    const sweeper = startExpirySweeper(ledger.payments, pino({ level: 'silent' }), 30_000, time)
    cleanups.push(async () => { await sweeper.stop() })
    expect(time.waiting()).toEqual([30_000])
    // The first tick finds nothing due (the payment has 30 s left); the next one is timed already.
    time.advance(30_000)
    expect(time.waiting()).toEqual([30_000])
    expect(await sweeper.sweep()).toBe(0)
    expect((await ledger.payments.getById(p.id))?.status).toBe('PENDING')
    time.advance(30_000)
    await until(async () => (await ledger.payments.getById(p.id))?.status === 'EXPIRED', 'the second tick to expire the payment')
    await sweeper.stop()
    expect(time.waiting()).toEqual([])
  })

  it('never runs two sweeps at once: a sweep asked for while one runs joins it', async () => {
    const { ledger } = await ledgerAt()
    for (let i = 0; i < 3; i++) await ledger.payments.initialize(owner, input)
    clock += 61_000
    const sweeper = startExpirySweeper(ledger.payments, pino({ level: 'silent' }), 60_000)
    const [a, b] = await Promise.all([sweeper.sweep(), sweeper.sweep()])
    await sweeper.stop()
    expect([a, b]).toEqual([3, 3])
  })
})
