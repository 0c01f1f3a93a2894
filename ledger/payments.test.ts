import { afterEach, describe, expect, it } from 'vitest'
import { openTestLedger, type TestLedger } from '../test/helpers/ledger.js'
import { generateCode } from './hpn-code.js'
import { sql } from './testing.js'

const OWNER = { merchantId: 'default', mode: 'live' as const }
const DAY = 86_400_000

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

/** A test ledger with OWNER's merchant, closed after the test. */
async function shopLedger (options?: Parameters<typeof openTestLedger>[0]): Promise<TestLedger> {
  const t = await openTestLedger(options)
  cleanups.push(t.cleanup)
  await t.ledger.merchants.create({ id: 'default', name: 'Shop' })
  return t
}

describe('SqlPaymentStore.initialize: the HPN code', () => {
  it('draws again a code someone may still pay with, or that closed within 180 days, and hands one out again after that', async () => {
    const clock = { now: Date.now() }
    // The codes the ledger draws, in order: the test queues them.
    const draws: string[] = []
    const t = await shopLedger({ now: () => clock.now, drawCode: () => draws.shift() ?? generateCode() })
    const { ledger } = t
    const initialize = async (...codes: string[]): Promise<string> => {
      draws.splice(0, draws.length, ...codes)
      const { payment } = await ledger.payments.initialize(OWNER, { amountMinor: 1_000, currency: 'GHS', clientReference: null, customerPhone: null, meta: null, expiresInSeconds: 600 })
      expect(draws).toEqual([])
      return payment.hpn_code
    }
    const [first, second, third] = [generateCode(), generateCode(), generateCode()]
    const firstPayment = await initialize(first as string)
    expect(firstPayment).toBe(first)
    // PENDING: payable, so its code is drawn again.
    expect(await initialize(first as string, second as string)).toBe(second)
    // Cancelled a moment ago: late money may still come for it.
    await ledger.payments.cancel(OWNER, first as string)
    expect(await initialize(first as string, third as string)).toBe(third)
    // 181 days later the code is free again.
    clock.now += 181 * DAY
    expect(await initialize(first as string)).toBe(first)
  })
})

describe('the database: one payable payment per HPN code', () => {
  // The guard under initialize's reuse check, for a writer that does not ask: PostgreSQL's partial
  // unique index payments_open_code, SQLite's triggers in its place (migration 017). Each refusal
  // leaves the table as it was.
  it('refuses a second payable payment with a code, and a closed payment made payable again while another holds its code', async () => {
    const t = await shopLedger()
    const { rows } = t
    let n = 0
    const insert = async (code: string, status: string): Promise<void> => {
      n++
      await rows.run(sql`INSERT INTO payments (reference, merchant_id, mode, hpn_code, status, expected_minor, currency, expires_at, created_at, updated_at)
        VALUES (${`hpn_trx_guard_${n}`}, 'default', 'live', ${code}, ${status}, 100, 'GHS', 0, ${n}, ${n})`)
    }
    // SQLite's trigger says open_code_taken, PostgreSQL names the index its unique violation hit.
    const refused = /open_code_taken|payments_open_code/
    const statuses = async (): Promise<string[]> => (await rows.all<{ status: string }>(sql`SELECT status FROM payments ORDER BY id`)).map((r) => r.status)
    const code = generateCode()
    await insert(code, 'PENDING')
    await expect(insert(code, 'PENDING')).rejects.toThrow(refused)
    await expect(insert(code, 'PARTIAL')).rejects.toThrow(refused)
    // Closed payments may share a code with each other and with the payable one.
    await insert(code, 'EXPIRED')
    await insert(code, 'SUCCESS')
    expect(await statuses()).toEqual(['PENDING', 'EXPIRED', 'SUCCESS'])
    // The payable one moving to PARTIAL is no second holder.
    await rows.run(sql`UPDATE payments SET status = 'PARTIAL' WHERE reference = 'hpn_trx_guard_1'`)
    // An expired one made payable again while the PARTIAL one holds the code: refused.
    await expect(rows.run(sql`UPDATE payments SET status = 'PENDING' WHERE status = 'EXPIRED'`)).rejects.toThrow(refused)
    // Another payable payment moved onto the code: refused.
    const other = generateCode()
    await insert(other, 'PENDING')
    await expect(rows.run(sql`UPDATE payments SET hpn_code = ${code} WHERE hpn_code = ${other}`)).rejects.toThrow(refused)
    expect(await statuses()).toEqual(['PARTIAL', 'EXPIRED', 'SUCCESS', 'PENDING'])
    // Once the code's payable payment closed, the expired one may be made payable again.
    await rows.run(sql`UPDATE payments SET status = 'SUCCESS' WHERE status = 'PARTIAL'`)
    await rows.run(sql`UPDATE payments SET status = 'PENDING' WHERE status = 'EXPIRED'`)
    expect(await statuses()).toEqual(['SUCCESS', 'PENDING', 'SUCCESS', 'PENDING'])
  })
})

describe('SqlPaymentStore.findWithCredits', () => {
  it('brings the applied credits oldest first, as creditsOf, whatever order the engine visits them in', async () => {
    const t = await shopLedger()
    const { ledger } = t
    const { payment } = await ledger.payments.initialize(OWNER, { amountMinor: 10_000, currency: 'GHS', clientReference: null, customerPhone: null, meta: null, expiresInSeconds: 600 })
    const pay = async (telcoTransactionId: string, amountMinor: number, receivedAt: number): Promise<void> => {
      const outcome = await ledger.transact(async (tx) => await tx.credits.record({
        merchantId: 'default', mode: 'live', network: 'mtn', telcoTransactionId, amountMinor, currency: 'GHS', payerPhone: '0244000000',
        payerName: null, reference: payment.hpn_code, text: '', balanceMinor: null, feeMinor: null, receivedAt, smsId: null, riskFlags: [], holdForReview: false
      }))
      expect(outcome.kind).not.toBe('unmatched')
    }
    // Received out of order: "oldest" is the order they were applied in (their ids), as creditsOf.
    await pay('10000000003', 1_000, 3_000)
    await pay('10000000001', 2_000, 1_000)
    await pay('10000000002', 3_000, 2_000)
    // PostgreSQL writes a row whose indexed column changed at the end of the table, with new index
    // entries: a scan of either then visits the first credit last.
    for (const status of ['unmatched', 'matched']) await t.rows.run(sql`UPDATE credits SET status = ${status} WHERE telco_transaction_id = ${'10000000003'}`)
    const found = await ledger.payments.findWithCredits(OWNER, payment.hpn_code)
    const applied = await ledger.paymentStatus.creditsOf(payment.id)
    expect(applied.map((c) => c.telco_transaction_id)).toEqual(['10000000003', '10000000001', '10000000002'])
    expect(found?.attached).toEqual({ credits: applied, hasRefunds: false })
    expect(JSON.stringify(await ledger.paymentStatus.dataOf(found?.row ?? payment, found?.attached)))
      .toBe(JSON.stringify(await ledger.paymentStatus.dataOf(await ledger.payments.get(OWNER, payment.hpn_code))))
  })
})

describe('SqlPaymentStore.initialize: the row it returns', () => {
  it('is the row as stored: every column, in a read\'s order, for an SMS payment, a unique-amount one and a channel one', async () => {
    const t = await shopLedger()
    const { ledger } = t
    const inputs = [
      { amountMinor: 1_050, currency: 'GHS', clientReference: null, customerPhone: null, meta: null, expiresInSeconds: 600 },
      { amountMinor: 2_000, currency: 'KES', clientReference: 'order-7', customerPhone: '0712345678', meta: { cart: [1, 'ü'], note: null }, expiresInSeconds: 3_600,
        uniqueAmount: { stepMinor: 100, maxOffsetMinor: 5_000, holdMs: 3_600_000 } },
      { amountMinor: 99, currency: 'UGX', clientReference: 'order-8', customerPhone: '+256772123456', meta: { a: '"quoted"' }, expiresInSeconds: 1,
        channel: { id: 'mtn-ug', type: 'mtn_momo', reference: 'a1b2c3' } }
    ]
    for (const input of inputs) {
      const { payment, created } = await ledger.payments.initialize(OWNER, input)
      expect(created).toBe(true)
      const read = await ledger.payments.getById(payment.id)
      expect(Object.entries(payment)).toEqual(Object.entries(read ?? {}))
    }
  })
})
