import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { mtnRigs, rtp, type MtnRig } from '../../test/helpers/mtn-sim.js'
import { waitFor } from '../../test/helpers/wait-for.js'
import { startReceiver, type Receiver } from '../../test/webhooks/receiver.js'
import { mtnRetryDelayMs } from './sim/callbacks.js'
import { SimClock } from './sim/clock.js'
import { isUuidV4 } from './wire.js'

const rig = mtnRigs()
const receivers: Receiver[] = []
afterEach(async () => { for (const r of receivers.splice(0)) await r.close() })

async function receiver (handler?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(handler)
  receivers.push(r)
  return r
}

interface Raw { status: number, text: string, json: any }

/** A raw MTN call as any integrator's code would make it, with the collection credentials unless told otherwise. */
function raw (r: MtnRig) {
  const c = r.sim.credentials.collection
  const basic = (user: string, key: string): string => `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}`
  const call = async (method: string, path: string, init: { headers?: Record<string, string>, body?: string } = {}): Promise<Raw> => {
    const res = await fetch(`${r.sim.url}${path}`, { method, headers: init.headers, body: init.body })
    const text = await res.text()
    let json: unknown = null
    try { json = JSON.parse(text) } catch { /* empty or text */ }
    return { status: res.status, text, json }
  }
  const token = async (): Promise<string> => (await call('POST', '/collection/token/', { headers: { authorization: basic(c.api_user, c.api_key), 'ocp-apim-subscription-key': c.subscription_key } })).json.access_token as string
  const authed = async (extra: Record<string, string> = {}): Promise<Record<string, string>> => ({
    authorization: `Bearer ${await token()}`, 'ocp-apim-subscription-key': c.subscription_key, 'x-target-environment': r.sim.environment, ...extra
  })
  const body = (o: Record<string, unknown> = {}): string => JSON.stringify({ amount: '5.0', currency: 'EUR', externalId: '6353636', payer: { partyIdType: 'MSISDN', partyId: '46733123454' }, payerMessage: 'Pay for product a', payeeNote: 'payer note', ...o })
  return { call, basic, token, authed, body, c }
}

describe('MTN simulator: sandbox provisioning', () => {
  it('creates an API user (201, empty), shows it, gives it a 32-hex key that mints tokens; a new key retires the old key and its tokens', async () => {
    const r = await rig()
    const { call, basic, c } = raw(r)
    const id = randomUUID()
    const sub = { 'ocp-apim-subscription-key': c.subscription_key }
    const created = await call('POST', '/v1_0/apiuser', { headers: { ...sub, 'x-reference-id': id, 'content-type': 'application/json' }, body: JSON.stringify({ providerCallbackHost: 'clinic.com' }) })
    expect([created.status, created.text]).toEqual([201, ''])
    expect((await call('POST', '/v1_0/apiuser', { headers: { ...sub, 'x-reference-id': id }, body: JSON.stringify({ providerCallbackHost: 'clinic.com' }) })).json).toEqual({ code: 'RESOURCE_ALREADY_EXIST', message: 'Duplicated reference id. Creation of resource failed.' })
    expect((await call('POST', '/v1_0/apiuser', { headers: { ...sub, 'x-reference-id': 'abc' }, body: '{"providerCallbackHost":"x.com"}' })).status).toBe(400)
    expect((await call('POST', '/v1_0/apiuser', { headers: { 'ocp-apim-subscription-key': 'nope', 'x-reference-id': randomUUID() }, body: '{"providerCallbackHost":"x.com"}' })).status).toBe(401)
    expect(await call('GET', `/v1_0/apiuser/${id}`, { headers: sub })).toMatchObject({ status: 200, json: { providerCallbackHost: 'clinic.com', targetEnvironment: 'sandbox' } })
    expect((await call('GET', `/v1_0/apiuser/${randomUUID()}`, { headers: sub })).status).toBe(404)

    const key1 = await call('POST', `/v1_0/apiuser/${id}/apikey`, { headers: sub })
    expect(key1.status).toBe(201)
    expect(key1.json.apiKey).toMatch(/^[0-9a-f]{32}$/)
    const mint = async (key: string): Promise<Raw> => await call('POST', '/collection/token/', { headers: { ...sub, authorization: basic(id, key) } })
    const t1 = await mint(key1.json.apiKey as string)
    expect(t1.status).toBe(200)
    expect(t1.json).toMatchObject({ token_type: 'access_token', expires_in: 3600 })
    expect(t1.json.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    const useToken = async (t: string): Promise<number> => (await call('GET', `/collection/v1_0/requesttopay/${randomUUID()}`, { headers: { ...sub, authorization: `Bearer ${t}`, 'x-target-environment': 'sandbox' } })).status
    expect(await useToken(t1.json.access_token as string)).toBe(404)

    const key2 = await call('POST', `/v1_0/apiuser/${id}/apikey`, { headers: sub })
    expect(await useToken(t1.json.access_token as string)).toBe(401)
    expect((await mint(key1.json.apiKey as string)).status).toBe(401)
    expect((await mint(key2.json.apiKey as string)).status).toBe(200)
    // Not the disbursement product: the user was made with the collection key.
    const d = r.sim.credentials.disbursement
    expect((await call('POST', '/disbursement/token/', { headers: { 'ocp-apim-subscription-key': d.subscription_key, authorization: basic(id, key2.json.apiKey as string) } })).status).toBe(401)
  })
})

describe('MTN simulator: tokens', () => {
  it('401 for a wrong subscription key, wrong credentials, a token of the other product, and an expired token', async () => {
    const r = await rig()
    const { call, basic, c, authed } = raw(r)
    expect(await call('POST', '/collection/token/', { headers: { authorization: basic(c.api_user, c.api_key), 'ocp-apim-subscription-key': r.sim.credentials.disbursement.subscription_key } })).toMatchObject({ status: 401, json: { statusCode: 401 } })
    expect(await call('POST', '/collection/token/', { headers: { authorization: basic(c.api_user, 'x'.repeat(32)), 'ocp-apim-subscription-key': c.subscription_key } })).toMatchObject({ status: 401, json: { error: 'login_failed' } })
    const headers = await authed()
    const status = `/collection/v1_0/requesttopay/${randomUUID()}`
    expect((await call('GET', status, { headers })).status).toBe(404)
    const d = r.sim.credentials.disbursement
    expect((await call('GET', `/disbursement/v1_0/transfer/${randomUUID()}`, { headers: { ...headers, 'ocp-apim-subscription-key': d.subscription_key } })).status).toBe(401)
    r.clock.advance(3_600_000)
    expect(await call('GET', status, { headers })).toMatchObject({ status: 401, json: { statusCode: 401, message: 'Unauthorized. Access token is missing or invalid.' } })
  })

  it('accepts a token request with or without a body; strict mode 400s on a body, as MTN\'s error page says', async () => {
    const r = await rig()
    const { call, basic, c } = raw(r)
    const headers = { authorization: basic(c.api_user, c.api_key), 'ocp-apim-subscription-key': c.subscription_key }
    expect((await call('POST', '/collection/token/', { headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' })).status).toBe(200)
    expect((await call('POST', '/collection/token', { headers: { ...headers, 'content-type': 'application/json' }, body: '' })).status).toBe(200)
    await r.control('PATCH', '/_sim/settings', { strict: true })
    expect((await call('POST', '/collection/token/', { headers: { ...headers, 'content-type': 'application/json' }, body: '{"grant_type":"client_credentials","scope":""}' })).status).toBe(400)
    expect((await call('POST', '/collection/token/', { headers })).status).toBe(200)
  })
})

describe('MTN simulator: request to pay', () => {
  it('202 with an empty body; GET echoes the amount normalised, without a transaction id while PENDING', async () => {
    const r = await rig()
    const { call, authed, body } = raw(r)
    const ref = randomUUID()
    const res = await call('POST', '/collection/v1_0/requesttopay', { headers: await authed({ 'x-reference-id': ref, 'content-type': 'application/json' }), body: body() })
    expect([res.status, res.text]).toEqual([202, ''])
    expect(await call('GET', `/collection/v1_0/requesttopay/${ref.toUpperCase()}`, { headers: await authed() })).toMatchObject({
      status: 200,
      json: { externalId: '6353636', amount: '5', currency: 'EUR', payer: { partyIdType: 'MSISDN', partyId: '46733123454' }, payerMessage: 'Pay for product a', payeeNote: 'payer note', status: 'PENDING' }
    })
  })

  it('refuses what MTN refuses, and creates nothing (a later GET is 404)', async () => {
    const r = await rig()
    const { call, authed, body } = raw(r)
    const post = async (headers: Record<string, string>, b = body()): Promise<Raw & { ref: string }> => {
      const ref = headers['x-reference-id'] ?? randomUUID()
      const res = await call('POST', '/collection/v1_0/requesttopay', { headers: await authed({ 'x-reference-id': ref, ...headers }), body: b })
      return { ...res, ref }
    }
    const expectRefused = async (res: Raw & { ref: string }, status: number, code: string): Promise<void> => {
      expect([res.status, res.json?.code]).toEqual([status, code])
      if (isUuidV4(res.ref)) expect((await call('GET', `/collection/v1_0/requesttopay/${res.ref}`, { headers: await authed() })).status).toBe(404)
    }
    await expectRefused(await post({ 'x-reference-id': 'b7c4e2a1' }), 400, 'BAD_REQUEST')
    await expectRefused(await post({ 'x-reference-id': '0f8fad5b-d9cb-169f-a165-70867728950e' }), 400, 'BAD_REQUEST')
    await expectRefused(await post({}, body({ payeeNote: 'Salt & pepper' })), 400, 'BAD_REQUEST')
    await expectRefused(await post({}, body({ payerMessage: "Kofi's" })), 400, 'BAD_REQUEST')
    await expectRefused(await post({}, body({ payerMessage: 'x'.repeat(161) })), 400, 'BAD_REQUEST')
    await expectRefused(await post({}, body({ currency: 'GHS' })), 400, 'INVALID_CURRENCY')
    await expectRefused(await post({}, body({ amount: '-5' })), 400, 'BAD_REQUEST')
    await expectRefused(await post({}, body({ payer: { partyIdType: 'PHONE', partyId: '46733123454' } })), 400, 'BAD_REQUEST')
    await expectRefused(await post({}, '{not json'), 400, 'BAD_REQUEST')
    await expectRefused(await post({ 'x-callback-url': '' }), 400, 'BAD_REQUEST')
    await expectRefused(await post({ 'X-Callback-URL': 'https://evil.example/cb' }), 500, 'INVALID_CALLBACK_URL_HOST')
    await expectRefused(await post({ 'x-target-environment': 'mtnghana' }), 500, 'NOT_ALLOWED_TARGET_ENVIRONMENT')
    await expectRefused(await post({ 'x-target-environment': '' }), 400, 'BAD_REQUEST')
    const first = await post({})
    expect(first.status).toBe(202)
    expect((await post({ 'x-reference-id': first.ref })).json).toEqual({ code: 'RESOURCE_ALREADY_EXIST', message: 'Duplicated reference id. Creation of resource failed.' })
    expect(await call('GET', `/collection/v1_0/requesttopay/${randomUUID()}`, { headers: await authed() })).toMatchObject({ status: 404, json: { code: 'RESOURCE_NOT_FOUND', message: 'Requested resource was not found.' } })
    expect((await call('GET', '/collection/v1_0/requesttopay/not-a-uuid', { headers: await authed() })).status).toBe(400)
  })

  it('lenient by default about a numeric amount and empty notes; strict mode refuses them as production does', async () => {
    const r = await rig()
    const { call, authed, body } = raw(r)
    const post = async (b: string): Promise<number> => (await call('POST', '/collection/v1_0/requesttopay', { headers: await authed({ 'x-reference-id': randomUUID() }), body: b })).status
    expect(await post(body({ amount: 5 }))).toBe(202)
    expect(await post(body({ payerMessage: '', payeeNote: '' }))).toBe(202)
    await r.control('PATCH', '/_sim/settings', { strict: true })
    expect(await post(body({ amount: 5 }))).toBe(400)
    expect(await post(body({ payerMessage: '', payeeNote: '' }))).toBe(500)
  })

  it('a request belongs to the API user that made it', async () => {
    const r = await rig()
    const input = rtp()
    await r.client.requestToPay(input)
    const { call, c } = raw(r)
    const other = randomUUID()
    const sub = { 'ocp-apim-subscription-key': c.subscription_key }
    await call('POST', '/v1_0/apiuser', { headers: { ...sub, 'x-reference-id': other }, body: '{"providerCallbackHost":"127.0.0.1"}' })
    const key = (await call('POST', `/v1_0/apiuser/${other}/apikey`, { headers: sub })).json.apiKey as string
    const theirs = r.newClient({ collection: { ...c, api_user: other, api_key: key } })
    await expect(theirs.requestToPayStatus(input.referenceId)).rejects.toMatchObject({ kind: 'not_found' })
    expect((await r.client.requestToPayStatus(input.referenceId)).status).toBe('PENDING')
  })

  it('caps status reads per second when asked (429, retryable)', async () => {
    const r = await rig({ settings: { statusRateLimit: 2 } })
    const { referenceId } = await r.client.requestToPay(rtp())
    await r.client.requestToPayStatus(referenceId)
    await r.client.requestToPayStatus(referenceId)
    await expect(r.client.requestToPayStatus(referenceId)).rejects.toMatchObject({ kind: 'rate_limited', httpStatus: 429, retryable: true })
    r.clock.advance(1_000)
    expect((await r.client.requestToPayStatus(referenceId)).status).toBe('PENDING')
  })
})

describe('MTN simulator: callbacks', () => {
  async function paid (r: MtnRig, hook: Receiver, partyId = '46733123400'): Promise<string> {
    const input = rtp({ callbackUrl: `${hook.url}?payment=pay_test_1`, payer: { partyIdType: 'MSISDN', partyId } })
    await r.client.requestToPay(input)
    r.clock.advance(3_000)
    return input.referenceId
  }

  it('sends the status body by PUT by default (no signature), or by POST when set', async () => {
    const r = await rig()
    const hook = await receiver()
    const ref = await paid(r, hook)
    await hook.waitFor(1)
    const got = hook.requests[0]
    expect(got?.method).toBe('PUT')
    expect(got?.headers['content-type']).toBe('application/json')
    const status = await r.client.requestToPayStatus(ref)
    expect(JSON.parse(got?.body ?? '')).toEqual({
      financialTransactionId: status.financialTransactionId, externalId: 'pay_test_1', amount: '150', currency: 'EUR',
      payer: { partyIdType: 'MSISDN', partyId: '46733123400' }, payerMessage: 'Order 1001', payeeNote: 'Kofi Shop', status: 'SUCCESSFUL'
    })
    await r.control('PATCH', '/_sim/settings', { callback: { method: 'POST' } })
    await paid(r, hook, '46733123451')
    await hook.waitFor(2)
    expect(hook.requests[1]?.method).toBe('POST')
    expect(JSON.parse(hook.requests[1]?.body ?? '')).toMatchObject({ status: 'FAILED', reason: 'APPROVAL_REJECTED' })
    expect(JSON.parse(hook.requests[1]?.body ?? '')).not.toHaveProperty('financialTransactionId')
  })

  it('drops a callback (recorded as dropped, never sent), by setting or by number', async () => {
    const r = await rig()
    const hook = await receiver()
    const dropped = await paid(r, hook, '46733123468')
    expect((await r.control('GET', `/_sim/requests/${dropped}`)).body.callbacks).toMatchObject([{ dropped: true, statusCode: null }])
    await r.control('PATCH', '/_sim/settings', { callback: { deliver: false } })
    const alsoDropped = await paid(r, hook)
    expect((await r.control('GET', `/_sim/requests/${alsoDropped}`)).body.callbacks).toMatchObject([{ dropped: true }])
    await r.control('PATCH', '/_sim/settings', { callback: { deliver: true } })
    const sent = await paid(r, hook)
    await hook.waitFor(1)
    // Callbacks leave in order; the one sent arrived, so nothing else is on its way.
    expect(hook.requests).toHaveLength(1)
    expect((await r.client.requestToPayStatus(sent)).financialTransactionId).toBe(JSON.parse(hook.requests[0]?.body ?? '').financialTransactionId)
  })

  it('repeats a callback (duplicates), by number or setting', async () => {
    const r = await rig()
    const hook = await receiver()
    const ref = await paid(r, hook, '46733123469')
    await hook.waitFor(3)
    expect(new Set(hook.requests.map((q) => q.body)).size).toBe(1)
    expect((await r.control('GET', `/_sim/requests/${ref}`)).body.callbacks.map((a: { copy: number, statusCode: number }) => [a.copy, a.statusCode])).toEqual([[1, 200], [2, 200], [3, 200]])
  })

  it('delays a callback until the clock gets there', async () => {
    const r = await rig({ settings: { callback: { delayMs: 60_000 } } })
    const hook = await receiver()
    const ref = await paid(r, hook)
    expect((await r.control('GET', `/_sim/requests/${ref}`)).body).toMatchObject({ status: 'SUCCESSFUL', callbacks: [] })
    expect((await r.control('GET', '/_sim/clock')).body.timers).toBe(1)
    await r.control('POST', '/_sim/clock/advance', { ms: 60_000 })
    await hook.waitFor(1)
    expect(hook.requests).toHaveLength(1)
  })

  it('retries a failing listener on MTN\'s schedule when set (1 s apart, then 2 min, then hourly)', async () => {
    const r = await rig({ settings: { callback: { retry: 'mtn' } } })
    const hook = await receiver((_q, res, n) => { res.statusCode = n <= 2 ? 503 : 200; res.end() })
    const ref = await paid(r, hook)
    await hook.waitFor(1)
    // The next try is scheduled once the failed one is recorded: wait for the record, then move the clock.
    const recorded = async (n: number): Promise<void> => {
      await waitFor(async () => ((await r.control('GET', `/_sim/requests/${ref}`)).body.callbacks as unknown[]).length >= n ? true : undefined, `${n} callback attempts`)
    }
    await recorded(1)
    r.clock.advance(1_000)
    await hook.waitFor(2)
    await recorded(2)
    r.clock.advance(1_000)
    await hook.waitFor(3)
    await recorded(3)
    expect((await r.control('GET', `/_sim/requests/${ref}`)).body.callbacks.map((a: { attempt: number, statusCode: number }) => [a.attempt, a.statusCode])).toEqual([[1, 503], [2, 503], [3, 200]])
    expect([1, 20, 21, 50, 51, 74, 75].map(mtnRetryDelayMs)).toEqual([1_000, 1_000, 120_000, 120_000, 3_600_000, 3_600_000, null])
  })

  it('a callback host the API user did not register is refused, unless the check is off', async () => {
    const r = await rig()
    await expect(r.client.requestToPay(rtp({ callbackUrl: 'http://localhost:9/cb' }))).rejects.toMatchObject({ kind: 'declined', mtnCode: 'INVALID_CALLBACK_URL_HOST' })
    await r.control('PATCH', '/_sim/settings', { checkCallbackHost: false })
    expect(await r.client.requestToPay(rtp({ callbackUrl: 'http://localhost:9/cb' }))).toMatchObject({ alreadyExisted: false })
  })
})

describe('MTN simulator: control API', () => {
  it('per-number behaviour: set, used, listed and removed', async () => {
    const r = await rig()
    const hook = await receiver()
    const put = await r.control('PUT', '/_sim/numbers/233244000001', { label: 'Ama never pays', outcome: 'fail', reason: 'NOT_ENOUGH_FUNDS', afterMs: 10_000, callback: { method: 'POST' } })
    expect(put).toMatchObject({ status: 200, body: { 233244000001: { outcome: 'fail' } } })
    const input = rtp({ payer: { partyIdType: 'MSISDN', partyId: '233244000001' }, callbackUrl: hook.url })
    await r.client.requestToPay(input)
    r.clock.advance(9_999)
    expect((await r.client.requestToPayStatus(input.referenceId)).status).toBe('PENDING')
    r.clock.advance(1)
    expect(await r.client.requestToPayStatus(input.referenceId)).toMatchObject({ status: 'FAILED', reason: 'NOT_ENOUGH_FUNDS' })
    await hook.waitFor(1)
    expect(hook.requests[0]?.method).toBe('POST')
    expect((await r.control('GET', '/_sim/numbers')).body).toMatchObject({ 46733123451: { outcome: 'fail', reason: 'APPROVAL_REJECTED' }, 233244000001: { label: 'Ama never pays' } })
    expect((await r.control('DELETE', '/_sim/numbers/233244000001')).body).toEqual({ 233244000001: { label: 'default', outcome: 'approve' } })
    expect((await r.control('PUT', '/_sim/numbers/1', { outcome: 'explode' })).status).toBe(400)
  })

  it('answers mistakes with 400/404/409 naming the problem', async () => {
    const r = await rig()
    const bad = await r.control('PATCH', '/_sim/settings', { decisionDelayMs: -1 })
    expect(bad.status).toBe(400)
    expect(bad.body.error).toMatch(/decisionDelayMs/)
    expect((await r.control('PATCH', '/_sim/settings', { nonsense: true })).status).toBe(400)
    expect((await r.control('POST', `/_sim/requests/${randomUUID()}/approve`)).status).toBe(404)
    expect((await r.control('POST', `/_sim/requests/${randomUUID()}/explode`)).status).toBe(400)
    expect((await r.control('POST', '/_sim/faults', { operation: 'everything', kind: 'error' })).status).toBe(400)
    expect((await r.control('GET', '/_sim/nothing')).status).toBe(404)
    const { referenceId } = await r.client.requestToPay(rtp())
    expect((await r.control('POST', `/_sim/requests/${referenceId}/fail`, { reason: 'lower case' })).status).toBe(400)
    expect((await r.control('POST', `/_sim/requests/${referenceId}/fail`, { reason: 'PAYER_LIMIT_REACHED' })).body).toMatchObject({ status: 'FAILED', reason: 'PAYER_LIMIT_REACHED' })
    expect((await r.control('POST', `/_sim/requests/${referenceId}/approve`)).status).toBe(409)
  })

  it('lists requests and transfers, what it received, balances and faults; reset forgets all but users and settings', async () => {
    const r = await rig()
    const a = await r.client.requestToPay(rtp())
    await r.client.requestToPay(rtp({ payer: { partyIdType: 'MSISDN', partyId: '46733123454' } }))
    const t = await r.client.transfer({ ...rtp(), payee: { partyIdType: 'MSISDN', partyId: '46733123400' } })
    r.clock.advance(3_000)
    expect((await r.control('GET', '/_sim/requests')).body).toHaveLength(2)
    expect((await r.control('GET', '/_sim/requests?status=PENDING')).body).toMatchObject([{ behaviour: 'PayerDelayed', payer: { partyId: '46733123454' } }])
    expect((await r.control('GET', `/_sim/requests/${a.referenceId}`)).body).toMatchObject({ status: 'SUCCESSFUL', decidedBy: 'script', amount: '150' })
    expect((await r.control('GET', `/_sim/transfers/${t.referenceId}`)).body).toMatchObject({ status: 'SUCCESSFUL', payee: { partyId: '46733123400' } })
    expect((await r.control('GET', '/_sim/balances')).body).toEqual({ collection: '150', disbursement: '999850', currency: 'EUR' })
    expect((await r.control('PUT', '/_sim/balances/disbursement', { availableBalance: '10.5' })).body).toEqual({ disbursement: '10.5', currency: 'EUR' })
    const fault = await r.control('POST', '/_sim/faults', { faults: [{ operation: 'token', kind: 'hang', times: 0 }, { operation: '*', kind: 'error', status: 503 }] })
    expect(fault.status).toBe(201)
    expect((await r.control('GET', '/_sim/faults')).body).toMatchObject([{ operation: 'token', remaining: null }, { operation: '*', status: 503, remaining: 1 }])
    const log = (await r.received()).map((e) => [e.operation, e.status])
    expect(log).toEqual([['token', 200], ['requesttopay', 202], ['requesttopay', 202], ['token', 200], ['transfer', 202]])
    expect((await r.control('GET', '/_sim/log?since=4')).body).toHaveLength(1)
    await r.control('POST', '/_sim/reset')
    expect((await r.control('GET', '/_sim/requests')).body).toEqual([])
    expect((await r.control('GET', '/_sim/faults')).body).toEqual([])
    expect(await r.client.requestToPay(rtp())).toMatchObject({ alreadyExisted: false })
    expect((await r.control('GET', '/_sim')).body).toMatchObject({ environment: 'sandbox', currency: 'EUR', manualClock: true, requests: 1, transfers: 0 })
    expect((await r.control('GET', '/_sim/credentials')).body).toEqual(r.sim.credentials)
  })

  it('on the real clock, payers decide and callbacks leave by themselves', async () => {
    const r = await rig({ clock: new SimClock(), settings: { decisionDelayMs: 50 } })
    const hook = await receiver()
    const input = rtp({ callbackUrl: hook.url, payer: { partyIdType: 'MSISDN', partyId: '46733123452' } })
    await r.client.requestToPay(input)
    await hook.waitFor(1)
    expect(JSON.parse(hook.requests[0]?.body ?? '')).toMatchObject({ status: 'FAILED', reason: 'EXPIRED' })
    expect((await r.client.requestToPayStatus(input.referenceId)).status).toBe('FAILED')
  })

  it('an environment outside the table needs its currency', async () => {
    await expect(rig({ environment: 'mtnnowhere' })).rejects.toThrow(/unknown environment/)
    const r = await rig({ environment: 'mtnnowhere', currency: 'XYZ' })
    expect(r.sim.currency).toBe('XYZ')
  })
})

