import { describe, expect, it } from 'vitest'
import { ipayRigs, type IpayRig } from '../../test/helpers/ipay-rig.js'
import type { ProviderLeg, ProviderRequest } from '../channel.js'
import { IpayChannel } from './channel.js'

const rig = ipayRigs()

/** The channel over the rig's simulator (frozen clock, real HTTP), its legs kept. */
function channelOn (r: IpayRig, hashKey = 'demoCHANGED'): { channel: IpayChannel, legs: ProviderLeg[] } {
  const legs: ProviderLeg[] = []
  const channel = new IpayChannel({
    id: 'ipay-ke', mode: 'test', merchant: 'default', base_url: r.sim.baseUrl, ipn_url: r.sim.ipnUrl, vendor_id: 'demo', hash_key: hashKey,
    live: false, currency: 'KES', callback_url: r.receiver.url
  }, { timeoutMs: 2_000, onLeg: async (leg) => { legs.push(leg) } })
  return { channel, legs }
}

/** Opens the session as an initialize does, and gives the request the outbox would send. */
async function opened (channel: IpayChannel, phone: string, amountMinor = 15_000, method: 'mpesa' | 'airtel' = 'mpesa'): Promise<ProviderRequest> {
  const party = channel.providerPhone(phone) ?? ''
  const base = { referenceId: channel.newReference(), amountMinor, currency: 'KES', party, externalId: 'hpn_trx_1', payerMessage: '', payeeNote: '', method }
  const { session } = await channel.openSession(base)
  return { ...base, session, originalTransactionId: null }
}

describe('the ipay channel over the simulator', () => {
  it('takes Kenyan numbers only and names its references so the callback\'s id finds them', async () => {
    const { channel } = channelOn(await rig())
    expect([channel.displayPhone('+254 712 345 678'), channel.displayPhone('0112345678'), channel.displayPhone('0240000100')]).toEqual(['0712345678', '0112345678', null])
    expect(channel.providerPhone('0712345678')).toBe('254712345678')
    const ref = channel.newReference()
    expect(ref).toMatch(/^hpn[0-9a-f]{12}$/)
    expect(channel.callbackHint({ query: { id: ref, ivm: ref }, body: null })).toEqual({ referenceId: ref, externalId: null })
    expect(channel.callbackHint({ query: { id: 'x\' OR 1=1' }, body: null })).toBeNull()
  })

  it('opens a session with the paybill account, pushes it, and reads the verdict: paid with receipt, payer and network', async () => {
    const r = await rig()
    const { channel, legs } = channelOn(r)
    const request = await opened(channel, '0712345678', 15_000, 'airtel')
    expect(await channel.collect(request)).toBeUndefined()
    expect(await channel.collectionStatus(request.referenceId, request)).toEqual({ state: 'pending', providerStatus: 'pending' })
    await r.advance(5_000)
    expect(await channel.collectionStatus(request.referenceId, request)).toMatchObject({
      state: 'succeeded', providerStatus: 'paid', amountMinor: 15_000, currency: 'KES', providerTransactionId: expect.stringMatching(/^[A-Z0-9]{11}$/),
      partyPhone: '0712345678', partyName: 'JANE WANJIKU', network: 'airtel_ke', amountDifference: 'as_paid'
    })
    expect(legs.map((l) => l.operation)).toEqual(['transact', 'stk_push', 'status', 'search', 'status'])
    expect(JSON.stringify(legs)).not.toContain('demoCHANGED')
    await channel.close()
  })

  it('a failed prompt is FAILED with the reason only search knows; "used" goes to review', async () => {
    const r = await rig()
    const { channel } = channelOn(r)
    const wrongPin = await opened(channel, '0700000003')
    const timedOut = await opened(channel, '0700000005')
    const used = await opened(channel, '0700000008')
    for (const req of [wrongPin, timedOut, used]) await channel.collect(req)
    await r.advance(60_000)
    expect(await channel.collectionStatus(wrongPin.referenceId, wrongPin)).toEqual({ state: 'failed', providerStatus: 'wrong_pin', reason: 'WRONG_PIN' })
    expect(await channel.collectionStatus(timedOut.referenceId, timedOut)).toEqual({ state: 'failed', providerStatus: 'timed_out', reason: 'TIMED_OUT' })
    expect(await channel.collectionStatus(used.referenceId, used)).toMatchObject({ state: 'succeeded', providerStatus: 'used', review: 'receipt_used' })
    await channel.close()
  })

  it('a push whose answer was lost is never repeated: it counts as held, and the status reads decide', async () => {
    const r = await rig()
    const { channel } = channelOn(r)
    const request = await opened(channel, '0712345678')
    await r.control('POST', '/_sim/faults', { endpoint: 'push', mode: 'lose_answer', count: 1 })
    expect(await channel.collect(request)).toEqual({ state: 'pending', providerStatus: 'PUSH_UNCONFIRMED' })
    expect(r.sim.state.transactions.get(request.session?.['sid'] ?? '')?.pushes).toBe(1)
    // A push resent for a session already paid (after a crash): iPay refuses it, the status says paid.
    await r.advance(5_000)
    expect(await channel.collect(request)).toMatchObject({ state: 'succeeded', providerStatus: 'paid' })
    await channel.close()
  })

  it('a wrong hash key is the operator\'s to fix: retried, never a failed payment; no session, no push', async () => {
    const r = await rig()
    const { channel } = channelOn(r, 'not-the-key')
    await expect(opened(channel, '0712345678')).rejects.toMatchObject({ disposition: 'retry', operatorProblem: true })
    const good = channelOn(r).channel
    const request = await opened(good, '0712345678')
    expect(await channel.collect(request).catch((e: unknown) => e)).toMatchObject({ disposition: 'retry', operatorProblem: true })
    expect(await channel.collect({ ...request, session: null }).catch((e: unknown) => e)).toMatchObject({ disposition: 'declined', reason: 'NO_SESSION' })
    await channel.close()
    await good.close()
  })

  it('callbacks: the IPN confirms a genuine one and contradicts a forged one', async () => {
    const r = await rig()
    const { channel } = channelOn(r)
    const request = await opened(channel, '0700000002')
    await channel.collect(request)
    const sid = request.session?.['sid'] ?? ''
    await r.control('POST', `/_sim/transactions/${sid}/forge`, { status: 'paid', tokens: 'real' })
    const forged = r.callbacks().at(-1) ?? {}
    expect(await channel.verifyCallback({ query: forged, body: null })).toMatchObject({ verdict: 'forged', detail: expect.stringContaining('IPN answered "bdi6p2yy76etrs"') })
    expect(await channel.verifyCallback({ query: { status: 'aei7p7yrx4ae34', id: request.referenceId }, body: null })).toMatchObject({ verdict: 'forged' })
    const paying = await opened(channel, '0712345678')
    await channel.collect(paying)
    await r.advance(5_000)
    expect(await channel.verifyCallback({ query: r.callbacks().at(-1) ?? {}, body: null })).toMatchObject({ verdict: 'confirmed' })
    await r.control('POST', '/_sim/faults', { endpoint: 'ipn', mode: 'error_500', count: 1 })
    expect(await channel.verifyCallback({ query: r.callbacks().at(-1) ?? {}, body: null })).toMatchObject({ verdict: 'unverifiable' })
    await channel.close()
  })

  it('refunds: iPay answers at once; a refusal is final; a lost answer is never repeated', async () => {
    const r = await rig()
    const { channel } = channelOn(r)
    const request = await opened(channel, '0712345678')
    await channel.collect(request)
    await r.advance(5_000)
    const paid = await channel.collectionStatus(request.referenceId, request)
    const code = paid.state === 'succeeded' ? paid.providerTransactionId : null
    const refund = (amountMinor: number): ProviderRequest => ({ ...request, referenceId: channel.newReference(), amountMinor, session: null, originalTransactionId: code })
    expect(await channel.refund(refund(5_000))).toMatchObject({ state: 'succeeded', amountMinor: 5_000, providerStatus: 'Refund done' })
    expect(await channel.refund(refund(20_000))).toMatchObject({ state: 'failed', reason: 'REFUND_REFUSED_400' })
    await r.control('POST', '/_sim/faults', { endpoint: 'refund', mode: 'lose_answer', count: 1 })
    expect(await channel.refund(refund(1_000))).toEqual({ state: 'pending', providerStatus: 'REFUND_UNCONFIRMED' })
    expect(await channel.refundStatus()).toEqual({ state: 'pending', providerStatus: 'REFUND_UNCONFIRMED' })
    expect(await channel.refund({ ...refund(1_000), originalTransactionId: null }).catch((e: unknown) => e)).toMatchObject({ disposition: 'declined', reason: 'NO_RECEIPT' })
    await channel.close()
  })
})
