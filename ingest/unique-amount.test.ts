import { afterEach, describe, expect, it } from 'vitest'
import { sql } from '../ledger/testing.js'
import { startTestApi, type TestApi } from '../test/helpers/api-server.js'
import { SIMULATED_SENDER, simulatedTransactionId, telcoCreditText } from './telco-wording.js'

/**
 * Matching without a reference (README): an M-PESA receipt carries no note the payer typed, so a
 * KES payment gets a unique `amount_to_pay` and a credit of exactly that amount settles it. Runs on
 * both engines (vitest projects), PostgreSQL with its serialization races included.
 */
let api: TestApi
let key: string
afterEach(async () => { await api.close() })

async function start (uniqueAmount?: { stepMinor: number, maxOffsetMinor: number, holdMs: number }): Promise<void> {
  api = await startTestApi({
    wallets: (owner) => owner.merchantId === 'default'
      ? [{ network: 'mtn', msisdn: '0244000000', currency: 'GHS' }, { network: 'mpesa', msisdn: '0700000001', currency: 'KES' }]
      : [],
    networkCurrencies: ['GHS', 'KES'],
    ...(uniqueAmount === undefined ? {} : { uniqueAmount })
  })
  key = await api.key({ mode: 'live' })
}

async function initialize (body: Record<string, unknown>): Promise<Record<string, any>> {
  const res = await api.request('POST', '/v1/payments/initialize', { key, body: { currency: 'KES', ...body } })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.data
}
const payment = async (reference: string): Promise<Record<string, any>> => (await api.request('GET', `/v1/payments/${reference}`, { key })).body.data

let balance = 100_000
/** Safaricom's receipt of a customer's payment to the wallet, as the modem reads it. */
async function mpesaCredit (amountMinor: number, opts: { name?: string, code?: string, at?: Date } = {}) {
  const at = opts.at ?? new Date()
  balance += amountMinor
  const code = opts.code ?? simulatedTransactionId('mpesa', Math.random, at)
  const text = telcoCreditText({ network: 'mpesa', amountMinor, reference: '', payerPhone: '0722123000', payerName: opts.name ?? 'MARY ATIENO', transactionId: code, balanceMinor: balance, at })
  return { code, ...await api.sms({ network: 'mpesa', modemId: 'mpesa-1', sender: SIMULATED_SENDER.mpesa, text, receivedAt: at.getTime() }) }
}

describe('unique amounts for wallets whose receipts carry no reference (M-PESA)', () => {
  it('hands each open KES payment its own amount_to_pay, from the amount asked up in whole shillings; GHS keeps its code', async () => {
    await start()
    const a = await initialize({ amount: '100.00' })
    const b = await initialize({ amount: '100.00' })
    const c = await initialize({ amount: 101 })
    expect([a.amount_to_pay, b.amount_to_pay, c.amount_to_pay]).toEqual(['100.00', '101.00', '102.00'])
    expect([a.expected_amount, b.expected_amount, c.expected_amount]).toEqual(['100.00', '100.00', '101.00'])
    // pay_to tells the customer the exact amount, and offers only the wallets of the payment's currency.
    expect(b.pay_to).toEqual([{ network: 'mpesa', msisdn: '0700000001', instructions: 'Pay exactly KES 101.00 to 0700000001 with M-PESA: the exact amount is how the payment is recognised.' }])
    const ghs = (await api.request('POST', '/v1/payments/initialize', { key, body: { amount: '100.00' } })).body.data
    expect(ghs.amount_to_pay).toBe('100.00')
    expect(ghs.pay_to.map((w: { network: string }) => w.network)).toEqual(['mtn'])
    // A cancelled payment's amount is held back a while (late money for it must not pay another order).
    expect((await api.request('POST', `/v1/payments/${a.reference as string}/cancel`, { key })).status).toBe(200)
    expect((await initialize({ amount: '100.00' })).amount_to_pay).toBe('103.00')
  })

  it('refuses cents for KES (M-PESA moves whole shillings) and says when every amount is taken', async () => {
    await start({ stepMinor: 100, maxOffsetMinor: 200, holdMs: 0 })
    const cents = await api.request('POST', '/v1/payments/initialize', { key, body: { amount: '10.50', currency: 'KES' } })
    expect(cents.status).toBe(422)
    expect(cents.body.error.details).toEqual([{ field: 'amount', message: expect.stringContaining('whole number of KES') }])
    for (let i = 0; i < 3; i++) await initialize({ amount: 10 })
    const full = await api.request('POST', '/v1/payments/initialize', { key, body: { amount: 10, currency: 'KES' } })
    expect(full.status).toBe(409)
    expect(full.body.error.code).toBe('unique_amounts_exhausted')
  })

  it('settles each payment by the exact amount it was given; a credit that fits none goes to the unmatched inbox', async () => {
    await start()
    const a = await initialize({ amount: 250 })
    const b = await initialize({ amount: 250 })
    const paidB = await mpesaCredit(25_100)
    expect(paidB.settlement?.match).toMatchObject({ kind: 'applied', method: 'unique_amount' })
    const afterB = await payment(b.reference as string)
    expect(afterB).toMatchObject({ status: 'SUCCESS', expected_amount: '250.00', amount_to_pay: '251.00', actual_amount: '251.00', difference_type: 'EXACT', telco_provider: 'mpesa', telco_transaction_id: paidB.code })
    expect(afterB.credits).toEqual([expect.objectContaining({ match_method: 'unique_amount', payer_phone: '0722***000', payer_name: 'MARY ATIENO', risk_flags: [] })])
    expect((await payment(a.reference as string)).status).toBe('PENDING')

    const stray = await mpesaCredit(25_200)
    expect(stray.settlement?.match?.kind).toBe('unmatched')
    const paidA = await mpesaCredit(25_000)
    expect(paidA.settlement?.match).toMatchObject({ kind: 'applied', method: 'unique_amount' })
    expect((await payment(a.reference as string)).status).toBe('SUCCESS')
    expect(await api.rows.value<number>(sql`SELECT COUNT(*) FROM credits WHERE status = 'unmatched'`)).toBe(1)
  })

  it('counts nothing for a Fuliza notice carrying the payment\'s code, nor for money received before the payment existed', async () => {
    await start()
    const p = await initialize({ amount: 140 })
    const early = await mpesaCredit(14_000, { at: new Date(Date.now() - 3_600_000) })
    expect(early.settlement?.match?.kind).toBe('unmatched')
    const paid = await mpesaCredit(14_000)
    expect(paid.settlement?.match?.kind).toBe('applied')
    const fuliza = await api.sms({
      network: 'mpesa', modemId: 'mpesa-1', sender: 'MPESA',
      text: `${paid.code} Confirmed. Fuliza M-PESA amount is Ksh 139.46. Access Fee charged Ksh 1.40. Total Fuliza M-PESA outstanding amount is Ksh140.86 due on 30/06/26. To check daily charges, Dial *334#OK Select Query Charges`
    })
    expect(fuliza.settlement?.outcome).toBe('other')
    expect(await payment(p.reference as string)).toMatchObject({ status: 'SUCCESS', actual_amount: '140.00' })
    expect(await api.rows.value<number>(sql`SELECT COUNT(*) FROM credits WHERE telco_transaction_id = ${paid.code}`)).toBe(1)
  })

  it('cross-checks the payer\'s name with customer_name: a share of words agrees, a stranger goes to review', async () => {
    await start()
    // Harpoon's newer API takes the customer's name (and accepts a Kenyan phone_number).
    const named = async (customerName: string): Promise<Record<string, any>> => {
      const res = await api.request('POST', '/v1/transactions/initialize', { key, body: { amount: 300, currency: 'KES', phone_number: '+254 722 123 000', customer_name: customerName } })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      return res.body.data
    }
    const agrees = await named('Mary Wanjiru Atieno')
    const stranger = await named('John Kamau')
    expect([agrees.amount_to_pay, stranger.amount_to_pay]).toEqual(['300.00', '301.00'])
    const found = (await api.request('GET', '/v1/transactions?phone_number=254722123000', { key })).body
    expect(found.data.map((t: { reference: string }) => t.reference).sort()).toEqual([agrees.reference, stranger.reference].sort())
    await mpesaCredit(30_000, { name: 'MARY ATIENO' })
    expect((await payment(agrees.reference as string)).status).toBe('SUCCESS')
    const held = await mpesaCredit(30_100, { name: 'PETER OTIENO' })
    expect(held.settlement?.match?.kind).toBe('applied')
    const after = await payment(stranger.reference as string)
    expect(after.status).toBe('MANUAL_REVIEW')
    expect(after.credits[0].risk_flags).toEqual(['payer_name_mismatch'])
  })

  it('flags an M-PESA code whose date disagrees with the receipt, and still settles the payment', async () => {
    await start()
    const p = await initialize({ amount: 75 })
    // TAA…: 10 January 2025, on a receipt of today.
    const paid = await mpesaCredit(7_500, { code: 'TAA1B2C3D4' })
    expect(paid.settlement?.match?.kind).toBe('applied')
    const after = await payment(p.reference as string)
    expect(after.status).toBe('SUCCESS')
    expect(after.credits[0].risk_flags).toEqual(['mpesa_code_date_mismatch'])
    const credits = (await api.request('GET', '/v1/credits', { key })).body.data as Array<{ risk_flags: string[] }>
    expect(credits[0]?.risk_flags).toEqual(['mpesa_code_date_mismatch'])
  })

  it('never lets two open payments share an amount: 24 initializes at once get 24 amounts, and the ledger refuses a second by itself', async () => {
    await start()
    const results = await Promise.all(Array.from({ length: 24 }, async (_, i) =>
      await api.request('POST', '/v1/payments/initialize', { key, body: { amount: 500, currency: 'KES', client_reference: `race-${i}` } })))
    expect(results.map((r) => r.status)).toEqual(Array(24).fill(201))
    const amounts = results.map((r) => r.body.data.amount_to_pay as string)
    expect(new Set(amounts).size).toBe(24)
    expect([...amounts].sort()).toEqual(Array.from({ length: 24 }, (_, i) => `${500 + i}.00`))
    // The index payments_open_amount, not only the code, is the guard.
    const taken = results[0]?.body.data.amount_to_pay as string
    await expect(api.rows.run(sql`INSERT INTO payments (reference, merchant_id, mode, hpn_code, status, expected_minor, currency, expires_at, created_at, updated_at, amount_to_pay_minor)
      VALUES ('hpn_trx_forced', 'default', 'live', 'ZZZZZZ', 'PENDING', 50000, 'KES', 0, 0, 0, ${Math.round(Number(taken) * 100)})`)).rejects.toThrow(/unique|UNIQUE/)
  })
})
