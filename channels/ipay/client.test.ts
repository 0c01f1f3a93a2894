import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { ipayRigs, type IpayRig } from '../../test/helpers/ipay-rig.js'
import { IpayClient, type StkMethod } from './client.js'
import { IpayError } from './errors.js'
import { IPAY_STATUS, PAYMENT_STATUS_FOR, isFinal, type IpayOutcome } from './outcomes.js'

const rig = ipayRigs()

/** transact + STK push for 150.00, then the clock moved past the customer's answer (or iPay's time-out). */
async function payWith (r: IpayRig, phone: string, options: { method?: StkMethod, oid?: string, amountMinor?: number } = {}): Promise<{ sid: string, oid: string }> {
  const oid = options.oid ?? `ORD-${phone.slice(-4)}-${r.legs.length}`
  const session = await r.client.transact({ oid, amountMinor: options.amountMinor ?? 15_000, phone, email: 'buyer@example.com', callbackUrl: `${r.receiver.url}?channel=ipay-ke` })
  await r.client.stkPush({ method: options.method ?? 'mpesa', phone, sid: session.sid })
  await r.advance(60_000)
  return { sid: session.sid, oid }
}

async function expectIpayError (promise: Promise<unknown>, code: string, retry: string): Promise<IpayError> {
  const err = await promise.then(() => null, (e: unknown) => e)
  expect(err).toBeInstanceOf(IpayError)
  expect({ code: (err as IpayError).code, retry: (err as IpayError).retry }).toEqual({ code, retry })
  return err as IpayError
}

describe('iPay client against the simulator: every test phone', () => {
  // status: what transact/mobilemoney answers; search: what transaction/search answers; callback: the code iPay calls back with.
  const TABLE: Array<{ phone: string, status: IpayOutcome['kind'], search: IpayOutcome['kind'], callback: string | null, amount: number | null, final: string | null }> = [
    { phone: '0700000001', status: 'paid', search: 'paid', callback: IPAY_STATUS.paid, amount: 15_000, final: 'SUCCESS' },
    { phone: '0700000002', status: 'pending', search: 'cancelled', callback: null, amount: null, final: 'FAILED' },
    { phone: '0700000003', status: 'pending', search: 'wrong_pin', callback: null, amount: null, final: 'FAILED' },
    { phone: '0700000004', status: 'pending', search: 'insufficient_funds', callback: null, amount: null, final: 'FAILED' },
    { phone: '0700000005', status: 'pending', search: 'timed_out', callback: null, amount: null, final: 'FAILED' },
    { phone: '0700000006', status: 'less', search: 'less', callback: IPAY_STATUS.less, amount: 7_500, final: 'PARTIAL' },
    { phone: '0700000007', status: 'more', search: 'more', callback: IPAY_STATUS.more, amount: 25_000, final: 'OVERPAID' },
    { phone: '0700000008', status: 'used', search: 'used', callback: IPAY_STATUS.used, amount: 15_000, final: 'MANUAL_REVIEW' },
    { phone: '0700000009', status: 'paid', search: 'paid', callback: null, amount: 15_000, final: 'SUCCESS' },
    { phone: '0722123456', status: 'paid', search: 'paid', callback: IPAY_STATUS.paid, amount: 15_000, final: 'SUCCESS' }
  ]

  it.each(TABLE)('$phone: status $status, search $search, callback $callback', async (row) => {
    const r = await rig()
    const { sid, oid } = await payWith(r, row.phone)
    const status = await r.client.status({ sid })
    const search = await r.client.search({ oid, amountMinor: 15_000 })
    expect(status.kind).toBe(row.status)
    expect(search.kind).toBe(row.search)
    // What the payment ends as, from whichever answer is final (the channel asks both).
    const final = [status, search].find(isFinal)
    expect(final === undefined ? null : PAYMENT_STATUS_FOR[final.kind]).toBe(row.final)
    if (row.amount !== null && status.kind !== 'pending' && 'payment' in status) {
      expect(status.payment.amountMinor).toBe(row.amount)
      expect(status.payment.receipt).toMatch(/^UEV[0-9A-Z]{7}$/) // M-Pesa receipt dated 31 May 2026
      expect(status.payment.payerPhone).toBe(row.phone)
      expect(status.payment.channel).toBe('MPESA')
    }
    if (row.search !== 'used' && 'payment' in search) expect(search.payment.amountMinor).toBe(row.amount)
    // advance() waited for every callback it caused: none came means none was sent.
    expect(r.callbacks().map((c) => c['status'] ?? null)).toEqual(row.callback === null ? [] : [row.callback])
    if (row.callback !== null) {
      const check = await r.client.verifyIpn(r.callbacks()[0] ?? {})
      expect(check).toMatchObject({ oid, claimed: row.callback, ipnStatus: row.callback, contradicted: false, outcome: { kind: row.status } })
    }
  })

  it('Airtel Money: the push goes to /transact/push/airtel and the money arrives on the AIRTEL channel', async () => {
    const r = await rig()
    const { sid } = await payWith(r, '+254733000001', { method: 'airtel' })
    expect(r.legs.find((l) => l.call === 'stk_push')?.url).toBe(`${r.sim.baseUrl}/transact/push/airtel`)
    const status = await r.client.status({ sid })
    expect(status.kind === 'paid' && status.payment).toMatchObject({ channel: 'AIRTEL', payerPhone: '0733000001', amountMinor: 15_000 })
  })

  it('transact gives the sid, and the paybill and account a customer can pay by hand', async () => {
    const r = await rig()
    const session = await r.client.transact({ oid: 'ORD-1', amountMinor: 1_000_00, phone: '0712345678', callbackUrl: r.receiver.url })
    expect(session).toMatchObject({ oid: 'ORD-1', amount: '1000', paybills: [{ channel: 'MPESA', paybill: '510800' }, { channel: 'AIRTEL', paybill: '510800' }] })
    expect(session.sid).toMatch(/^[0-9a-f-]{36}$/)
    expect(session.account).toMatch(/^\d{8}$/)
  })
})

describe('status polling', () => {
  it('polls transact/mobilemoney until the customer has answered, then reads the final state', async () => {
    const r = await rig({ settings: { customerDelayMs: 4_000 } })
    const session = await r.client.transact({ oid: 'POLL-1', amountMinor: 15_000, phone: '0700000009', callbackUrl: r.receiver.url })
    await r.client.stkPush({ method: 'mpesa', phone: '0700000009', sid: session.sid })
    const seen: string[] = []
    let outcome = await r.client.status({ sid: session.sid })
    for (let polls = 0; !isFinal(outcome) && polls < 10; polls++) {
      seen.push(outcome.kind)
      await r.advance(1_000)
      outcome = await r.client.status({ sid: session.sid })
    }
    expect(seen).toEqual(['pending', 'pending', 'pending', 'pending'])
    expect(outcome).toMatchObject({ kind: 'paid', payment: { amountMinor: 15_000 } })
    expect(r.callbacks()).toEqual([]) // 0700000009: iPay never calls back; polling alone settles it
  })

  it('a failed prompt is only pending to mobilemoney; transaction/search tells why', async () => {
    const r = await rig()
    const { sid, oid } = await payWith(r, '0700000002')
    expect((await r.client.status({ sid })).kind).toBe('pending')
    expect(await r.client.search({ oid, amountMinor: 15_000 })).toEqual({ kind: 'cancelled', text: 'The request was canceled by the user' })
  })

  it('search before anything happened is pending ("no payment record found")', async () => {
    const r = await rig()
    expect(await r.client.search({ oid: 'NEVER-OPENED', amountMinor: 100 })).toEqual({ kind: 'pending', text: 'no payment record found' })
  })
})

describe('callbacks are never believed on their own', () => {
  it('a forged success for a cancelled prompt: the IPN says pending, the check says contradicted', async () => {
    const r = await rig()
    const { sid, oid } = await payWith(r, '0700000002')
    const forged = await r.control<{ true_status: string }>('POST', `/_sim/transactions/${sid}/forge`, { status: 'paid', mc: '150', txncd: 'UEV0000000' })
    expect(forged.body.true_status).toBe(IPAY_STATUS.pending)
    const [callback] = r.callbacks()
    expect(callback).toMatchObject({ status: IPAY_STATUS.paid, id: oid, mc: '150' })
    const check = await r.client.verifyIpn(callback ?? {})
    expect(check).toEqual({
      oid,
      claimed: IPAY_STATUS.paid,
      ipnStatus: IPAY_STATUS.pending,
      outcome: { kind: 'pending', text: 'Incoming Mobile Money Transaction Not found. Please try again in 5 minutes.' },
      contradicted: true
    })
  })

  it('a forged "paid" for a customer who paid less: the IPN answers less, and the forged amount is not passed on', async () => {
    const r = await rig()
    const { sid } = await payWith(r, '0700000006')
    await r.control('POST', `/_sim/transactions/${sid}/forge`, { status: 'paid', mc: '150' })
    const [genuine, forged] = r.callbacks()
    const check = await r.client.verifyIpn(forged ?? {})
    expect(check.contradicted).toBe(true)
    expect(check.outcome).toMatchObject({ kind: 'less', payment: { amountMinor: null, receipt: null } })
    const real = await r.client.verifyIpn(genuine ?? {})
    expect(real).toMatchObject({ contradicted: false, outcome: { kind: 'less', payment: { amountMinor: 7_500 } } })
  })

  it('a callback with made-up identifiers: iPay knows nothing of it ("Not all parameters fulfilled") — unverified, not a failure', async () => {
    const r = await rig()
    const { sid } = await payWith(r, '0700000001')
    await r.control('POST', `/_sim/transactions/${sid}/forge`, { status: 'paid', tokens: 'random' })
    const check = await r.client.verifyIpn(r.callbacks()[1] ?? {})
    expect(check).toMatchObject({ ipnStatus: IPAY_STATUS.failed, contradicted: true, outcome: { kind: 'unverified' } })
    expect(isFinal(check.outcome)).toBe(false)
  })

  it('a callback missing the IPN identifiers is not even asked about', async () => {
    const r = await rig()
    const before = r.legs.length
    const check = await r.client.verifyIpn({ status: IPAY_STATUS.paid, id: 'ORD-9', mc: '150' })
    expect(check).toMatchObject({ ipnStatus: null, contradicted: true, outcome: { kind: 'unverified' } })
    expect(r.legs.length).toBe(before)
  })

  it('repeated callbacks (iPay calling three times, then an operator resending) all verify to the same receipt', async () => {
    const r = await rig({ settings: { callbackRepeat: 3 } })
    const { sid } = await payWith(r, '0700000001')
    await r.control('POST', `/_sim/transactions/${sid}/callback`, { times: 2 })
    expect(r.callbacks()).toHaveLength(5)
    const checks = await Promise.all(r.callbacks().map(async (c) => await r.client.verifyIpn(c)))
    const receipts = new Set(checks.map((c) => c.outcome.kind === 'paid' ? c.outcome.payment.receipt : null))
    expect(checks.every((c) => !c.contradicted && c.outcome.kind === 'paid')).toBe(true)
    expect(receipts.size).toBe(1) // one payment: the channel counts it once by its receipt
  })

  it('dropped callbacks: none arrives, and status still finds the payment', async () => {
    const r = await rig()
    expect((await r.control('POST', '/_sim/settings', { callbacks: 'drop' })).status).toBe(200)
    const { sid } = await payWith(r, '0700000007')
    expect(r.callbacks()).toEqual([])
    expect(await r.client.status({ sid })).toMatchObject({ kind: 'more', payment: { amountMinor: 25_000 } })
  })
})

describe('refunds', () => {
  it('refunds part, then the rest, then is refused; iPay\'s "status 200" is the only success', async () => {
    const r = await rig()
    const { sid } = await payWith(r, '0700000001')
    const paid = await r.client.status({ sid })
    const code = paid.kind === 'paid' ? paid.payment.receipt ?? '' : ''
    expect(await r.client.refund({ code, amountMinor: 5_000 })).toEqual({ ok: true, amountMinor: 5_000, code, text: 'Refund done', c2bFunds: '100.00', b2cFunds: '0.00' })
    expect(await r.client.refund({ code })).toMatchObject({ ok: true, amountMinor: 10_000 })
    expect(await r.client.refund({ code })).toEqual({ ok: false, status: 409, text: 'Transaction has already been refunded' })
    expect(await r.client.refund({ code: 'UEV0NOTHING' })).toEqual({ ok: false, status: 404, text: 'Transaction code not found' })
    const refund = r.legs.filter((l) => l.call === 'refund')[0]
    expect(refund?.requestBody).toBe(`code=${code}&vid=demo&amount=50&hash=[redacted]`)
  })
})

describe('phones', () => {
  it.each(['0700000001', '+254700000001', '254700000001', '+254 700 000 001'])('%s goes to iPay as 254700000001', async (phone) => {
    const r = await rig()
    const session = await r.client.transact({ oid: 'PH-1', amountMinor: 100, phone, callbackUrl: r.receiver.url })
    await r.client.stkPush({ method: 'mpesa', phone, sid: session.sid })
    expect(r.legs.map((l) => /(?:tel|phone)=(\d+)/.exec(l.requestBody ?? '')?.[1])).toEqual(['254700000001', '254700000001'])
  })

  it('01… numbers are Kenyan mobiles too', async () => {
    const r = await rig()
    await r.client.transact({ oid: 'PH-2', amountMinor: 100, phone: '0110123456', callbackUrl: r.receiver.url })
    expect(r.legs[0]?.requestBody).toContain('tel=254110123456')
  })

  it('a number that is not Kenyan is refused before anything is sent', async () => {
    const r = await rig()
    const err = await expectIpayError(r.client.transact({ oid: 'PH-3', amountMinor: 100, phone: '0244123456', callbackUrl: r.receiver.url }), 'ipay_invalid_request', 'no')
    expect(err.message).toContain('not a Kenyan mobile number')
    await expectIpayError(r.client.stkPush({ method: 'mpesa', phone: '+233244123456', sid: 'x' }), 'ipay_invalid_request', 'no')
    expect(r.legs).toEqual([])
  })
})

describe('requests iPay would refuse are refused here first', () => {
  it('KES cents, an oid too long, a callback URL over 100 characters', async () => {
    const r = await rig()
    const base = { oid: 'V-1', amountMinor: 100, phone: '0712345678', callbackUrl: r.receiver.url }
    await expectIpayError(r.client.transact({ ...base, amountMinor: 150_50 }), 'ipay_invalid_request', 'no')
    await expectIpayError(r.client.transact({ ...base, oid: 'x'.repeat(35) }), 'ipay_invalid_request', 'no')
    await expectIpayError(r.client.transact({ ...base, callbackUrl: `https://example.com/${'c'.repeat(90)}` }), 'ipay_invalid_request', 'no')
    expect(r.legs).toEqual([])
  })
})

describe('a wrong hash key', () => {
  it('gets iPay\'s 400 with its text; the error says not to retry and no hash leaks', async () => {
    const r = await rig({ config: { hash_key: 'not-the-vendors-key' } })
    const err = await expectIpayError(r.client.status({ sid: 'any' }), 'ipay_rejected', 'no')
    expect(err.statusCode).toBe(400)
    expect(err.message).toBe('iPay status: HTTP 400: Invalid hash. The expected hash [redacted-hash] does not match the one sent.')
    await expectIpayError(r.client.transact({ oid: 'H-1', amountMinor: 100, phone: '0712345678', callbackUrl: r.receiver.url }), 'ipay_rejected', 'no')
    await expectIpayError(r.client.search({ oid: 'H-1', amountMinor: 100 }), 'ipay_rejected', 'no')
    await expectIpayError(r.client.refund({ code: 'UEV0000000' }), 'ipay_rejected', 'no')
    for (const leg of r.legs) expect(`${leg.requestBody ?? ''}${leg.responseBody}`).not.toMatch(/[0-9a-f]{64}/)
  })
})

describe('leg records', () => {
  it('every call is reported with method, URL, status and bodies — the hash key and every hash redacted', async () => {
    const key = 'Sup3r-Secret-Vendor-Key'
    const r = await rig({ vendors: { shop: key }, config: { vendor_id: 'shop', hash_key: key } })
    const { sid, oid } = await payWith(r, '0700000001')
    await r.client.status({ sid })
    await r.client.search({ oid, amountMinor: 15_000 })
    await r.client.verifyIpn(r.callbacks()[0] ?? {})
    await expectIpayError(new IpayClient({ ...r.config, hash_key: `${key}-wrong` }, { onLeg: (l) => r.legs.push(l) }).status({ sid }), 'ipay_rejected', 'no')
    expect(r.legs.map((l) => [l.call, l.method, l.statusCode])).toEqual([
      ['transact', 'POST', 200], ['stk_push', 'POST', 200], ['status', 'POST', 200], ['search', 'POST', 200], ['ipn', 'GET', 200], ['status', 'POST', 400]
    ])
    expect(r.legs[0]).toMatchObject({ url: `${r.sim.baseUrl}/transact`, error: null })
    expect(r.legs[0]?.requestBody).toMatch(/^live=0&oid=ORD-0001-0&inv=ORD-0001-0&amount=150&tel=254700000001&eml=buyer%40example.com&vid=shop&curr=KES&p1=&p2=&p3=&p4=&cst=0&cbk=.*&crl=0&autopay=1&hash=\[redacted\]$/)
    expect(r.legs[4]?.url).toMatch(/\/ipn\/\?vendor=shop&id=ORD-0001-0&ivm=ORD-0001-0&qwh=/)
    expect(r.legs[4]?.responseBody).toBe(IPAY_STATUS.paid)
    expect(r.legs[5]?.responseBody).toContain('expected hash [redacted-hash]')
    const all = JSON.stringify(r.legs)
    expect(all).not.toContain(key)
    expect(all).not.toMatch(/[0-9a-fA-F]{40}/)
    for (const leg of r.legs) expect(leg.durationMs).toBeGreaterThanOrEqual(0)
  })
})

describe('redaction', () => {
  it('masks the hash key and anything hash-shaped wherever it appears, even in an answer that echoes them', async () => {
    const key = 'Echoed-Vendor-Key-42'
    const r = await rig({ config: { hash_key: key } })
    const sha1 = 'a'.repeat(40)
    expect(r.client.redact(`key=${key}&h=${'b'.repeat(64)}&s=${sha1}&sid=852a63b08ac98b1750498rfd7c547c8d`)).toBe('key=[redacted]&h=[redacted-hash]&s=[redacted-hash]&sid=852a63b08ac98b1750498rfd7c547c8d')
    // A broken upstream that echoes the request and the key back (a proxy's debug page, say).
    const echo = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => { body += c.toString() })
      req.on('end', () => { res.statusCode = 502; res.end(`upstream said: ${body} key ${key}`) })
    })
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve))
    const client = new IpayClient({ ...r.config, base_url: `http://127.0.0.1:${(echo.address() as AddressInfo).port}` }, { onLeg: (l) => r.legs.push(l) })
    try {
      const err = await expectIpayError(client.search({ oid: 'E-1', amountMinor: 100 }), 'ipay_server_error', 'safe')
      const leg = r.legs.at(-1)
      expect(leg?.responseBody).toBe('upstream said: oid=E-1&vid=demo&hash=[redacted-hash] key [redacted]')
      expect(`${JSON.stringify(r.legs)}${err.message}`).not.toContain(key)
    } finally {
      await client.close()
      echo.closeAllConnections()
      await new Promise<void>((resolve) => echo.close(() => resolve()))
    }
  })
})

describe('failures say whether a call may be repeated', () => {
  it('iPay hanging: a timeout; status is safe to repeat, an STK push must be checked first', async () => {
    const r = await rig({ timeoutMs: 300 })
    const session = await r.client.transact({ oid: 'T-1', amountMinor: 100, phone: '0712345678', callbackUrl: r.receiver.url })
    await r.control('POST', '/_sim/faults', { endpoint: 'mobilemoney', mode: 'hang' })
    await expectIpayError(r.client.status({ sid: session.sid }), 'ipay_timeout', 'safe')
    await r.control('POST', '/_sim/faults', { endpoint: 'push', mode: 'hang' })
    await expectIpayError(r.client.stkPush({ method: 'mpesa', phone: '0712345678', sid: session.sid }), 'ipay_timeout', 'after_check')
    await r.control('POST', '/_sim/faults', { endpoint: 'ipn', mode: 'hang' })
    await expectIpayError(r.client.verifyIpn({ id: 'T-1', ivm: 'T-1', qwh: 'a', afd: 'b', poi: 'c', uyt: 'd', ifd: 'e', status: IPAY_STATUS.paid }), 'ipay_timeout', 'safe')
    const timedOut = r.legs.filter((l) => l.error !== null)
    expect(timedOut.map((l) => [l.call, l.statusCode])).toEqual([['status', null], ['stk_push', null], ['ipn', null]])
    expect(timedOut[0]?.error).toMatch(/no answer within 300 ms/)
  })

  it('HTTP 500: retry transact and search freely, a refund only after checking', async () => {
    const r = await rig()
    await r.control('POST', '/_sim/faults', { endpoint: 'transact', mode: 'error_500' })
    await expectIpayError(r.client.transact({ oid: 'F-1', amountMinor: 100, phone: '0712345678', callbackUrl: r.receiver.url }), 'ipay_server_error', 'safe')
    // The fault was for one call: the retry goes through.
    expect((await r.client.transact({ oid: 'F-1', amountMinor: 100, phone: '0712345678', callbackUrl: r.receiver.url })).sid).toBeTruthy()
    await r.control('POST', '/_sim/faults', { endpoint: 'refund', mode: 'error_500' })
    await expectIpayError(r.client.refund({ code: 'UEV0000000' }), 'ipay_server_error', 'after_check')
    await r.control('POST', '/_sim/faults', { endpoint: 'search', mode: 'error_500' })
    await expectIpayError(r.client.search({ oid: 'F-1', amountMinor: 100 }), 'ipay_server_error', 'safe')
  })

  it('an STK push whose answer is lost did reach the customer: after_check, and the simulator shows one prompt', async () => {
    const r = await rig()
    const session = await r.client.transact({ oid: 'L-1', amountMinor: 100, phone: '0700000001', callbackUrl: r.receiver.url })
    await r.control('POST', '/_sim/faults', { endpoint: 'push', mode: 'lose_answer' })
    await expectIpayError(r.client.stkPush({ method: 'mpesa', phone: '0700000001', sid: session.sid }), 'ipay_unreachable', 'after_check')
    const tx = await r.control<{ pushes: number, state: string }>('GET', `/_sim/transactions/${session.sid}`)
    expect(tx.body).toMatchObject({ pushes: 1, state: 'awaiting' })
    await r.advance(5_000)
    expect((await r.client.status({ sid: session.sid })).kind).toBe('paid')
  })

  it('an answer larger than any iPay answer is refused, not downloaded', async () => {
    const r = await rig()
    const huge = createServer((_req, res) => { res.setHeader('content-type', 'application/json'); res.end(`{"status":"${'x'.repeat(200_000)}"}`) })
    await new Promise<void>((resolve) => huge.listen(0, '127.0.0.1', resolve))
    const client = new IpayClient({ ...r.config, base_url: `http://127.0.0.1:${(huge.address() as AddressInfo).port}` }, { onLeg: (l) => r.legs.push(l) })
    try {
      const err = await expectIpayError(client.status({ sid: 'x' }), 'ipay_bad_response', 'safe')
      expect(err.message).toContain('answer longer than 65536 bytes')
      expect(r.legs.at(-1)).toMatchObject({ call: 'status', statusCode: 200, responseBody: '' })
    } finally {
      await client.close()
      huge.closeAllConnections()
      await new Promise<void>((resolve) => huge.close(() => resolve()))
    }
  })

  it('nothing listening: the request never left, so even an STK push is safe to repeat', async () => {
    const r = await rig()
    const closed = new IpayClient({ ...r.config, base_url: 'http://127.0.0.1:9/payments/v2' }, { onLeg: (l) => r.legs.push(l) })
    await expectIpayError(closed.stkPush({ method: 'mpesa', phone: '0712345678', sid: 'x' }), 'ipay_unreachable', 'safe')
    expect(r.legs.at(-1)).toMatchObject({ call: 'stk_push', statusCode: null, error: expect.stringContaining('ECONNREFUSED') })
    await closed.close()
  })
})
