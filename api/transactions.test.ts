import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { telcoCreditText } from '../ingest/telco-wording.js'
import { startTestApi, type TestApi } from '../test/helpers/api-server.js'

/**
 * `/v1/transactions` against the examples of Harpoon's public docs (harpoonsms.com/developers/docs:
 * payments/initialize, payments/retrieve, payments/reconcile, payments/cancel; summarised in the
 * research note peers.md §1). Each test sends what the docs' curl example sends and checks the
 * fields the docs' response shows; values the daemon makes up itself (codes, references, times)
 * are checked by shape.
 */
let api: TestApi
beforeEach(async () => { api = await startTestApi() })
afterEach(async () => { await api.close() })

const REFERENCE = /^hpn_trx_[0-9a-f]{32}$/
const CODE = /^[0-9A-HJKMNP-TV-Z]{6}$/
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/

/** The docs' initialize example (payments/initialize). */
const DOCS_INITIALIZE = { amount: '150.00', phone_number: '0244123456', customer_name: 'John Doe', description: 'Order #1234', client_reference: 'order_1234' }

const initialize = async (body: Record<string, unknown>, opts: { key?: string, headers?: Record<string, string> } = {}) =>
  await api.request('POST', '/v1/transactions/initialize', { body, ...opts })

/** The customer pays: the wallet's telco SMS, in test mode (test keys make test payments). */
async function pay (network: 'mtn' | 'telecel', amountMinor: number, reference: string, transactionId: string): Promise<void> {
  await api.sms({
    mode: 'test', network,
    text: telcoCreditText({ network, amountMinor, reference, payerPhone: '0244123456', payerName: 'JOHN DOE', transactionId, balanceMinor: 100_000 + amountMinor, at: new Date() })
  })
}

describe('POST /v1/transactions/initialize (docs: payments/initialize)', () => {
  it('answers the docs example with reference, hpn_code, amount, status, expires_at and checkout_url', async () => {
    const res = await initialize(DOCS_INITIALIZE)
    expect(res.status).toBe(201)
    expect(res.body.success).toBe(true)
    const d = res.body.data
    expect(d.reference).toMatch(REFERENCE)
    expect(d.hpn_code).toMatch(CODE)
    expect(d).toMatchObject({ amount: '150.00', currency: 'GHS', status: 'PENDING', client_reference: 'order_1234' })
    expect(d.expires_at).toMatch(TIME)
    expect(d.created_at).toMatch(TIME)
    expect(d.checkout_url).toMatch(new RegExp(`^${api.url}/checkout/[A-Za-z0-9_-]{43}$`))
    // The link is not made from the reference or the code.
    expect(d.checkout_url).not.toContain(d.reference.slice(8))
    expect(d.checkout_url).not.toContain(d.hpn_code)
    expect(d.pay_to).toEqual([{ network: 'mtn', msisdn: '0244000000', instructions: `Pay GHS 150.00 to 0244000000 with MTN MoMo and enter ${d.hpn_code as string} as the reference.` }])
  })

  it('answers the quick-start example (amount, phone_number, description)', async () => {
    const res = await initialize({ amount: '150.00', phone_number: '0244123456', description: 'Order #1234' })
    expect(res.status).toBe(201)
    expect(Object.keys(res.body.data)).toEqual(expect.arrayContaining(['reference', 'hpn_code', 'amount', 'status', 'expires_at', 'checkout_url']))
  })

  it('is one payment: the same object /v1/payments shows, with the phone as customer_phone', async () => {
    const d = (await initialize({ ...DOCS_INITIALIZE, phone_number: '+233 24 412 3456', meta: { order_id: '1234' } })).body.data
    const p = (await api.request('GET', `/v1/payments/${d.reference as string}`)).body.data
    expect(p).toMatchObject({ reference: d.reference, hpn_code: d.hpn_code, expected_amount: '150.00', customer_phone: '0244123456', client_reference: 'order_1234', meta: { order_id: '1234' } })
  })

  it('requires amount and phone_number, and lists every bad field at once', async () => {
    const res = await initialize({ description: 'x', currency: 'cedi', redirect_url: 'javascript:alert(1)', colour: 'red' })
    expect(res.status).toBe(422)
    expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['amount', 'colour', 'currency', 'phone_number', 'redirect_url'])
    const phone = await initialize({ amount: '10.00', phone_number: '12345' })
    expect(phone.body.error.details).toEqual([{ field: 'phone_number', message: 'must be a number of Ghana or Kenya: 0XXXXXXXXX, or international (+233…, +254…)' }])
  })

  it('refuses the Harpoon fields this daemon does not implement by name', async () => {
    const res = await initialize({ ...DOCS_INITIALIZE, send_sms_to_payer: false })
    expect(res.status).toBe(422)
    expect(res.body.error.details).toEqual([{ field: 'send_sms_to_payer', message: 'is not supported by this daemon: it sends no SMS to customers' }])
  })

  it('takes expires_in_hours (1–24) as the docs do', async () => {
    const d = (await initialize({ ...DOCS_INITIALIZE, expires_in_hours: 2 })).body.data
    expect(Date.parse(d.expires_at) - Date.parse(d.created_at)).toBe(2 * 3600_000)
    expect((await initialize({ ...DOCS_INITIALIZE, expires_in_hours: 25 })).status).toBe(422)
    expect((await initialize({ ...DOCS_INITIALIZE, expires_in_hours: 2, expires_in: 600 })).body.error.details[0].field).toBe('expires_in')
  })

  it('treats idempotency_key in the body as the Idempotency-Key header', async () => {
    const body = { ...DOCS_INITIALIZE, idempotency_key: 'order_1234-try' }
    const first = await initialize(body)
    const again = await initialize(body)
    expect(again.status).toBe(201)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.body).toEqual(first.body)
    // The header and the body field are one key.
    const header = await initialize(body, { headers: { 'idempotency-key': 'order_1234-try' } })
    expect(header.headers.get('idempotent-replayed')).toBe('true')
    const clash = await initialize(body, { headers: { 'idempotency-key': 'another' } })
    expect(clash.status).toBe(422)
    expect(clash.body.error.details[0].field).toBe('idempotency_key')
  })

  it('answers the PENDING payment of a client_reference again (200) with a fresh checkout link', async () => {
    const first = (await initialize(DOCS_INITIALIZE)).body.data
    const again = await initialize(DOCS_INITIALIZE)
    expect(again.status).toBe(200)
    expect(again.body.data.reference).toBe(first.reference)
    expect(again.body.data.checkout_url).not.toBe(first.checkout_url)
  })
})

describe('retrieving (docs: payments/retrieve)', () => {
  it('finds one paid transaction by each of its three identifiers, in the docs\' shape', async () => {
    const created = (await initialize({ ...DOCS_INITIALIZE, meta: { order_id: '1234' } })).body.data
    await pay('telecel', 15_000, created.hpn_code, '0000011528209461')
    const paths = [`/v1/transactions/${created.reference as string}`, `/v1/transactions/by-hpn/${created.hpn_code as string}`, '/v1/transactions/by-client-ref/order_1234']
    const found = await Promise.all(paths.map(async (p) => await api.request('GET', p)))
    expect(found.map((r) => r.status)).toEqual([200, 200, 200])
    const d = found[0]?.body.data
    for (const r of found) expect(r.body.data).toEqual(d)
    expect(d).toMatchObject({
      reference: created.reference,
      hpn_code: created.hpn_code,
      status: 'SUCCESS',
      expected_amount: '150.00',
      actual_amount: '150.00',
      difference: null,
      difference_type: 'EXACT',
      currency: 'GHS',
      payer: { phone_number: '0244123456', name: 'JOHN DOE' },
      telco: { provider: 'telecel', transaction_id: '0000011528209461' },
      meta: { order_id: '1234' },
      client_reference: 'order_1234',
      customer_name: 'John Doe',
      description: 'Order #1234',
      phone_number: '0244123456'
    })
    expect(d.telco.timestamp).toMatch(TIME)
    expect(d.timeline.created_at).toBe(d.timeline.pending_at)
    for (const at of Object.values(d.timeline)) expect(at).toMatch(TIME)
    expect(Date.parse(d.timeline.processing_at)).toBeLessThanOrEqual(Date.parse(d.timeline.completed_at))
    expect(d.processing_time_ms).toBeGreaterThanOrEqual(0)
  })

  it('shows an unpaid transaction with empty payer and telco and no processing time', async () => {
    const created = (await initialize(DOCS_INITIALIZE)).body.data
    const d = (await api.request('GET', `/v1/transactions/${created.reference as string}`)).body.data
    expect(d).toMatchObject({ status: 'PENDING', actual_amount: null, difference_type: null, payer: { phone_number: null, name: null }, telco: { provider: null, transaction_id: null, timestamp: null }, processing_time_ms: null })
    expect(d.timeline).toMatchObject({ processing_at: null, completed_at: null })
  })

  it('looks each identifier up as what it is: a code is no reference, a client reference no code', async () => {
    const created = (await initialize(DOCS_INITIALIZE)).body.data
    expect((await api.request('GET', `/v1/transactions/${created.hpn_code as string}`)).status).toBe(404)
    expect((await api.request('GET', '/v1/transactions/by-hpn/order_1234')).status).toBe(404)
    expect((await api.request('GET', `/v1/transactions/by-client-ref/${created.reference as string}`)).status).toBe(404)
    // A code as a person types it still finds its payment.
    const typed = (created.hpn_code as string).toLowerCase().replace(/^(..)/, '$1 ')
    expect((await api.request('GET', `/v1/transactions/by-hpn/${encodeURIComponent(typed)}`)).body.data.reference).toBe(created.reference)
  })

  it('lists with page, per_page, status, from, to and phone_number, as the docs\' example does', async () => {
    const refs: string[] = []
    for (let i = 0; i < 3; i++) refs.push((await initialize({ ...DOCS_INITIALIZE, client_reference: `order_${i}`, phone_number: i === 2 ? '0201234567' : '0244123456' })).body.data.reference)
    const paid = (await api.request('GET', `/v1/transactions/${refs[1] as string}`)).body.data
    await pay('mtn', 15_000, paid.hpn_code, '73012849466')
    const res = await api.request('GET', '/v1/transactions?status=SUCCESS&per_page=10')
    expect(res.status).toBe(200)
    expect(res.body.pagination).toEqual({ page: 1, per_page: 10, total: 1, total_pages: 1, has_next: false, has_prev: false })
    expect(res.body.data).toHaveLength(1)
    expect(Object.keys(res.body.data[0])).toEqual(expect.arrayContaining(['reference', 'hpn_code', 'status', 'expected_amount', 'actual_amount', 'difference',
      'difference_type', 'currency', 'payer_phone', 'payer_name', 'created_at', 'completed_at']))
    expect(res.body.data[0]).toMatchObject({ reference: refs[1], status: 'SUCCESS', actual_amount: '150.00', difference_type: 'EXACT' })

    const pages = await api.request('GET', '/v1/transactions?per_page=2&page=2')
    expect(pages.body.pagination).toEqual({ page: 2, per_page: 2, total: 3, total_pages: 2, has_next: false, has_prev: true })
    expect(pages.body.data.map((t: { reference: string }) => t.reference)).toEqual([refs[0]])
    const byPhone = await api.request('GET', '/v1/transactions?phone_number=%2B233201234567')
    expect(byPhone.body.data.map((t: { reference: string }) => t.reference)).toEqual([refs[2]])
    const today = new Date().toISOString().slice(0, 10)
    expect((await api.request('GET', `/v1/transactions?from=${today}&to=${today}`)).body.pagination.total).toBe(3)
    expect((await api.request('GET', '/v1/transactions?to=2020-01-01')).body.pagination.total).toBe(0)
    expect((await api.request('GET', '/v1/transactions?per_page=101')).status).toBe(422)
    expect((await api.request('GET', '/v1/transactions?from=2026-02-30')).body.error.details[0].field).toBe('from')
  })
})

describe('POST /v1/transactions/{reference}/reconcile (docs: payments/reconcile)', () => {
  /** Money that reached the wallet without a code: the docs' case for reconcile. */
  const strayCredit = async (transactionId: string, amountMinor = 15_000): Promise<void> => { await pay('mtn', amountMinor, 'for my order', transactionId) }

  it('VERIFIED: the docs example applies the customer\'s transaction id', async () => {
    const created = (await initialize(DOCS_INITIALIZE)).body.data
    await strayCredit('73012849466')
    const res = await api.request('POST', `/v1/transactions/${created.reference as string}/reconcile`, { body: { transaction_id: '73012849466' } })
    expect(res.status).toBe(200)
    expect(res.body.data).toMatchObject({
      status: 'VERIFIED', transaction_id: '73012849466', transaction_updated: true, new_transaction_status: 'SUCCESS',
      matched_amount: '150.00', expected_amount: '150.00', difference: '0.00', difference_type: 'exact', message: 'Payment verified successfully'
    })
    expect(res.body.data.transaction).toMatchObject({ status: 'SUCCESS', telco: { provider: 'mtn', transaction_id: '73012849466' } })
  })

  it('ALREADY_CONFIRMED: the id was used already, here or for another payment', async () => {
    const a = (await initialize({ ...DOCS_INITIALIZE, client_reference: 'a' })).body.data
    const b = (await initialize({ ...DOCS_INITIALIZE, client_reference: 'b' })).body.data
    await strayCredit('73012849466')
    await api.request('POST', `/v1/transactions/${a.reference as string}/reconcile`, { body: { transaction_id: '73012849466' } })
    for (const ref of [a.reference, b.reference] as string[]) {
      const res = await api.request('POST', `/v1/transactions/${ref}/reconcile`, { body: { transaction_id: '73012849466' } })
      expect(res.body.data).toMatchObject({ status: 'ALREADY_CONFIRMED', transaction_updated: false })
    }
    expect((await api.request('GET', `/v1/transactions/${b.reference as string}`)).body.data.status).toBe('PENDING')
  })

  it('NOT_FOUND: no telco payment with that id reached the wallets', async () => {
    const created = (await initialize(DOCS_INITIALIZE)).body.data
    const res = await api.request('POST', `/v1/transactions/${created.reference as string}/reconcile`, { body: { transaction_id: '70000000000', notes: 'customer read it out' } })
    expect(res.body.data).toMatchObject({ status: 'NOT_FOUND', transaction_updated: false, new_transaction_status: 'PENDING', matched_amount: null, difference: null, difference_type: null })
  })

  it('AMOUNT_MISMATCH only when amount is given and differs; without it, a short payment is PARTIAL', async () => {
    const created = (await initialize(DOCS_INITIALIZE)).body.data
    await strayCredit('73012849466', 10_000)
    const strict = await api.request('POST', `/v1/transactions/${created.reference as string}/reconcile`, { body: { transaction_id: '73012849466', amount: '150.00' } })
    expect(strict.body.data).toMatchObject({ status: 'AMOUNT_MISMATCH', transaction_updated: false, new_transaction_status: 'PENDING' })
    const lax = await api.request('POST', `/v1/transactions/${created.reference as string}/reconcile`, { body: { transaction_id: '73012849466' } })
    expect(lax.body.data).toMatchObject({ status: 'VERIFIED', new_transaction_status: 'PARTIAL', matched_amount: '100.00', difference: '-50.00', difference_type: 'underpaid' })
  })
})

describe('POST /v1/transactions/{reference}/cancel (docs: payments/cancel)', () => {
  it('cancels with the docs\' reason and answers in the docs\' shape; a second cancel is 400', async () => {
    const created = (await initialize(DOCS_INITIALIZE)).body.data
    const path = `/v1/transactions/${created.reference as string}/cancel`
    const res = await api.request('POST', path, { body: { reason: 'Customer cancelled order' } })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ success: true, reference: created.reference, status: 'CANCELLED', message: 'Transaction has been cancelled' })
    expect(res.body.data.status).toBe('CANCELLED')
    const again = await api.request('POST', path, { body: { reason: 'twice' } })
    expect(again.status).toBe(400)
    expect(again.body.error.code).toBe('invalid_status')
    // The same rule through /v1/payments answers SPEC's 409.
    expect((await api.request('POST', `/v1/payments/${created.reference as string}/cancel`)).status).toBe(409)
    // One event, and the reason is kept on the payment.
    const row = await api.ledger.payments.findByReference({ merchantId: 'default', mode: 'test' }, created.reference)
    expect(row?.note).toBe('Customer cancelled order')
    expect((await api.ledger.events.ofPayment(row?.id ?? 0)).map((e) => e.type)).toEqual(['transaction.cancelled'])
  })

  it('refuses to cancel a paid payment with 400', async () => {
    const created = (await initialize(DOCS_INITIALIZE)).body.data
    await pay('mtn', 15_000, created.hpn_code, '73012849466')
    const res = await api.request('POST', `/v1/transactions/${created.reference as string}/cancel`, { body: {} })
    expect(res.status).toBe(400)
    expect(res.body.error.message).toMatch(/SUCCESS/)
  })
})

describe('GET /v1/merchant/payment-methods', () => {
  it('lists the wallets of the key\'s merchant and mode with each network\'s USSD code', async () => {
    const res = await api.request('GET', '/v1/merchant/payment-methods')
    expect(res.body.data).toEqual([{ network: 'mtn', network_name: 'MTN MoMo', msisdn: '0244000000', currency: 'GHS', ussd_code: '*170#' }])
    const other = await api.key({ merchant: 'other' })
    expect((await api.request('GET', '/v1/merchant/payment-methods', { key: other })).body.data).toEqual([])
  })
})

describe('OpenAPI', () => {
  it('documents both families', async () => {
    const doc = (await api.request('GET', '/openapi.json', { key: null })).body
    for (const path of ['/v1/payments/initialize', '/v1/payments/{id}', '/v1/transactions/initialize', '/v1/transactions', '/v1/transactions/{reference}',
      '/v1/transactions/by-hpn/{hpn_code}', '/v1/transactions/by-client-ref/{client_ref}', '/v1/transactions/{reference}/reconcile',
      '/v1/transactions/{reference}/cancel', '/v1/merchant/payment-methods']) {
      expect(Object.keys(doc.paths), path).toContain(path)
    }
    expect(Object.keys(doc.paths)).not.toContain('/checkout/{token}')
  })
})
