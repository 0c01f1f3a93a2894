import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { mtnRigs, rtp } from '../../test/helpers/mtn-sim.js'
import type { TransferInput } from './client.js'
import { MtnError } from './errors.js'
import { REDACTED } from './legs.js'

const rig = mtnRigs()

/** Awaits a promise that must reject with an MtnError and returns the error. */
async function mtnFailure (p: Promise<unknown>): Promise<MtnError> {
  const err = await p.then(() => null, (e: unknown) => e)
  expect(err).toBeInstanceOf(MtnError)
  return err as MtnError
}

describe('MTN client: tokens', () => {
  it('mints ONE token for twenty concurrent calls on a cold cache, then reuses it', async () => {
    const { client, received, legs } = await rig()
    const accepted = await Promise.all(Array.from({ length: 20 }, async () => await client.requestToPay(rtp())))
    expect(accepted.every((a) => !a.alreadyExisted)).toBe(true)
    await client.requestToPayStatus(accepted[0]?.referenceId ?? '')
    expect(await received('token')).toHaveLength(1)
    expect(await received('requesttopay')).toHaveLength(20)
    expect(legs.filter((l) => l.operation === 'token')).toHaveLength(1)
  })

  it('renews the token before it expires (MTN: ten minutes ahead), so no call meets a 401', async () => {
    const { client, clock, received } = await rig()
    await client.requestToPay(rtp())
    clock.advance(49 * 60_000)
    await client.requestToPay(rtp())
    expect(await received('token')).toHaveLength(1)
    clock.advance(2 * 60_000) // 51 minutes: inside the last ten
    await Promise.all([client.requestToPay(rtp()), client.requestToPay(rtp()), client.requestToPay(rtp())])
    expect(await received('token')).toHaveLength(2)
    expect((await received()).filter((e) => e.status === 401)).toEqual([])
  })

  it('a token MTN stops honouring mid-run: twenty calls meet 401, ONE renewal, each call repeated once', async () => {
    const { client, control, received } = await rig()
    const refs = await Promise.all(Array.from({ length: 20 }, async () => (await client.requestToPay(rtp())).referenceId))
    expect((await control('POST', '/_sim/tokens/expire')).body).toEqual({ expired: 1 })
    const states = await Promise.all(refs.map(async (r) => await client.requestToPayStatus(r)))
    expect(states.every((s) => s.status === 'PENDING')).toBe(true)
    const reads = await received('requesttopay-status')
    expect(reads.filter((e) => e.status === 401)).toHaveLength(20)
    expect(reads.filter((e) => e.status === 200)).toHaveLength(20)
    expect(await received('token')).toHaveLength(2)
  })

  it('a token that expires mid-run on the same clock is renewed before use', async () => {
    const { client, clock, received } = await rig({ settings: { tokenLifetimeSeconds: 600 } })
    const first = await client.requestToPay(rtp())
    clock.advance(601_000)
    expect((await client.requestToPayStatus(first.referenceId)).status).toBe('SUCCESSFUL')
    expect(await received('token')).toHaveLength(2)
    expect((await received()).some((e) => e.status === 401)).toBe(false)
  })

  it('a 401 a fresh token does not cure: exactly one renewal and one repeat, then a typed, final error', async () => {
    const { client, control, received } = await rig()
    await client.requestToPay(rtp())
    await control('POST', '/_sim/faults', { operation: 'requesttopay', kind: 'error', status: 401, times: 2, body: { statusCode: 401, message: 'Access denied due to invalid subscription key.' } })
    const err = await mtnFailure(client.requestToPay(rtp()))
    expect(err).toMatchObject({ kind: 'unauthorized', httpStatus: 401, retryable: false, operation: 'requesttopay' })
    expect((await received('requesttopay')).map((e) => e.status)).toEqual([202, 401, 401])
    expect(await received('token')).toHaveLength(2)
  })

  it('wrong API key: the token call fails typed and final (401), or retryable when MTN answers 500', async () => {
    const { sim, newClient } = await rig()
    const wrong = { collection: { ...sim.credentials.collection, api_key: 'f'.repeat(32) } }
    const err = await mtnFailure(newClient(wrong).requestToPay(rtp()))
    expect(err).toMatchObject({ kind: 'unauthorized', operation: 'token', retryable: false, mtnCode: 'login_failed' })
    sim.state.settings = { ...sim.state.settings, badCredentialsStatus: 500 }
    const err500 = await mtnFailure(newClient(wrong).requestToPay(rtp()))
    expect(err500).toMatchObject({ kind: 'server_error', operation: 'token', retryable: true, ambiguous: false })
  })

  it('a token endpoint outage does not stop calls while the cached token is still valid', async () => {
    const { client, clock, control, received } = await rig()
    await client.requestToPay(rtp())
    await control('POST', '/_sim/faults', { operation: 'token', kind: 'error', status: 503, times: 0 })
    clock.advance(55 * 60_000)
    expect(await client.requestToPay(rtp())).toMatchObject({ alreadyExisted: false })
    expect((await received('token')).map((e) => e.status)).toEqual([200, 503])
    clock.advance(6 * 60_000) // now past expiry: no token to fall back on
    const err = await mtnFailure(client.requestToPay(rtp()))
    expect(err).toMatchObject({ kind: 'server_error', operation: 'token', retryable: true })
    await control('DELETE', '/_sim/faults')
    expect(await client.requestToPay(rtp())).toMatchObject({ alreadyExisted: false })
  })
})

describe('MTN client: request to pay', () => {
  it('409 for a reference MTN already holds counts as accepted', async () => {
    const { client, sim } = await rig()
    const input = rtp()
    expect(await client.requestToPay(input)).toEqual({ referenceId: input.referenceId, alreadyExisted: false })
    expect(await client.requestToPay(input)).toEqual({ referenceId: input.referenceId, alreadyExisted: true })
    expect(sim.state.list('collection')).toHaveLength(1)
  })

  it('an answer lost after MTN created the request: timeout (ambiguous), then the same reference is accepted', async () => {
    const { client, control, sim } = await rig({}, { timeoutMs: 1_500 })
    await client.requestToPay(rtp())
    await control('POST', '/_sim/faults', { operation: 'requesttopay', kind: 'hang', processed: true })
    const input = rtp()
    const err = await mtnFailure(client.requestToPay(input))
    expect(err).toMatchObject({ kind: 'timeout', retryable: true, ambiguous: true })
    expect(await client.requestToPay(input)).toEqual({ referenceId: input.referenceId, alreadyExisted: true })
    expect(sim.state.list('collection').filter((t) => t.referenceId === input.referenceId)).toHaveLength(1)
  })

  it('500s then recovery: each 500 is retryable and ambiguous; the repeat goes through', async () => {
    const { client, control } = await rig()
    await control('POST', '/_sim/faults', { operation: 'requesttopay', kind: 'error', status: 500, times: 2 })
    const input = rtp()
    for (let i = 0; i < 2; i++) {
      expect(await mtnFailure(client.requestToPay(input))).toMatchObject({ kind: 'server_error', httpStatus: 500, mtnCode: 'INTERNAL_PROCESSING_ERROR', retryable: true, ambiguous: true })
    }
    expect(await client.requestToPay(input)).toEqual({ referenceId: input.referenceId, alreadyExisted: false })
    expect((await client.requestToPayStatus(input.referenceId)).status).toBe('PENDING')
  })

  it('503 SERVICE_UNAVAILABLE is an outage (retryable), not a decline', async () => {
    const { client, control } = await rig()
    await control('POST', '/_sim/faults', { operation: 'requesttopay', kind: 'error', status: 503 })
    expect(await mtnFailure(client.requestToPay(rtp()))).toMatchObject({ kind: 'server_error', mtnCode: 'SERVICE_UNAVAILABLE', retryable: true })
  })

  it('a hang hits the client timeout; a status read that timed out is retryable and not ambiguous', async () => {
    const { client, control } = await rig({}, { timeoutMs: 1_500 })
    const { referenceId } = await client.requestToPay(rtp())
    await control('POST', '/_sim/faults', { operation: 'requesttopay-status', kind: 'hang' })
    const err = await mtnFailure(client.requestToPayStatus(referenceId))
    expect(err).toMatchObject({ kind: 'timeout', retryable: true, ambiguous: false, operation: 'requesttopay-status' })
    expect((await client.requestToPayStatus(referenceId)).status).toBe('PENDING')
  })

  it('a connection cut without an answer is a retryable network error', async () => {
    const { client, control } = await rig()
    await control('POST', '/_sim/faults', { operation: 'requesttopay', kind: 'reset' })
    expect(await mtnFailure(client.requestToPay(rtp()))).toMatchObject({ kind: 'network', retryable: true, ambiguous: true })
  })

  it('MTN declining at request time (production insufficient funds: 500 NOT_ENOUGH_FUNDS) is final; nothing was created', async () => {
    const { client } = await rig()
    const input = rtp({ payer: { partyIdType: 'MSISDN', partyId: '46733123467' } })
    expect(await mtnFailure(client.requestToPay(input))).toMatchObject({ kind: 'declined', httpStatus: 500, mtnCode: 'NOT_ENOUGH_FUNDS', retryable: false, ambiguous: false })
    expect(await mtnFailure(client.requestToPayStatus(input.referenceId))).toMatchObject({ kind: 'not_found', httpStatus: 404, mtnCode: 'RESOURCE_NOT_FOUND', retryable: false })
  })

  it('refuses before calling MTN what MTN would answer 400, naming the field', async () => {
    const { client, legs } = await rig()
    const cases: Array<[Parameters<typeof rtp>[0], string]> = [
      [{ referenceId: 'not-a-uuid' }, 'referenceId'],
      [{ referenceId: '0f8fad5b-d9cb-169f-a165-70867728950e' }, 'referenceId'], // a UUID, but version 1
      [{ payerMessage: "Kofi's order" }, 'payerMessage'],
      [{ payeeNote: 'Salt & pepper' }, 'payeeNote'],
      [{ payeeNote: 'x'.repeat(161) }, 'payeeNote'],
      [{ amount: '1,000' }, 'amount'],
      [{ amount: '0' }, 'amount'],
      [{ payer: { partyIdType: 'MSISDN', partyId: '+233244123456' } }, 'payer.partyId']
    ]
    for (const [overrides, field] of cases) {
      const err = await mtnFailure(client.requestToPay(rtp(overrides)))
      expect(err.kind).toBe('invalid_request')
      expect(err.retryable).toBe(false)
      expect(err.details.map((d) => d.field)).toContain(field)
    }
    expect(legs).toEqual([])
  })

  it('404 for a reference MTN does not know', async () => {
    const { client } = await rig()
    expect(await mtnFailure(client.requestToPayStatus(randomUUID()))).toMatchObject({ kind: 'not_found', retryable: false })
  })

  it.each<[string, string, string | null, string]>([
    ['46733123400', 'SUCCESSFUL', null, 'an ordinary number approves'],
    ['46733123451', 'FAILED', 'APPROVAL_REJECTED', 'rejected'],
    ['46733123452', 'FAILED', 'EXPIRED', 'expired'],
    ['46733123465', 'FAILED', 'NOT_ENOUGH_FUNDS', 'insufficient funds'],
    ['46733123455', 'FAILED', 'PAYER_NOT_FOUND', 'payer not found'],
    ['46733123450', 'FAILED', 'INTERNAL_PROCESSING_ERROR', 'failed']
  ])('sandbox number %s ends %s %s (%s): PENDING first, final after the payer decides', async (partyId, status, reason) => {
    const { client, clock } = await rig()
    const input = rtp({ amount: '150.00', payer: { partyIdType: 'MSISDN', partyId } })
    await client.requestToPay(input)
    expect(await client.requestToPayStatus(input.referenceId)).toMatchObject({ status: 'PENDING', reason: null, financialTransactionId: null })
    clock.advance(3_000)
    const final = await client.requestToPayStatus(input.referenceId)
    expect(final).toMatchObject({ status, mtnStatus: status, reason, amount: '150', currency: 'EUR', externalId: 'pay_test_1', payer: { partyIdType: 'MSISDN', partyId } })
    if (status === 'SUCCESSFUL') expect(final.financialTransactionId).toMatch(/^\d{10}$/)
    else expect(final.financialTransactionId).toBeNull()
  })

  it('46733123453 (ongoing) stays PENDING for 30 s, then succeeds', async () => {
    const { client, clock } = await rig()
    const input = rtp({ payer: { partyIdType: 'MSISDN', partyId: '46733123453' } })
    await client.requestToPay(input)
    clock.advance(29_000)
    expect((await client.requestToPayStatus(input.referenceId)).status).toBe('PENDING')
    clock.advance(1_000)
    expect((await client.requestToPayStatus(input.referenceId)).status).toBe('SUCCESSFUL')
  })

  it('a payer who waits (46733123454): the operator approves or rejects, else the 5-minute window expires it', async () => {
    const { client, clock, control } = await rig()
    const waiting = { payer: { partyIdType: 'MSISDN' as const, partyId: '46733123454' } }
    const [a, r, e] = [rtp(waiting), rtp(waiting), rtp(waiting)]
    for (const input of [a, r, e]) await client.requestToPay(input)
    clock.advance(4 * 60_000)
    expect((await control('POST', `/_sim/requests/${a.referenceId}/approve`)).body).toMatchObject({ status: 'SUCCESSFUL', decidedBy: 'operator' })
    expect((await control('POST', `/_sim/requests/${r.referenceId}/reject`)).body).toMatchObject({ status: 'FAILED', reason: 'APPROVAL_REJECTED' })
    expect((await client.requestToPayStatus(e.referenceId)).status).toBe('PENDING')
    clock.advance(60_000)
    expect(await client.requestToPayStatus(a.referenceId)).toMatchObject({ status: 'SUCCESSFUL' })
    expect(await client.requestToPayStatus(r.referenceId)).toMatchObject({ status: 'FAILED', reason: 'APPROVAL_REJECTED' })
    expect(await client.requestToPayStatus(e.referenceId)).toMatchObject({ status: 'FAILED', reason: 'EXPIRED' })
    // A decision is made once.
    expect((await control('POST', `/_sim/requests/${e.referenceId}/approve`)).status).toBe(409)
  })

  it('currency per environment: sandbox takes EUR only, mtnghana GHS only', async () => {
    const sandbox = await rig()
    expect(await mtnFailure(sandbox.client.requestToPay(rtp({ currency: 'GHS' })))).toMatchObject({ kind: 'invalid_request', httpStatus: 400, mtnCode: 'INVALID_CURRENCY', retryable: false })
    const ghana = await rig({ environment: 'mtnghana' })
    const payer = { partyIdType: 'MSISDN' as const, partyId: '233244123456' }
    expect(await mtnFailure(ghana.client.requestToPay(rtp({ currency: 'EUR', payer })))).toMatchObject({ kind: 'invalid_request', mtnCode: 'INVALID_CURRENCY' })
    const input = rtp({ currency: 'GHS', amount: '25.50', payer })
    await ghana.client.requestToPay(input)
    ghana.clock.advance(3_000)
    expect(await ghana.client.requestToPayStatus(input.referenceId)).toMatchObject({ status: 'SUCCESSFUL', amount: '25.5', currency: 'GHS', payer })
    expect(await ghana.client.accountBalance('collection')).toEqual({ availableBalance: '25.5', currency: 'GHS' })
  })

  it('a client configured for another environment is declined: NOT_ALLOWED_TARGET_ENVIRONMENT', async () => {
    const { newClient } = await rig()
    expect(await mtnFailure(newClient({ target_environment: 'mtnuganda' }).requestToPay(rtp()))).toMatchObject({ kind: 'declined', mtnCode: 'NOT_ALLOWED_TARGET_ENVIRONMENT', retryable: false })
  })

  it('the account-holder check follows the sandbox table', async () => {
    const { client } = await rig()
    expect(await client.accountholderActive('collection', { partyIdType: 'MSISDN', partyId: '46733123400' })).toBe(true)
    expect(await client.accountholderActive('collection', { partyIdType: 'MSISDN', partyId: '46733123451' })).toBe(false)
    expect(await mtnFailure(client.accountholderActive('collection', { partyIdType: 'MSISDN', partyId: '46733123450' }))).toMatchObject({ kind: 'not_found' })
    expect(await client.accountholderActive('collection', { partyIdType: 'EMAIL', partyId: 'notactive@email.com' })).toBe(false)
  })
})

describe('MTN client: disbursement transfers', () => {
  const transfer = (partyId: string, amount = '40.00'): TransferInput => ({
    referenceId: randomUUID(), amount, currency: 'EUR', externalId: 'refund_1', payee: { partyIdType: 'MSISDN', partyId }, payerMessage: 'Refund', payeeNote: 'Order 1001'
  })

  it('a transfer succeeds: SUCCESSFUL with a transaction id, and the disbursement balance goes down', async () => {
    const { client, clock } = await rig({ balances: { disbursement: '100' } })
    const t = transfer('46733123400')
    expect(await client.transfer(t)).toEqual({ referenceId: t.referenceId, alreadyExisted: false })
    expect(await client.transfer(t)).toEqual({ referenceId: t.referenceId, alreadyExisted: true })
    expect((await client.transferStatus(t.referenceId)).status).toBe('PENDING')
    clock.advance(3_000)
    const state = await client.transferStatus(t.referenceId)
    expect(state).toMatchObject({ status: 'SUCCESSFUL', amount: '40', currency: 'EUR', externalId: 'refund_1', payee: { partyIdType: 'MSISDN', partyId: '46733123400' }, reason: null })
    expect(state.financialTransactionId).toMatch(/^\d{10}$/)
    expect(await client.accountBalance('disbursement')).toEqual({ availableBalance: '60', currency: 'EUR' })
  })

  it('a transfer fails: by the payee number, or for want of funds in the disbursement account', async () => {
    const { client, clock, received } = await rig({ balances: { disbursement: '100' } })
    const unknownPayee = transfer('46733123455')
    const tooMuch = transfer('46733123400', '100.01')
    await client.transfer(unknownPayee)
    await client.transfer(tooMuch)
    clock.advance(3_000)
    expect(await client.transferStatus(unknownPayee.referenceId)).toMatchObject({ status: 'FAILED', reason: 'PAYER_NOT_FOUND', financialTransactionId: null })
    expect(await client.transferStatus(tooMuch.referenceId)).toMatchObject({ status: 'FAILED', reason: 'NOT_ENOUGH_FUNDS' })
    expect(await client.accountBalance('disbursement')).toEqual({ availableBalance: '100', currency: 'EUR' })
    // Disbursement has its own subscription key and token.
    expect((await received('token')).length).toBe(1)
  })

  it('the two products keep separate tokens; a product without credentials fails typed', async () => {
    const { client, newClient, received } = await rig()
    await client.requestToPay(rtp())
    await client.transfer(transfer('46733123400'))
    expect(await received('token')).toHaveLength(2)
    const collectionOnly = newClient({ disbursement: undefined })
    expect(collectionOnly.has('disbursement')).toBe(false)
    expect(await mtnFailure(collectionOnly.transfer(transfer('46733123400')))).toMatchObject({ kind: 'not_configured', retryable: false })
  })
})

describe('MTN client: legs for the audit log', () => {
  it('reports every exchange with method, URL, status, duration and bodies, and no secret anywhere', async () => {
    const { client, sim, legs, control, clock } = await rig({}, { timeoutMs: 1_500 })
    const input = rtp({ callbackUrl: 'http://127.0.0.1:9/callback' })
    await client.requestToPay(input)
    await client.transfer({ ...rtp(), payee: input.payer })
    await control('POST', '/_sim/tokens/expire')
    await client.requestToPayStatus(input.referenceId) // 401, token, 200
    await control('POST', '/_sim/faults', { operation: 'requesttopay-status', kind: 'hang' })
    await client.requestToPayStatus(input.referenceId).catch(() => undefined) // timeout
    clock.advance(3_000)
    await client.requestToPayStatus(input.referenceId)
    await client.accountBalance('collection')

    expect(legs.map((l) => [l.operation, l.statusCode])).toEqual([
      ['token', 200], ['requesttopay', 202], ['token', 200], ['transfer', 202],
      ['requesttopay-status', 401], ['token', 200], ['requesttopay-status', 200],
      ['requesttopay-status', null], ['requesttopay-status', 200], ['account-balance', 200]
    ])
    const created = legs[1]
    expect(created).toMatchObject({
      product: 'collection', method: 'POST', url: `${sim.url}/collection/v1_0/requesttopay`, referenceId: input.referenceId, error: null, responseBody: ''
    })
    expect(created?.requestHeaders).toMatchObject({ Authorization: REDACTED, 'Ocp-Apim-Subscription-Key': REDACTED, 'X-Reference-Id': input.referenceId, 'X-Target-Environment': 'sandbox', 'X-Callback-Url': input.callbackUrl })
    expect(JSON.parse(created?.requestBody ?? '')).toMatchObject({ amount: '150.00', payer: input.payer })
    expect(JSON.parse(legs[0]?.responseBody ?? '')).toEqual({ access_token: REDACTED, token_type: 'access_token', expires_in: 3600 })
    expect(legs[7]).toMatchObject({ statusCode: null, responseBody: null })
    expect(legs[7]?.error).toMatch(/no answer within 1500 ms/)
    expect(JSON.parse(legs[8]?.responseBody ?? '')).toMatchObject({ status: 'SUCCESSFUL' })
    for (const leg of legs) expect(leg.durationMs).toBeGreaterThanOrEqual(0)

    const text = JSON.stringify(legs)
    const secrets = [
      ...sim.state.issuedTokens(),
      ...Object.values(sim.credentials).flatMap((c) => [c.subscription_key, c.api_key, Buffer.from(`${c.api_user}:${c.api_key}`).toString('base64')])
    ]
    expect(secrets.length).toBeGreaterThanOrEqual(3 + 6)
    for (const secret of secrets) expect(text).not.toContain(secret)
    expect(text).not.toMatch(/Bearer|Basic /)
  })
})
