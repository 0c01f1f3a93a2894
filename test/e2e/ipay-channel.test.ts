import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startIpaySimulator, type IpaySimulator } from '../../channels/ipay/simulator.js'
import type { SimTransaction } from '../../channels/ipay/sim-state.js'
import { startChannelDaemon, type ChannelDaemon } from '../helpers/channel-daemon.js'
import { simControl } from '../helpers/mtn-sim.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'

/** Kenyan test customers of the iPay simulator (channels/ipay/README.md): what each does with the STK prompt. */
const CUSTOMER = {
  pays: '0712345678',
  cancels: '0700000002',
  broke: '0700000004',
  paysLess: '0700000006',
  paysMore: '0700000007',
  paysNoCallback: '0700000009'
}
/** How long the simulated customer takes to answer; the simulator's clock stands still until a test moves it. */
const CUSTOMER_DELAY_MS = 5_000

interface Payment {
  reference: string
  status: string
  expected_amount: string
  actual_amount: string | null
  customer_phone: string | null
  payer_phone: string | null
  telco_provider: string | null
  telco_transaction_id: string | null
  failure_reason: string | null
  channel: { id: string, type: string, reference_id: string } | null
  credits: Array<{ telco_transaction_id: string, amount: string, match_method: string, payer_name: string | null, telco_provider: string }>
  refunds: Array<{ id: string, amount: string, status: string, failure_reason: string | null, provider_transaction_id: string | null }>
  pay_to: Array<{ network: string, msisdn: string, paybill?: string, account?: string, instructions: string }>
}
interface Leg { kind: string, operation: string | null, method: string, url: string, status_code: number | null, request_body: string | null, response_body: string | null }

describe('iPay channel end to end: the daemon process, the iPay simulator as a separate server, over real HTTP', () => {
  const dir = tempDir('harpoon-ipay-e2e-')
  const epoch = Date.now()
  let sim: IpaySimulator
  let rig: ChannelDaemon

  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => await rig.call<T>(method, path, body)
  const raw = async (method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> => await rig.raw(method, path, body)
  const control = async (method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> => await simControl(sim.url)(method, path, body)
  const initialize = async (phone: string, amount = '150.00', extra: Record<string, unknown> = {}): Promise<Payment> =>
    await call<Payment>('POST', '/v1/payments/initialize', { amount, channel: 'ipay-ke', customer_phone: phone, ...extra })
  const payment = async (reference: string): Promise<Payment> => await call<Payment>('GET', `/v1/payments/${reference}`)
  const settled = async (reference: string): Promise<Payment> =>
    await waitFor(async () => { const p = await payment(reference); return p.status !== 'PENDING' ? p : undefined }, `payment ${reference} to settle`)
  const session = (p: Payment): SimTransaction | undefined => [...sim.state.transactions.values()].find((t) => t.oid === p.channel?.reference_id)
  /** Resolves once iPay has the STK push (sent from the outbox after the commit). */
  const pushed = async (p: Payment): Promise<SimTransaction> => await waitFor(() => { const t = session(p); return t !== undefined && t.pushes > 0 ? t : undefined }, 'the STK push at iPay')
  /** The customer answers the prompt (the simulator's clock moves past the delay); its callbacks are delivered before this resolves. */
  const customerAnswers = async (): Promise<void> => { await sim.state.advance(CUSTOMER_DELAY_MS) }
  const legs = async (reference: string): Promise<Leg[]> => await rig.legs<Leg>(reference)
  const webhooks = (reference: string): Array<{ event: string, data: Payment }> => rig.webhooks<Payment>(reference)
  /**
   * An operator settling a refund by hand. The sender records the provider's answer (the leg the
   * tests wait for) before it lets go of the row, so for a moment the answer is 409 refund_in_flight,
   * which tells the operator to try again: as an operator would, this tries again.
   */
  const settleRefund = async (reference: string, refund: string, body: unknown): Promise<{ status: number, body: any }> =>
    await waitFor(async () => {
      const r = await raw('POST', `/v1/payments/${reference}/refunds/${refund}/settle`, body)
      return r.status === 409 && r.body.error?.code === 'refund_in_flight' ? undefined : r
    }, 'the refund sender to let go of the refund')

  beforeAll(async () => {
    sim = await startIpaySimulator({ clock: { now: () => epoch }, settings: { customerDelayMs: CUSTOMER_DELAY_MS } })
    rig = await startChannelDaemon(dir.path, (port) => ({
      id: 'ipay-ke', type: 'ipay', mode: 'test', base_url: sim.baseUrl, ipn_url: sim.ipnUrl, vendor_id: 'demo', hash_key: 'demoCHANGED',
      live: false, currency: 'KES', callback_url: `http://127.0.0.1:${port}/v1/channels/ipay-ke/callback`
    }))
  })

  afterAll(async () => {
    await rig?.close()
    await sim?.close()
    dir.cleanup()
  })

  it('lists the channel and refuses what it cannot collect, naming the field', async () => {
    expect(await call('GET', '/v1/channels')).toEqual([{ id: 'ipay-ke', type: 'ipay', mode: 'test', currency: 'KES', country: 'KE', environment: 'test', refunds: true, callbacks: true, embedded: false }])
    const bad = await raw('POST', '/v1/payments/initialize', { amount: '10.00', channel: 'ipay-ke', customer_phone: '0240000100', currency: 'GHS', method: 'bitcoin' })
    expect(bad.status).toBe(422)
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['currency', 'customer_phone', 'method'])
    expect(bad.body.error.details.find((d: { field: string }) => d.field === 'method').message).toMatch(/"mpesa" or "airtel"/)
    // Every Kenyan form is taken and shown as 07…/01…
    for (const phone of ['+254712345678', '254712345678', '0112345678']) {
      const p = await initialize(phone, '20.00')
      expect(p.customer_phone).toBe(phone === '0112345678' ? '0112345678' : '0712345678')
      await call('POST', `/v1/payments/${p.reference}/cancel`)
    }
    // A method on a channel with one way to pay, or without a channel, is refused too.
    expect((await raw('POST', '/v1/payments/initialize', { amount: '10.00', method: 'mpesa' })).body.error.details[0].field).toBe('method')
    const dropIn = await raw('POST', '/v1/transactions/initialize', { amount: '10.00', channel: 'ipay-ke', phone_number: '0712345678', method: 'bitcoin' })
    expect(dropIn.status).toBe(422)
    expect(dropIn.body.error.details).toEqual([expect.objectContaining({ field: 'method', message: expect.stringMatching(/"mpesa" or "airtel"/) })])
  })

  it('paid: the STK push after the commit; the callback, verified by the IPN, and iPay\'s status settle it SUCCESS with the M-Pesa receipt and the payer', async () => {
    const p = await initialize(CUSTOMER.pays, '150.00', { method: 'mpesa' })
    expect(p).toMatchObject({ status: 'PENDING', customer_phone: '0712345678', channel: { id: 'ipay-ke', type: 'ipay' } })
    // Where to pay by hand, from iPay's transact: the paybill and this payment's account.
    const account = session(p)?.account
    expect(p.pay_to).toEqual([
      { network: 'mpesa', msisdn: '510800', paybill: '510800', account, instructions: expect.stringContaining(`paybill 510800`) },
      { network: 'airtel_ke', msisdn: '510800', paybill: '510800', account, instructions: expect.stringContaining(`account number ${account ?? ''}`) }
    ])
    const tx = await pushed(p)
    expect(tx.push).toMatchObject({ method: 'mpesa', phone: '0712345678' })
    await customerAnswers()
    const done = await settled(p.reference)
    const receipt = tx.payment?.txncd
    expect(receipt).toMatch(/^[A-Z0-9]{10}$/)
    expect(done).toMatchObject({ status: 'SUCCESS', actual_amount: '150.00', telco_provider: 'mpesa', telco_transaction_id: receipt, payer_phone: '0712345678', failure_reason: null })
    expect(done.credits).toEqual([expect.objectContaining({ telco_transaction_id: receipt, amount: '150.00', match_method: 'channel', payer_name: 'JANE WANJIKU' })])
    expect(tx.pushes).toBe(1)
    await waitFor(() => webhooks(p.reference).find((w) => w.event === 'transaction.completed'), 'the transaction.completed webhook')
    // Every leg in the audit log: the app's request, transact (before the commit), the push, status reads, the callback and its IPN check.
    const audit = await waitFor(async () => { const l = await legs(p.reference); return l.some((x) => x.kind === 'callback') && l.some((x) => x.operation === 'ipn') ? l : undefined }, 'the callback and its IPN check in the audit log')
    const calls = audit.filter((l) => l.kind === 'provider_call').map((l) => l.operation)
    expect(calls.slice(0, 2)).toEqual(['transact', 'stk_push'])
    expect(calls).toEqual(expect.arrayContaining(['status', 'ipn']))
    expect(audit.find((l) => l.kind === 'callback')).toMatchObject({ method: 'GET', url: expect.stringContaining(`id=${p.channel?.reference_id ?? ''}`) })
    expect(audit.find((l) => l.operation === 'ipn')?.response_body).toBe('aei7p7yrx4ae34')
    expect(JSON.stringify(audit)).not.toContain('demoCHANGED')
  })

  it('cancelled and insufficient funds: FAILED with the reason iPay\'s search gives, and a transaction.failed webhook', async () => {
    const cancelled = await initialize(CUSTOMER.cancels)
    // Through the drop-in for Harpoon's hosted API too: `method` is taken there as on /v1/payments.
    const made = await call<{ reference: string }>('POST', '/v1/transactions/initialize', { amount: '90.00', channel: 'ipay-ke', phone_number: CUSTOMER.broke, method: 'airtel' })
    const broke = await payment(made.reference)
    await pushed(cancelled)
    expect((await pushed(broke)).push?.method).toBe('airtel')
    await customerAnswers()
    expect(await settled(cancelled.reference)).toMatchObject({ status: 'FAILED', failure_reason: 'CANCELLED', actual_amount: null, credits: [] })
    expect(await settled(broke.reference)).toMatchObject({ status: 'FAILED', failure_reason: 'INSUFFICIENT_FUNDS', actual_amount: null })
    const failed = await waitFor(() => webhooks(cancelled.reference).find((w) => w.event === 'transaction.failed'), 'the transaction.failed webhook')
    expect(failed.data).toMatchObject({ status: 'FAILED', failure_reason: 'CANCELLED', channel: { id: 'ipay-ke' } })
  })

  it('less and more: PARTIAL and OVERPAID with the amount iPay reports (mc)', async () => {
    const less = await initialize(CUSTOMER.paysLess, '150.00')
    const more = await initialize(CUSTOMER.paysMore, '150.00')
    await pushed(less)
    await pushed(more)
    await customerAnswers()
    expect(await settled(less.reference)).toMatchObject({ status: 'PARTIAL', actual_amount: '75.00', telco_transaction_id: session(less)?.payment?.txncd })
    expect(await settled(more.reference)).toMatchObject({ status: 'OVERPAID', actual_amount: '250.00', telco_transaction_id: session(more)?.payment?.txncd })
  })

  it('no callback: iPay never calls back, polling settles the payment', async () => {
    const p = await initialize(CUSTOMER.paysNoCallback, '60.00')
    const tx = await pushed(p)
    await customerAnswers()
    expect(await settled(p.reference)).toMatchObject({ status: 'SUCCESS', actual_amount: '60.00', telco_transaction_id: tx.payment?.txncd })
    expect(tx.callbacks).toEqual([])
    expect((await legs(p.reference)).filter((l) => l.kind === 'callback')).toEqual([])
  })

  it('forged callbacks: the IPN contradicts them, nothing changes, and they are logged as forged', async () => {
    const p = await initialize(CUSTOMER.cancels, '300.00')
    const tx = await pushed(p)
    // "paid" with the session's real identifiers (the IPN answers pending), then with made-up ones (the IPN knows nothing).
    expect((await control('POST', `/_sim/transactions/${tx.sid}/forge`, { status: 'paid', mc: '300', txncd: 'UEVFORGED1', tokens: 'real' })).status).toBe(200)
    expect((await control('POST', `/_sim/transactions/${tx.sid}/forge`, { status: 'paid', tokens: 'random' })).status).toBe(200)
    expect(tx.callbacks.map((c) => [c.forged, c.httpStatus])).toEqual([[true, 200], [true, 200]])
    // The IPN check's leg is recorded beside the callback's answer, not before it: wait for both checks.
    const audit = await waitFor(async () => { const a = await legs(p.reference); return a.filter((l) => l.operation === 'ipn').length >= 2 && a.filter((l) => l.kind === 'callback').length >= 2 ? a : undefined }, 'both callbacks and their IPN checks in the audit log')
    expect(audit.filter((l) => l.kind === 'callback')).toHaveLength(2)
    expect(audit.filter((l) => l.operation === 'ipn').map((l) => l.response_body)).toEqual(['bdi6p2yy76etrs', 'fe2707etr5s4wq'])
    await waitFor(() => /FORGED channel callback/.test(rig.daemon.output()) ? true : undefined, 'the forgery in the log')
    const still = await payment(p.reference)
    expect(still).toMatchObject({ status: 'PENDING', actual_amount: null, credits: [] })
    expect(webhooks(p.reference)).toEqual([])
    // The customer's real answer still decides.
    await customerAnswers()
    expect(await settled(p.reference)).toMatchObject({ status: 'FAILED', failure_reason: 'CANCELLED', credits: [] })
  })

  it('a repeated callback is counted once', async () => {
    const p = await initialize(CUSTOMER.pays, '45.00')
    const tx = await pushed(p)
    await customerAnswers()
    await settled(p.reference)
    expect((await control('POST', `/_sim/transactions/${tx.sid}/callback`, { times: 3 })).status).toBe(200)
    await sim.state.idle()
    expect(tx.callbacks.filter((c) => !c.forged).map((c) => c.httpStatus)).toEqual([200, 200, 200, 200])
    const after = await payment(p.reference)
    expect(after).toMatchObject({ status: 'SUCCESS', actual_amount: '45.00' })
    expect(after.credits).toHaveLength(1)
    const events = await call<{ events: Array<{ type: string }> }>('GET', `/v1/operator/payments/${p.reference}`)
    expect(events.events.map((e) => e.type)).toEqual(['transaction.completed'])
  })

  it('refund: POST /v1/payments/{id}/refund pays back through transaction/refund; the payment becomes REFUNDED', async () => {
    const p = await initialize(CUSTOMER.pays, '120.00')
    const tx = await pushed(p)
    await customerAnswers()
    await settled(p.reference)
    const partial = await raw('POST', `/v1/payments/${p.reference}/refund`, { amount: '20.00', note: 'one item back' })
    expect(partial.status).toBe(202)
    await waitFor(async () => (await payment(p.reference)).refunds.some((r) => r.status === 'SUCCESSFUL') ? true : undefined, 'the first refund')
    expect((await payment(p.reference)).status).toBe('SUCCESS')
    expect((await raw('POST', `/v1/payments/${p.reference}/refund`, { amount: '100.01' })).status).toBe(422)
    expect((await raw('POST', `/v1/payments/${p.reference}/refund`, { amount: '100.00' })).status).toBe(202)
    const refunded = await settled(p.reference).then(async () => await waitFor(async () => { const x = await payment(p.reference); return x.status === 'REFUNDED' ? x : undefined }, 'REFUNDED'))
    expect(refunded.refunds.map((r) => [r.amount, r.status])).toEqual([['20.00', 'SUCCESSFUL'], ['100.00', 'SUCCESSFUL']])
    expect(tx.refunds.map((r) => r.amountMinor)).toEqual([2_000, 10_000])
    const refundCalls = (await legs(p.reference)).filter((l) => l.kind === 'provider_call' && l.operation === 'refund')
    expect(refundCalls.map((l) => l.request_body)).toEqual([`code=${tx.payment?.txncd ?? ''}&vid=demo&amount=20&hash=[redacted]`, `code=${tx.payment?.txncd ?? ''}&vid=demo&amount=100&hash=[redacted]`])
    await waitFor(() => webhooks(p.reference).find((w) => w.event === 'transaction.refunded'), 'the transaction.refunded webhook')
  })

  it('refund whose answer iPay lost: PENDING until an operator settles it from iPay\'s records (iPay has no refund-status call)', async () => {
    const p = await initialize(CUSTOMER.pays, '80.00')
    const tx = await pushed(p)
    await customerAnswers()
    await settled(p.reference)
    const pending = async (): Promise<Payment> => await waitFor(async () => {
      const x = await payment(p.reference)
      return x.refunds.length > 0 && legsOf(await legs(p.reference)) > 0 ? x : undefined
    }, 'the refund call')
    const legsOf = (all: Leg[]): number => all.filter((l) => l.kind === 'provider_call' && l.operation === 'refund').length

    // iPay pays the first refund back but the answer never arrives.
    expect((await control('POST', '/_sim/faults', { endpoint: 'refund', mode: 'lose_answer', count: 1 })).status).toBe(200)
    expect((await raw('POST', `/v1/payments/${p.reference}/refund`, { amount: '80.00', note: 'order cancelled' })).status).toBe(202)
    const lost = (await pending()).refunds[0] as Payment['refunds'][number]
    expect(lost).toMatchObject({ amount: '80.00', status: 'PENDING' })
    expect(tx.refunds.map((r) => r.amountMinor)).toEqual([8_000])
    // Nothing is sent twice (it could pay out twice), and the amount stays held: no second refund.
    expect((await raw('POST', `/v1/payments/${p.reference}/refund`, { amount: '80.00' })).status).toBe(422)

    const settle = async (body: unknown, refund = lost.id): Promise<{ status: number, body: any }> => await settleRefund(p.reference, refund, body)
    expect((await settle({ status: 'SUCCESSFUL' })).body.error.details).toEqual([expect.objectContaining({ field: 'note' })])
    expect((await settle({ status: 'SUCCESSFUL', note: 'x' }, 'chx_nope')).status).toBe(404)
    const done = await settle({ status: 'SUCCESSFUL', note: 'iPay portal shows the refund paid', provider_transaction_id: 'IPAY-R-1' })
    expect(done.status, JSON.stringify(done.body)).toBe(200)
    expect(done.body.data).toMatchObject({ status: 'REFUNDED', refunds: [{ id: lost.id, status: 'SUCCESSFUL', provider_transaction_id: 'IPAY-R-1' }] })
    await waitFor(() => webhooks(p.reference).find((w) => w.event === 'transaction.refunded'), 'the transaction.refunded webhook')
    // Settled once: the second word is refused, and so is settling a refund the provider itself confirmed.
    const again = await settle({ status: 'FAILED', note: 'changed my mind' })
    expect([again.status, again.body.error.code]).toEqual([409, 'refund_not_unconfirmed'])
    // Who said so, and why, is in the audit trail.
    const trail = await call<Array<{ action: string, after: { status: string, refund?: { status: string, note: string } } }>>('GET', `/v1/audit?target_type=payment&target=${p.reference}`)
    expect(trail.filter((r) => r.action === 'refund.settle').map((r) => [r.after.status, r.after.refund])).toEqual([['REFUNDED', { id: lost.id, status: 'SUCCESSFUL', note: 'iPay portal shows the refund paid' }]])
  })

  it('refund that iPay never got (500): settled FAILED by an operator, the money can be refunded again', async () => {
    const p = await initialize(CUSTOMER.pays, '60.00')
    const tx = await pushed(p)
    await customerAnswers()
    await settled(p.reference)
    expect((await control('POST', '/_sim/faults', { endpoint: 'refund', mode: 'error_500', count: 1 })).status).toBe(200)
    expect((await raw('POST', `/v1/payments/${p.reference}/refund`, { amount: '60.00' })).status).toBe(202)
    const lost = await waitFor(async () => (await payment(p.reference)).refunds.find((r) => r.status === 'PENDING' && r.failure_reason === null), 'the unconfirmed refund')
    await waitFor(async () => (await legs(p.reference)).some((l) => l.operation === 'refund' && l.status_code === 500) ? true : undefined, 'the failed refund call')
    expect(tx.refunds).toEqual([])
    const failed = await settleRefund(p.reference, lost.id, { status: 'FAILED', note: 'not in the iPay portal' })
    expect(failed.status, JSON.stringify(failed.body)).toBe(200)
    expect(failed.body.data).toMatchObject({ status: 'SUCCESS', refunds: [{ id: lost.id, status: 'FAILED', failure_reason: 'NOT_PAID' }] })
    expect((await raw('POST', `/v1/payments/${p.reference}/refund`, { amount: '60.00' })).status).toBe(202)
    await waitFor(async () => { const x = await payment(p.reference); return x.status === 'REFUNDED' ? x : undefined }, 'REFUNDED by the second refund')
    expect(tx.refunds.map((r) => r.amountMinor)).toEqual([6_000])
  })
})
