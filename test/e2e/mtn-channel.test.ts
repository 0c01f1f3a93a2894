import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SimClock, startMtnSimulator, type MtnSimulator, type PartyBehaviour } from '../../channels/mtn-momo/simulator.js'
import { startChannelDaemon, type ChannelDaemon } from '../helpers/channel-daemon.js'
import { simControl } from '../helpers/mtn-sim.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'

/** Ghanaian test customers and what each does at the simulated MTN (mtnghana, GHS). */
const CUSTOMER = {
  /** Waits for the test to approve or reject (the simulator's default here). */
  decides: '0240000100',
  rejects: '0240000451',
  brokeLater: '0240000465',
  brokeNow: '0240000467',
  silent: '0240000468',
  echoes: '0240000469',
  expires: '0240000454'
}
const NUMBERS: Record<string, PartyBehaviour> = {
  233240000451: { outcome: 'fail', reason: 'APPROVAL_REJECTED' },
  233240000465: { outcome: 'fail', reason: 'NOT_ENOUGH_FUNDS' },
  233240000467: { outcome: 'fail', reason: 'NOT_ENOUGH_FUNDS', refuse: { status: 500, code: 'NOT_ENOUGH_FUNDS' } },
  233240000468: { outcome: 'approve', callback: { deliver: false } },
  233240000469: { outcome: 'approve', callback: { copies: 3 } }
}

interface Payment {
  reference: string
  hpn_code: string
  status: string
  expected_amount: string
  actual_amount: string | null
  difference: string | null
  customer_phone: string | null
  payer_phone: string | null
  telco_provider: string | null
  telco_transaction_id: string | null
  failure_reason: string | null
  channel: { id: string, type: string, reference_id: string } | null
  credits: Array<{ telco_transaction_id: string, amount: string, match_method: string }>
  refunds: Array<{ id: string, amount: string, status: string, reference_id: string, payee_phone: string | null }>
  pay_to: unknown[]
}
interface Leg { kind: string, operation: string | null, method: string, url: string, status_code: number | null, started_at: string, request_body: string | null, request_headers: Record<string, string> | null }
interface SimCall { operation: string, referenceId: string | null, status: number | string }

describe('MTN MoMo channel end to end: the daemon process over real HTTP, the simulator as a separate server', () => {
  const dir = tempDir('harpoon-mtn-e2e-')
  const clock = new SimClock({ manual: true })
  let sim: MtnSimulator
  let rig: ChannelDaemon

  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => await rig.call<T>(method, path, body)
  const raw = async (method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> => await rig.raw(method, path, body)
  const control = async (method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> => await simControl(sim.url)(method, path, body)
  const initialize = async (phone: string, amount = '150.00'): Promise<Payment> => await call<Payment>('POST', '/v1/payments/initialize', { amount, channel: 'mtn-gh', customer_phone: phone })
  const payment = async (reference: string): Promise<Payment> => await call<Payment>('GET', `/v1/payments/${reference}`)
  const settled = async (reference: string, done: (p: Payment) => boolean = (p) => p.status !== 'PENDING'): Promise<Payment> =>
    await waitFor(async () => { const p = await payment(reference); return done(p) ? p : undefined }, `payment ${reference} to settle`)
  /** Resolves once MTN holds the request (the daemon sent it after its commit). */
  const atMtn = async (p: Payment): Promise<void> => {
    await waitFor(() => sim.state.find('collection', p.channel?.reference_id ?? '') ?? undefined, 'MTN to receive the request to pay')
  }
  const legs = async (reference: string): Promise<Leg[]> => await rig.legs<Leg>(reference)
  const mtnCalls = async (reference: string): Promise<SimCall[]> => ((await control('GET', '/_sim/log')).body as SimCall[]).filter((c) => c.referenceId === reference)
  const webhooks = (reference: string): Array<{ event: string, data: Payment }> => rig.webhooks<Payment>(reference)

  beforeAll(async () => {
    sim = await startMtnSimulator({ environment: 'mtnghana', clock, settings: { defaultOutcome: 'wait' }, numbers: NUMBERS })
    rig = await startChannelDaemon(dir.path, (port) => ({
      id: 'mtn-gh', type: 'mtn_momo', mode: 'test', base_url: sim.url, target_environment: 'mtnghana',
      collection: sim.credentials.collection, disbursement: sim.credentials.disbursement,
      callback_url: `http://127.0.0.1:${port}/v1/channels/mtn-gh/callback`
    }))
  })

  afterAll(async () => {
    await rig?.close()
    await sim?.close()
    dir.cleanup()
  })

  it('lists the channel and refuses what it cannot collect, naming the field', async () => {
    expect(await call('GET', '/v1/channels')).toEqual([{ id: 'mtn-gh', type: 'mtn_momo', mode: 'test', currency: 'GHS', country: 'GH', environment: 'mtnghana', refunds: true, callbacks: true, embedded: false }])
    const bad = await raw('POST', '/v1/payments/initialize', { amount: '10.00', channel: 'mtn-gh', customer_phone: '+254712345678', currency: 'KES' })
    expect(bad.status).toBe(422)
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['currency', 'customer_phone'])
    expect((await raw('POST', '/v1/payments/initialize', { amount: '10.00', channel: 'mtn-gh' })).body.error.details).toEqual([{ field: 'customer_phone', message: expect.stringMatching(/required with a channel/) }])
    expect((await raw('POST', '/v1/payments/initialize', { amount: '10.00', channel: 'mtn-ug', customer_phone: '0240000100' })).body.error.details[0].field).toBe('channel')
    // The SMS way is the default and unchanged.
    const sms = await call<Payment>('POST', '/v1/payments/initialize', { amount: '10.00', channel: 'sms' })
    expect(sms.channel).toBeNull()
  })

  it('approve: the customer approves the prompt; MTN\'s callback wakes the check and the payment is SUCCESS with MTN\'s transaction id', async () => {
    const p = await initialize(CUSTOMER.decides)
    expect(p).toMatchObject({ status: 'PENDING', customer_phone: '0240000100', channel: { id: 'mtn-gh', type: 'mtn_momo' }, failure_reason: null, pay_to: [] })
    await atMtn(p)
    expect((await control('POST', `/_sim/requests/${p.channel?.reference_id ?? ''}/approve`)).status).toBe(200)
    const done = await settled(p.reference)
    const mtn = sim.state.find('collection', p.channel?.reference_id ?? '')
    expect(done).toMatchObject({ status: 'SUCCESS', actual_amount: '150.00', telco_provider: 'mtn', telco_transaction_id: mtn?.financialTransactionId, payer_phone: '0240000100' })
    expect(done.credits).toEqual([expect.objectContaining({ telco_transaction_id: mtn?.financialTransactionId, amount: '150.00', match_method: 'channel' })])
    await waitFor(() => webhooks(p.reference).find((w) => w.event === 'transaction.completed'), 'the transaction.completed webhook')
    // The audit log has every leg: the app's request, the token and MTN calls, the callback, the forward.
    const audit = await waitFor(async () => { const l = await legs(p.reference); return l.some((x) => x.kind === 'forward') && l.some((x) => x.kind === 'callback') ? l : undefined }, 'the full audit log')
    expect(audit.map((l) => l.kind)).toEqual(expect.arrayContaining(['app_request', 'provider_call', 'callback', 'forward']))
    expect(audit.filter((l) => l.kind === 'provider_call').map((l) => l.operation)).toEqual(expect.arrayContaining(['collection-token', 'requesttopay', 'requesttopay-status']))
    expect(audit.find((l) => l.kind === 'app_request')).toMatchObject({ method: 'POST', url: '/v1/payments/initialize', status_code: 201 })
    const secrets = [sim.credentials.collection.api_key, sim.credentials.collection.subscription_key, rig.key, ...sim.state.issuedTokens()]
    for (const s of secrets) expect(JSON.stringify(audit)).not.toContain(s)
  })

  it('reject: FAILED with MTN\'s reason, and a transaction.failed webhook saying why', async () => {
    const p = await initialize(CUSTOMER.rejects)
    await atMtn(p)
    clock.advance(3_000)
    expect(await settled(p.reference)).toMatchObject({ status: 'FAILED', failure_reason: 'APPROVAL_REJECTED', actual_amount: null })
    const failed = await waitFor(() => webhooks(p.reference).find((w) => w.event === 'transaction.failed'), 'the transaction.failed webhook')
    expect(failed.data).toMatchObject({ status: 'FAILED', failure_reason: 'APPROVAL_REJECTED', channel: { id: 'mtn-gh' } })
  })

  it('expire: the customer never answers; MTN closes the prompt after its window and the payment fails EXPIRED', async () => {
    const p = await initialize(CUSTOMER.expires)
    await atMtn(p)
    clock.advance(5 * 60_000)
    expect(await settled(p.reference)).toMatchObject({ status: 'FAILED', failure_reason: 'EXPIRED' })
  })

  it('insufficient funds: whether MTN fails the request later or refuses it at once, FAILED NOT_ENOUGH_FUNDS', async () => {
    const later = await initialize(CUSTOMER.brokeLater)
    await atMtn(later)
    clock.advance(3_000)
    expect(await settled(later.reference)).toMatchObject({ status: 'FAILED', failure_reason: 'NOT_ENOUGH_FUNDS' })
    const now = await initialize(CUSTOMER.brokeNow)
    expect(await settled(now.reference)).toMatchObject({ status: 'FAILED', failure_reason: 'NOT_ENOUGH_FUNDS' })
    expect((await mtnCalls(now.channel?.reference_id ?? '')).map((c) => [c.operation, c.status])).toEqual([['requesttopay', 500]])
  })

  it('a callback that never comes: polling alone settles the payment', async () => {
    const p = await initialize(CUSTOMER.silent)
    await atMtn(p)
    clock.advance(3_000)
    expect((await settled(p.reference)).status).toBe('SUCCESS')
    const mtn = sim.state.find('collection', p.channel?.reference_id ?? '')
    expect(mtn?.callbacks.map((c) => c.dropped)).toEqual([true])
    expect((await legs(p.reference)).filter((l) => l.kind === 'callback')).toEqual([])
  })

  it('a duplicated and a forged callback change nothing: only MTN\'s answer to our own GET settles', async () => {
    const echo = await initialize(CUSTOMER.echoes)
    await atMtn(echo)
    clock.advance(3_000)
    expect((await settled(echo.reference)).status).toBe('SUCCESS')
    await waitFor(async () => (await legs(echo.reference)).filter((l) => l.kind === 'callback').length === 3 ? true : undefined, 'three copies of the callback')
    const after = await payment(echo.reference)
    expect([after.status, after.actual_amount, after.credits.length]).toEqual(['SUCCESS', '150.00', 1])
    await waitFor(() => webhooks(echo.reference).length > 0 ? true : undefined, 'its webhook')
    expect(webhooks(echo.reference).map((w) => w.event)).toEqual(['transaction.completed'])

    // A forger claims success for a payment the customer has not approved.
    const p = await initialize(CUSTOMER.decides)
    await atMtn(p)
    const reference = p.channel?.reference_id ?? ''
    const forged = await fetch(`${rig.daemon.url}/v1/channels/mtn-gh/callback?reference=${reference}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ financialTransactionId: '9999999999', externalId: p.reference, amount: '150', currency: 'GHS', payer: { partyIdType: 'MSISDN', partyId: '233240000100' }, status: 'SUCCESSFUL' })
    })
    expect(forged.status).toBe(200)
    // It was recorded, and it made the daemon ask MTN, which says PENDING.
    const checked = await waitFor(async () => {
      const l = await legs(p.reference)
      const cb = l.find((x) => x.kind === 'callback')
      return cb !== undefined && l.some((x) => x.operation === 'requesttopay-status' && x.started_at >= cb.started_at) ? l : undefined
    }, 'a status check after the forged callback')
    expect(checked.find((x) => x.kind === 'callback')?.request_body).toContain('9999999999')
    const still = await payment(p.reference)
    expect([still.status, still.actual_amount, still.credits]).toEqual(['PENDING', null, []])
    // A callback naming nothing we know is recorded too, and changes nothing.
    expect((await fetch(`${rig.daemon.url}/v1/channels/mtn-gh/callback`, { method: 'POST', body: 'not json' })).status).toBe(200)
    expect((await fetch(`${rig.daemon.url}/v1/channels/nope/callback`, { method: 'POST', body: '{}' })).status).toBe(404)
    await control('POST', `/_sim/requests/${reference}/reject`)
    expect((await settled(p.reference)).status).toBe('FAILED')
  })

  it('a token that expires mid-run: MTN answers 401, the daemon renews the token once and carries on', async () => {
    const first = await initialize(CUSTOMER.decides)
    await atMtn(first)
    await control('POST', `/_sim/requests/${first.channel?.reference_id ?? ''}/reject`)
    await settled(first.reference)
    expect((await control('POST', '/_sim/tokens/expire')).status).toBe(200)
    const p = await initialize(CUSTOMER.decides)
    await atMtn(p)
    expect((await mtnCalls(p.channel?.reference_id ?? '')).filter((c) => c.operation === 'requesttopay').map((c) => c.status)).toEqual([401, 202])
    // A leg is recorded after its answer came back, so MTN can hold the request a moment before its leg is written.
    const calls = await waitFor(async () => {
      const made = (await legs(p.reference)).filter((l) => l.kind === 'provider_call').map((l) => [l.operation, l.status_code])
      return made.length >= 3 ? made : undefined
    }, 'the three provider calls\' legs')
    expect(calls.slice(0, 3)).toEqual([['requesttopay', 401], ['collection-token', 200], ['requesttopay', 202]])
    await control('POST', `/_sim/requests/${p.channel?.reference_id ?? ''}/approve`)
    expect((await settled(p.reference)).status).toBe('SUCCESS')
  })

  it('MTN returning 500s then recovering: the same reference is sent again with back-off and the payment settles once', async () => {
    await control('POST', '/_sim/faults', { faults: [{ operation: 'requesttopay', kind: 'error', status: 500, times: 3 }, { operation: 'requesttopay-status', kind: 'error', status: 503, times: 2 }] })
    const p = await initialize(CUSTOMER.decides)
    await atMtn(p)
    const reference = p.channel?.reference_id ?? ''
    expect((await mtnCalls(reference)).filter((c) => c.operation === 'requesttopay').map((c) => c.status)).toEqual([500, 500, 500, 202])
    await control('POST', `/_sim/requests/${reference}/approve`)
    const done = await settled(p.reference)
    expect([done.status, done.credits.length]).toEqual(['SUCCESS', 1])
    expect((await control('GET', '/_sim/requests')).body.filter((r: { referenceId: string }) => r.referenceId === reference)).toHaveLength(1)
  })

  it('a refund of an overpayment\'s difference goes out through Disbursement; the whole amount back makes it REFUNDED only once MTN says so', async () => {
    const p = await initialize(CUSTOMER.decides)
    await atMtn(p)
    await control('POST', `/_sim/requests/${p.channel?.reference_id ?? ''}/approve`)
    await settled(p.reference)
    // The customer also paid 20.00 by SMS with the payment's code: overpaid.
    await call('POST', '/v1/test/sms', { network: 'mtn', amount: '20.00', reference: p.hpn_code, payer_phone: '0240000100' })
    const over = await payment(p.reference)
    expect([over.status, over.actual_amount, over.difference, over.payer_phone]).toEqual(['OVERPAID', '170.00', '20.00', '0240000100'])

    const asked = await raw('POST', `/v1/payments/${p.reference}/refund`, { amount: over.difference, note: 'overpaid by SMS' })
    expect(asked.status).toBe(202)
    expect(asked.body.data).toMatchObject({ status: 'OVERPAID', refunds: [{ amount: '20.00', status: 'PENDING', payee_phone: '0240000100' }] })
    const refund = asked.body.data.refunds[0] as Payment['refunds'][number]
    await waitFor(() => sim.state.find('disbursement', refund.reference_id), 'MTN to receive the transfer')
    expect(sim.state.find('disbursement', refund.reference_id)?.request).toMatchObject({ amount: '20', currency: 'GHS', party: { partyIdType: 'MSISDN', partyId: '233240000100' } })
    await control('POST', `/_sim/transfers/${refund.reference_id}/approve`)
    const part = await settled(p.reference, (x) => x.refunds[0]?.status === 'SUCCESSFUL')
    expect([part.status, part.actual_amount]).toEqual(['OVERPAID', '170.00'])

    // The rest back: pending until MTN confirms; then REFUNDED and transaction.refunded.
    const rest = await raw('POST', `/v1/payments/${p.reference}/refund`, { amount: '150.00' })
    expect(rest.status).toBe(202)
    expect((await payment(p.reference)).status).toBe('OVERPAID')
    expect(webhooks(p.reference).map((w) => w.event)).not.toContain('transaction.refunded')
    expect((await raw('POST', `/v1/payments/${p.reference}/refund`, { amount: '0.01' })).body.error.details[0]).toMatchObject({ field: 'amount' })
    const second = rest.body.data.refunds[1] as Payment['refunds'][number]
    await waitFor(() => sim.state.find('disbursement', second.reference_id), 'MTN to receive the second transfer')
    await control('POST', `/_sim/transfers/${second.reference_id}/approve`)
    expect((await settled(p.reference, (x) => x.status === 'REFUNDED')).refunds.map((r) => [r.amount, r.status])).toEqual([['20.00', 'SUCCESSFUL'], ['150.00', 'SUCCESSFUL']])
    await waitFor(() => webhooks(p.reference).find((w) => w.event === 'transaction.refunded'), 'the transaction.refunded webhook')
    expect((await legs(p.reference)).filter((l) => l.kind === 'provider_call').map((l) => l.operation)).toEqual(expect.arrayContaining(['disbursement-token', 'transfer', 'transfer-status']))

    // A payment that came in by SMS whose receipt names the payer (Telecel's does): paid back through
    // the merchant's MTN channel, to that number.
    const bySms = await call<Payment>('POST', '/v1/payments/initialize', { amount: '30.00' })
    await call('POST', '/v1/test/sms', { network: 'telecel', amount: '30.00', reference: bySms.hpn_code, payer_phone: '0240000300' })
    expect((await payment(bySms.reference)).payer_phone).toBe('0240000300')
    const back = await raw('POST', `/v1/payments/${bySms.reference}/refund`, { amount: '30.00' })
    expect(back.status).toBe(202)
    const smsRefund = back.body.data.refunds[0] as Payment['refunds'][number]
    expect(smsRefund).toMatchObject({ status: 'PENDING', payee_phone: '0240000300' })
    await waitFor(() => sim.state.find('disbursement', smsRefund.reference_id), 'MTN to receive the SMS payment\'s refund')
    await control('POST', `/_sim/transfers/${smsRefund.reference_id}/approve`)
    expect((await settled(bySms.reference, (x) => x.status === 'REFUNDED')).refunds.map((r) => r.status)).toEqual(['SUCCESSFUL'])
  })

  it('without amount a refund is only recorded, as before: REFUNDED at once, nothing sent', async () => {
    const p = await call<Payment>('POST', '/v1/payments/initialize', { amount: '10.00' })
    await call('POST', '/v1/test/sms', { network: 'mtn', amount: '10.00', reference: p.hpn_code })
    const transfers = sim.state.list('disbursement').length
    const recorded = await raw('POST', `/v1/payments/${p.reference}/refund`, { note: 'cash back at the till' })
    expect([recorded.status, recorded.body.data.status, recorded.body.data.refunds]).toEqual([200, 'REFUNDED', []])
    expect(sim.state.list('disbursement')).toHaveLength(transfers)
  })
})
