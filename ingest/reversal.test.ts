import { afterEach, describe, expect, it } from 'vitest'
import { sql } from '../ledger/testing.js'
import { startTestApi, type TestApi } from '../test/helpers/api-server.js'
import { SIMULATED_SENDER, simulatedTransactionId, telcoCreditText } from './telco-wording.js'

/**
 * A telco taking back money that had come in (Safaricom: "Transaction X has been reversed", fixture
 * K9; README "Reversals"). The merchant who was told SUCCESS must hear that the money is gone, and a
 * reversed credit never pays an order, whichever message the modem reads first. Both engines.
 */
let api: TestApi
let key: string
afterEach(async () => { await api.close() })

async function start (): Promise<void> {
  api = await startTestApi({
    wallets: (owner) => owner.merchantId === 'default' ? [{ network: 'mpesa', msisdn: '0700000001', currency: 'KES' }] : [],
    networkCurrencies: ['KES']
  })
  key = await api.key({ mode: 'live' })
}

async function initialize (amount: number): Promise<Record<string, any>> {
  const res = await api.request('POST', '/v1/payments/initialize', { key, body: { amount, currency: 'KES' } })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.data
}
const payment = async (reference: string): Promise<Record<string, any>> => (await api.request('GET', `/v1/payments/${reference}`, { key })).body.data
const events = async (reference: string): Promise<string[]> => (await api.rows.all<{ type: string }>(sql`SELECT e.type FROM events e JOIN payments p ON p.id = e.payment_id WHERE p.reference = ${reference} ORDER BY e.id`)).map((e) => e.type)
const unmatchedEvents = async (): Promise<number> => await api.rows.value<number>(sql`SELECT COUNT(*) FROM events WHERE type = 'credit.unmatched'`) ?? 0

const code = (at = new Date()): string => simulatedTransactionId('mpesa', Math.random, at)
/** The wallet's balance, kept continuous so no message is flagged for a broken chain. */
let balance = 500_000
async function credit (amountMinor: number, transactionId: string, merchant?: string) {
  const at = new Date()
  balance += amountMinor
  const text = telcoCreditText({ network: 'mpesa', amountMinor, reference: '', payerPhone: '0722123000', payerName: 'MARY ATIENO', transactionId, balanceMinor: balance, at })
  return await api.sms({ network: 'mpesa', modemId: 'mpesa-1', sender: SIMULATED_SENDER.mpesa, text, receivedAt: at.getTime(), ...(merchant === undefined ? {} : { merchant }) })
}
/** Safaricom's notice (fixture K9's wording): it states the balance after, never the amount. */
async function reversal (of: string, merchant?: string) {
  const text = `${code()} Confirmed. Transaction ${of} has been reversed.  Your account balance is now Ksh${(balance / 100).toFixed(2)}.`
  return await api.sms({ network: 'mpesa', modemId: 'mpesa-1', sender: SIMULATED_SENDER.mpesa, text, receivedAt: Date.now(), ...(merchant === undefined ? {} : { merchant }) })
}

describe('a telco reversing a credit', () => {
  it('sends the payment it paid to MANUAL_REVIEW with transaction.disputed, flags the credit, and counts a resent notice once', async () => {
    await start()
    const p = await initialize(300)
    const paid = code()
    expect((await credit(30_000, paid)).settlement?.match).toMatchObject({ kind: 'applied', method: 'unique_amount' })
    expect((await payment(p.reference as string)).status).toBe('SUCCESS')

    const first = await reversal(paid)
    expect(first.settlement).toMatchObject({ outcome: 'debit', reversal: { kind: 'reversed', payment: { reference: p.reference, status: 'MANUAL_REVIEW' } } })
    const after = await payment(p.reference as string)
    expect(after).toMatchObject({ status: 'MANUAL_REVIEW', actual_amount: '300.00' })
    expect(after.credits).toEqual([expect.objectContaining({ telco_transaction_id: paid, risk_flags: ['reversed'] })])
    expect(await events(p.reference as string)).toEqual(['transaction.completed', 'transaction.disputed'])
    expect(api.logs.some((l) => l.includes('the telco reversed a credit that had paid a payment'))).toBe(true)

    // The same notice read again (a resent SMS) changes nothing and tells nobody twice.
    expect((await reversal(paid)).settlement?.reversal).toEqual({ kind: 'repeated' })
    expect(await events(p.reference as string)).toEqual(['transaction.completed', 'transaction.disputed'])
  })

  it('keeps a reversal that comes before its credit: the credit then pays nothing and announces nothing', async () => {
    await start()
    const p = await initialize(450)
    const paid = code()
    expect((await reversal(paid)).settlement?.reversal).toEqual({ kind: 'awaiting_credit' })
    const late = await credit(45_000, paid)
    expect(late.settlement?.match).toMatchObject({ kind: 'unmatched', credit: { status: 'unmatched', risk_flags: '["reversed"]' } })
    expect(await payment(p.reference as string)).toMatchObject({ status: 'PENDING', actual_amount: null })
    expect(await unmatchedEvents()).toBe(0)
    // Neither the customer's reconcile nor an operator can make the taken-back money count.
    const reconcile = await api.request('POST', `/v1/payments/${p.reference as string}/reconcile`, { key, body: { telco_transaction_id: paid } })
    expect(reconcile.body.data).toMatchObject({ outcome: 'NOT_FOUND', payment: { status: 'PENDING' } })
    const creditId = late.settlement?.match?.credit.public_id as string
    const operator = await api.key({ mode: 'live', scopes: ['operator'] })
    const assign = await api.request('POST', `/v1/credits/${creditId}/assign`, { key: operator, body: { payment: p.reference } })
    expect(assign.status).toBe(409)
    expect(assign.body.error.code).toBe('credit_reversed')
    expect(await payment(p.reference as string)).toMatchObject({ status: 'PENDING' })
  })

  it('flags an unmatched credit without telling anyone of a payment, and never touches another merchant\'s credit', async () => {
    await start()
    const loose = code()
    await credit(12_300, loose)
    expect((await reversal(loose)).settlement?.reversal).toMatchObject({ kind: 'reversed', payment: null, credit: { risk_flags: '["reversed"]' } })

    // A notice on another merchant's SIM naming this merchant's transaction id is not about its money.
    const p = await initialize(200)
    const paid = code()
    await credit(20_000, paid)
    expect((await reversal(paid, 'other')).settlement?.reversal).toEqual({ kind: 'awaiting_credit' })
    expect(await payment(p.reference as string)).toMatchObject({ status: 'SUCCESS' })
  })
})
