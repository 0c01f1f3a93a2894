import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { ChannelCallError } from '../channel.js'
import { MtnMomoChannel, type MtnChannelSettings } from './channel.js'
import { SimClock, startMtnSimulator, type MtnSimulator } from './simulator.js'
import { simControl } from '../../test/helpers/mtn-sim.js'

const closers: Array<() => Promise<void>> = []
afterEach(async () => { while (closers.length > 0) await closers.pop()?.() })

async function channelOn (environment: string, settings: Partial<MtnChannelSettings> = {}): Promise<{ channel: MtnMomoChannel, sim: MtnSimulator }> {
  const sim = await startMtnSimulator({ environment, clock: new SimClock({ manual: true }) })
  closers.push(async () => { await sim.close() })
  const channel = new MtnMomoChannel({
    id: 'mtn', mode: 'test', merchant: 'default', base_url: sim.url, target_environment: environment, currency: sim.currency,
    country: environment === 'sandbox' ? null : 'GH', collection: sim.credentials.collection, callback_url: null, ...settings
  }, { timeoutMs: 2_000, onLeg: async () => {} })
  closers.push(async () => { await channel.close() })
  return { channel, sim }
}

const request = (party: string, currency = 'GHS'): Parameters<MtnMomoChannel['collect']>[0] => ({
  referenceId: randomUUID(), amountMinor: 15_000, currency, party, externalId: 'hpn_trx_1', payerMessage: 'Order 1\'s & more', payeeNote: 'Shop', originalTransactionId: null, method: null, session: null
})

describe('the mtn_momo channel', () => {
  it('reads numbers of its country (or any international number in the sandbox) and gives MTN the international form', async () => {
    const { channel: gh } = await channelOn('mtnghana')
    expect(gh.displayPhone('+233 24 412 3456')).toBe('0244123456')
    expect(gh.providerPhone('0244123456')).toBe('233244123456')
    expect(gh.displayPhone('+256772123456')).toBeNull()
    const { channel: sandbox } = await channelOn('sandbox')
    expect(sandbox.displayPhone('46733123450')).toBe('+46733123450')
    expect(sandbox.providerPhone('+46733123450')).toBe('46733123450')
    expect(sandbox.canRefund).toBe(false)
  })

  it('takes the reference from the callback URL it gave MTN, else the body\'s referenceId or externalId; a hint only', async () => {
    const { channel } = await channelOn('mtnghana', { callback_url: 'https://pay.example.com/v1/channels/mtn/callback?shop=1' })
    const ref = randomUUID()
    const url = new URL(channel.callbackUrlFor(ref) ?? '')
    expect([url.host, url.searchParams.get('shop'), url.searchParams.get('reference')]).toEqual(['pay.example.com', '1', ref])
    expect(channel.callbackHint({ query: { reference: ref }, body: { status: 'SUCCESSFUL' } })).toEqual({ referenceId: ref, externalId: null })
    expect(channel.callbackHint({ query: {}, body: { referenceId: ref.toUpperCase(), externalId: 'hpn_trx_1' } })).toEqual({ referenceId: ref, externalId: 'hpn_trx_1' })
    expect(channel.callbackHint({ query: { reference: 'not-a-uuid' }, body: 'text' })).toBeNull()
    const { channel: polling } = await channelOn('mtnghana')
    expect([polling.callbacks, polling.callbackUrlFor(ref)]).toEqual([false, null])
  })

  it('says what is safe after each failure: declined (nothing created), retry, retry-and-ambiguous, a 409 is accepted, 404 unknown', async () => {
    const { channel, sim } = await channelOn('mtnghana')
    const control = simControl(sim.url)
    await control('PUT', '/_sim/numbers/233240000467', { outcome: 'fail', reason: 'NOT_ENOUGH_FUNDS', refuse: { status: 500, code: 'NOT_ENOUGH_FUNDS' } })
    const refused = await channel.collect(request('233240000467')).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(ChannelCallError)
    expect(refused).toMatchObject({ disposition: 'declined', reason: 'NOT_ENOUGH_FUNDS', ambiguous: false })
    expect(await channel.collect(request('233240000100', 'EUR')).catch((e: unknown) => e)).toMatchObject({ disposition: 'declined', reason: 'INVALID_CURRENCY' })

    const r = request('233240000100')
    await control('POST', '/_sim/faults', { operation: 'requesttopay', kind: 'error', status: 500, processed: true })
    expect(await channel.collect(r).catch((e: unknown) => e)).toMatchObject({ disposition: 'retry', ambiguous: true })
    await channel.collect(r) // MTN holds it already: 409, accepted
    expect(await channel.collectionStatus(r.referenceId)).toEqual({ state: 'pending', providerStatus: 'PENDING' })
    // The notes reached MTN without the characters it refuses.
    expect(sim.state.find('collection', r.referenceId)?.request.payerMessage).toBe('Order 1s more')
    expect(await channel.collectionStatus(randomUUID())).toEqual({ state: 'unknown' })
    await control('POST', `/_sim/requests/${r.referenceId}/approve`)
    expect(await channel.collectionStatus(r.referenceId)).toMatchObject({ state: 'succeeded', amountMinor: 15_000, currency: 'GHS', partyPhone: '0240000100' })
    // Refunds need disbursement credentials: a configuration problem, retried until an operator fixes it.
    expect(await channel.refund(request('233240000100')).catch((e: unknown) => e)).toMatchObject({ disposition: 'retry', operatorProblem: true })
  })
})
