import { describe, expect, it } from 'vitest'
import { channelRigs, type ChannelRig } from '../test/helpers/channel-rig.js'
import { sql } from '../ledger/testing.js'
import { waitFor } from '../test/helpers/wait-for.js'
import type { ChannelTransactionRow } from '../ledger/channel-transactions.js'
import { settleSucceeded } from './settle.js'
import pino from 'pino'
import { receiveCallback, type ReceivedCallback } from './callbacks.js'

const rig = channelRigs()

async function collection (r: ChannelRig, paymentId: number): Promise<ChannelTransactionRow> {
  return (await r.ledger.channelTransactions.ofPayment(paymentId, 'collection'))[0] as ChannelTransactionRow
}

/** Waits until the provider holds the collection (the worker sent it and moved it to `check`). */
async function accepted (r: ChannelRig, paymentId: number): Promise<ChannelTransactionRow> {
  return await waitFor(async () => { const c = await collection(r, paymentId); return c.accepted_at !== null ? c : undefined }, 'the provider to hold the request', 20_000, 20)
}

async function events (r: ChannelRig, paymentId: number): Promise<string[]> {
  return (await r.ledger.events.ofPayment(paymentId)).map((e) => e.type)
}

describe('the outbox of provider calls (MTN simulator over HTTP, real ledger)', () => {
  it('sends the request to pay after the commit, checks until MTN decides, and settles SUCCESS through a credit with MTN\'s transaction id', async () => {
    const r = await rig()
    const p = await r.collect('46733123400')
    expect(p.status).toBe('PENDING')
    expect(p.channel_id).toBe('mtn-test')
    const c = await accepted(r, p.id)
    expect(c.reference_id).toBe(p.channel_reference)
    r.simClock.advance(3_000)
    const paid = await r.until(p.id, (x) => x.status !== 'PENDING', 'the payment to settle')
    const mtn = (await r.control('GET', `/_sim/requests/${c.reference_id}`)).body
    expect(paid).toMatchObject({ status: 'SUCCESS', actual_minor: 15_000, telco_provider: 'mtn', telco_transaction_id: mtn.financialTransactionId, payer_phone: '+46733123400' })
    const data = await r.ledger.paymentStatus.dataOf(paid)
    expect(data.credits).toEqual([expect.objectContaining({ telco_provider: 'mtn', telco_transaction_id: mtn.financialTransactionId, amount: '150.00', match_method: 'channel' })])
    expect(data.channel).toEqual({ id: 'mtn-test', type: 'mtn_momo', reference_id: c.reference_id })
    expect(await events(r, p.id)).toEqual(['transaction.completed'])
    expect(await collection(r, p.id)).toMatchObject({ phase: 'done', outcome: 'succeeded', provider_status: 'SUCCESSFUL', sends: 1 })
    // Every leg is in the audit log against the payment, the token call included, secrets redacted.
    const legs = await r.ledger.audit.ofPayment(p.id)
    expect(legs.map((l) => l.operation)).toEqual(expect.arrayContaining(['collection-token', 'requesttopay', 'requesttopay-status']))
    const text = JSON.stringify(legs)
    for (const secret of [r.sim.credentials.collection.api_key, r.sim.credentials.collection.subscription_key, ...r.sim.state.issuedTokens()]) expect(text).not.toContain(secret)
  })

  it('fails the payment with MTN\'s reason when the customer rejects, and when MTN refuses the request outright', async () => {
    const r = await rig()
    const rejected = await r.collect('46733123451')
    await accepted(r, rejected.id)
    r.simClock.advance(3_000)
    expect(await r.until(rejected.id, (x) => x.status !== 'PENDING', 'the rejection')).toMatchObject({ status: 'FAILED', failure_reason: 'APPROVAL_REJECTED', actual_minor: null })
    expect(await events(r, rejected.id)).toEqual(['transaction.failed'])

    const refused = await r.collect('46733123467')
    expect(await r.until(refused.id, (x) => x.status !== 'PENDING', 'the refusal')).toMatchObject({ status: 'FAILED', failure_reason: 'NOT_ENOUGH_FUNDS' })
    expect(await collection(r, refused.id)).toMatchObject({ phase: 'done', outcome: 'failed', provider_status: 'REFUSED', accepted_at: null })
  })

  it('sends again with the same reference after 500s and lost answers; MTN ends up with one request, the payment is paid once', async () => {
    const r = await rig()
    await r.control('POST', '/_sim/faults', { faults: [{ operation: 'requesttopay', kind: 'error', status: 500, times: 2 }, { operation: 'requesttopay', kind: 'error', status: 500, times: 1, processed: true }] })
    const p = await r.collect('46733123400')
    const c = await accepted(r, p.id)
    // Two plain 500s, one 500 after MTN had taken it (so the next send met 409: already held).
    expect(c).toMatchObject({ sends: 4, ambiguous: 1 })
    const log = (await r.control('GET', '/_sim/log')).body as Array<{ operation: string, referenceId: string, status: number }>
    expect(log.filter((e) => e.operation === 'requesttopay').map((e) => e.status)).toEqual([500, 500, 500, 409])
    expect((await r.control('GET', '/_sim/requests')).body).toHaveLength(1)
    r.simClock.advance(3_000)
    expect((await r.until(p.id, (x) => x.status !== 'PENDING', 'the payment')).status).toBe('SUCCESS')
    expect(await r.test.rows.value(sql`SELECT COUNT(*) FROM credits WHERE payment_id = ${p.id}`)).toBe(1)
  })

  it('expires a payment MTN has no word on at its expiry, keeps asking, and sends late money to review', async () => {
    const r = await rig()
    const p = await r.collect('46733123454', 15_000, 60)
    await accepted(r, p.id)
    r.skip(61_000)
    r.worker.wake()
    expect((await r.until(p.id, (x) => x.status !== 'PENDING', 'expiry')).status).toBe('EXPIRED')
    expect((await collection(r, p.id)).phase).toBe('check')
    // The customer approves after all: the money is not lost, and not silently accepted either.
    expect((await r.control('POST', `/_sim/requests/${p.channel_reference ?? ''}/approve`)).status).toBe(200)
    r.worker.wake()
    const late = await r.until(p.id, (x) => x.status === 'MANUAL_REVIEW', 'the late money')
    expect(late.actual_minor).toBe(15_000)
    expect(await events(r, p.id)).toEqual(['transaction.expired', 'transaction.disputed'])
  })

  it('gives up sending when the payment is cancelled, after asking MTN whether an unanswered send reached it', async () => {
    const r = await rig({}, { timeout_ms: 300, retry_schedule: [5] })
    // The first send hangs (never answered): ambiguous, and the retry waits 5 s.
    await r.control('POST', '/_sim/faults', { operation: 'requesttopay', kind: 'hang', times: 1 })
    const p = await r.collect('46733123400')
    await waitFor(async () => (await collection(r, p.id)).ambiguous === 1 ? true : undefined, 'the unanswered send')
    await r.ledger.payments.cancel({ merchantId: 'default', mode: 'test' }, p.reference)
    r.skip(5_000)
    r.worker.wake()
    // MTN never got it (404): nothing to follow.
    const c = await waitFor(async () => { const x = await collection(r, p.id); return x.phase === 'done' ? x : undefined }, 'the end of sending')
    expect(c).toMatchObject({ outcome: 'abandoned', accepted_at: null })
    expect((await r.control('GET', '/_sim/requests')).body).toHaveLength(0)
    expect((await r.payment(p.id)).status).toBe('CANCELLED')
  })

  it('pays money back through Disbursement: a part leaves the status alone, the whole amount makes it REFUNDED once MTN says so', async () => {
    const r = await rig()
    const p = await r.collect('46733123400')
    await accepted(r, p.id)
    r.simClock.advance(3_000)
    const paid = await r.until(p.id, (x) => x.status === 'SUCCESS', 'the payment')
    await r.refund(paid, 5_000)
    const part = await waitFor(async () => { const [x] = await r.ledger.channelTransactions.ofPayment(p.id, 'refund'); return x?.accepted_at !== null && x !== undefined ? x : undefined }, 'the refund to reach MTN')
    expect(part).toMatchObject({ party: '46733123400', amount_minor: 5_000 })
    r.simClock.advance(3_000)
    await waitFor(async () => (await r.ledger.channelTransactions.refundsOf(p.id))[0]?.status === 'SUCCESSFUL' ? true : undefined, 'the refund to succeed')
    expect((await r.payment(p.id)).status).toBe('SUCCESS')
    // More than is left is refused; the rest is fine.
    await expect(r.refund(paid, 10_001)).rejects.toThrow(/more than the EUR 100.00 that can still be refunded/)
    await r.refund(paid, 10_000)
    await waitFor(async () => (await r.ledger.channelTransactions.refundsOf(p.id))[1]?.reference_id !== undefined && (await r.ledger.channelTransactions.ofPayment(p.id, 'refund'))[1]?.accepted_at !== null ? true : undefined, 'the second refund to reach MTN')
    expect((await r.payment(p.id)).status).toBe('SUCCESS')
    r.simClock.advance(3_000)
    expect((await r.until(p.id, (x) => x.status === 'REFUNDED', 'the whole refund')).status).toBe('REFUNDED')
    expect(await events(r, p.id)).toEqual(['transaction.completed', 'transaction.refunded'])
    const data = await r.ledger.paymentStatus.dataOf(await r.payment(p.id))
    expect(data.refunds.map((x) => [x.amount, x.status])).toEqual([['50.00', 'SUCCESSFUL'], ['100.00', 'SUCCESSFUL']])
    // The same, its refund flag read with the row in one statement (the GET's read).
    const found = await r.ledger.payments.findWithCredits({ merchantId: 'default', mode: 'test' }, p.reference)
    expect(found?.attached.hasRefunds).toBe(true)
    expect(await r.ledger.paymentStatus.dataOf(found?.row ?? await r.payment(p.id), found?.attached)).toEqual(data)
  })
})

describe('callbacks', () => {
  it('find their transaction by our reference or the externalId MTN echoes, are recorded, and only bring the check forward', async () => {
    const r = await rig({}, { status_schedule: [3600] })
    const p = await r.collect('46733123454')
    const c = await accepted(r, p.id)
    expect(c.next_at).toBeGreaterThan(r.ledger.now() + 60_000)
    const deps = { ledger: r.ledger, logger: pino({ level: 'silent' }), wake: () => { r.worker.wake() } }
    const callback = (body: unknown, query: Record<string, string> = {}): ReceivedCallback => ({
      method: 'PUT', url: '/v1/channels/mtn-test/callback', headers: { 'content-type': 'application/json', authorization: 'Bearer secret' }, query, rawBody: JSON.stringify(body), remoteAddress: '203.0.113.9', startedAt: r.ledger.now()
    })
    expect(await receiveCallback(deps, r.channel, callback({ externalId: p.reference, status: 'SUCCESSFUL' }))).toEqual({ woke: true, forged: false })
    expect(await receiveCallback(deps, r.channel, callback({ status: 'SUCCESSFUL' }, { reference: '0f8fad5b-d9cb-469f-a165-70867728950e' }))).toEqual({ woke: false, forged: false })
    // The check it brought forward asks MTN, which says PENDING: nothing changes.
    await waitFor(async () => (await collection(r, p.id)).checks > c.checks ? true : undefined, 'the check the callback brought forward')
    expect((await r.payment(p.id)).status).toBe('PENDING')
    const legs = await r.ledger.audit.ofPayment(p.id)
    expect(legs.filter((l) => l.kind === 'callback').map((l) => [l.operation, l.requestHeaders])).toEqual([
      ['callback (collection)', { 'content-type': 'application/json', 'remote-address': '203.0.113.9' }]
    ])
    expect((await r.ledger.audit.strays('mtn-test', 10)).map((l) => l.operation)).toEqual(['callback (names no transaction we know)'])
  })
})

describe('settling from a provider verdict', () => {
  it('sends a different amount to review, and counts a telco transaction once whether MTN or the wallet SMS told of it first', async () => {
    const r = await rig()
    await r.worker.stop(0)
    const p = await r.collect('46733123400')
    const row = await collection(r, p.id)
    await r.ledger.transact(async (tx) => {
      await settleSucceeded(tx, r.channel, row, { state: 'succeeded', providerStatus: 'SUCCESSFUL', amountMinor: 14_000, currency: 'EUR', providerTransactionId: '1234567890', partyPhone: '+46733123400' }, r.ledger.now())
    })
    expect(await r.payment(p.id)).toMatchObject({ status: 'MANUAL_REVIEW', actual_minor: 14_000 })
    // The same MTN transaction again (a second verdict, or its SMS): a duplicate, no effect.
    await r.ledger.transact(async (tx) => {
      await settleSucceeded(tx, r.channel, row, { state: 'succeeded', providerStatus: 'SUCCESSFUL', amountMinor: 14_000, currency: 'EUR', providerTransactionId: '1234567890', partyPhone: null }, r.ledger.now())
    })
    expect((await r.payment(p.id)).actual_minor).toBe(14_000)
    expect(await r.test.rows.all(sql`SELECT status FROM credits WHERE telco_transaction_id = '1234567890' ORDER BY id`)).toEqual([{ status: 'matched' }, { status: 'duplicate' }])
  })
})
