import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ipayRigs, type IpayRig } from '../../test/helpers/ipay-rig.js'
import { IPAY_STATUS } from './outcomes.js'

/**
 * The simulator spoken to as a merchant's own code would, with raw HTTP and hashes computed here
 * from datastrings written out by hand: what it answers does not depend on the client's code.
 */
const rig = ipayRigs()

const hmac = (data: string, key = 'demoCHANGED'): string => createHmac('sha256', key).update(data).digest('hex')

async function post (url: string, fields: Record<string, string | number>, as: 'json' | 'form' = 'json'): Promise<{ status: number, body: Record<string, unknown> }> {
  const res = await fetch(url, as === 'json'
    ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fields) }
    : { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)])).toString() })
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}

/** A transact as the strapi client sends it: JSON, `live` and `cst` as numbers. */
async function transact (r: IpayRig, oid: string, tel = '254712345678', amount = '150'): Promise<string> {
  const f = { live: 0, oid, inv: oid, amount, tel, eml: 'a@b.co', vid: 'demo', curr: 'KES', p1: 'x', p2: '', p3: '', p4: '', cbk: r.receiver.url, cst: 0, crl: 0 }
  const res = await post(`${r.sim.baseUrl}/transact`, { ...f, hash: hmac(`0${oid}${oid}${amount}${tel}a@b.codemoKESx0${r.receiver.url}`) })
  expect(res.status).toBe(200)
  return (res.body['data'] as { sid: string }).sid
}

describe('iPay simulator: the REST calls', () => {
  it('takes transact as JSON or as a form, and answers header_status 200, status 1, data.sid', async () => {
    const r = await rig()
    await transact(r, 'J-1')
    const oid = 'F-1'
    const data = `1${oid}${oid}9990712345678demoKES0${r.receiver.url}`
    const res = await post(`${r.sim.baseUrl}/transact`, { live: 1, oid, inv: oid, amount: 999, tel: '0712345678', eml: '', vid: 'demo', curr: 'KES', cst: 0, cbk: r.receiver.url, hash: hmac(data) }, 'form')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ header_status: 200, status: 1, data: { oid, amount: '999', payment_channels: [{ name: 'MPESA', paybill: '510800' }, { name: 'AIRTEL', paybill: '510800' }] } })
  })

  it('answers a wrong hash on every call with HTTP 400 {"error":[{"text"}]} naming the hash it expected (B.11)', async () => {
    const r = await rig()
    const sid = await transact(r, 'H-1')
    const calls: Array<[string, Record<string, string>, string]> = [
      ['/transact', { live: '0', oid: 'H-2', inv: '', amount: '10', tel: '254712345678', eml: '', vid: 'demo', curr: 'KES', cst: '0', cbk: r.receiver.url }, `0H-210254712345678demoKES0${r.receiver.url}`],
      ['/transact/push/mpesa', { phone: '254712345678', sid, vid: 'demo' }, `254712345678demo${sid}`],
      ['/transact/mobilemoney', { sid, vid: 'demo' }, `${sid}demo`],
      ['/transaction/search', { oid: 'H-1', vid: 'demo' }, 'H-1demo'],
      ['/transaction/refund', { code: 'UEV0000000', vid: 'demo', amount: '50' }, 'amount=50&code=UEV0000000&vid=demo']
    ]
    for (const [path, fields, data] of calls) {
      const res = await post(`${r.sim.baseUrl}${path}`, { ...fields, hash: hmac(data, 'wrong key') })
      expect(res.status, path).toBe(400)
      expect(res.body, path).toEqual({ error: [{ text: `Invalid hash. The expected hash ${hmac(data)} does not match the one sent.` }] })
      // …and the hash it names is the one it takes (what some clients scrape; ours never does).
      expect((await post(`${r.sim.baseUrl}${path}`, { ...fields, hash: hmac(data) })).status, path).not.toBe(400)
    }
  })

  it('answers an unknown vendor like a wrong hash, so vendor ids cannot be probed', async () => {
    const r = await rig()
    const res = await post(`${r.sim.baseUrl}/transaction/search`, { oid: 'X', vid: 'nobody', hash: hmac('Xnobody') })
    expect(res.status).toBe(400)
    expect((res.body['error'] as Array<{ text: string }>)[0]?.text).toMatch(/^Invalid hash\. The expected hash [0-9a-f]{64} does not match the one sent\.$/)
  })

  it('names missing parameters', async () => {
    const r = await rig()
    const res = await post(`${r.sim.baseUrl}/transact/push/mpesa`, { sid: 'x', vid: 'demo' })
    expect(res).toEqual({ status: 400, body: { error: [{ text: 'Missing parameter(s): phone, hash' }] } })
  })

  it('refuses a second prompt for a session already paid', async () => {
    const r = await rig({ settings: { customerDelayMs: 0 } })
    const sid = await transact(r, 'P-1')
    const push = { phone: '254712345678', sid, vid: 'demo', hash: hmac(`254712345678demo${sid}`) }
    expect((await post(`${r.sim.baseUrl}/transact/push/mpesa`, push)).body).toEqual({ header_status: 200, status: 1, text: 'A Payment request has been sent to the MPESA number 254712345678' })
    await r.advance(0)
    expect(await post(`${r.sim.baseUrl}/transact/push/mpesa`, push)).toEqual({ status: 400, body: { error: [{ text: 'This transaction has already been paid' }] } })
  })

  it('mobilemoney answers the code and the money fields at the top level, as clients read them (B.5)', async () => {
    const r = await rig({ settings: { customerDelayMs: 0 } })
    const sid = await transact(r, 'M-1', '254700000007')
    await post(`${r.sim.baseUrl}/transact/push/mpesa`, { phone: '254700000007', sid, vid: 'demo', hash: hmac(`254700000007demo${sid}`) })
    await r.advance(0)
    const res = await post(`${r.sim.baseUrl}/transact/mobilemoney`, { sid, vid: 'demo', hash: hmac(`${sid}demo`) })
    expect(res.body).toMatchObject({ header_status: 200, status: IPAY_STATUS.more, mc: '250', msisdn_idnum: '254700000007', channel: 'MPESA', p1: 'x' })
    expect(res.body['txncd']).toMatch(/^UEV[0-9A-Z]{7}$/)
  })

  it('search answers the record of B.6, and free text in an HTTP error otherwise', async () => {
    const r = await rig({ settings: { customerDelayMs: 0 } })
    for (const [oid, tel] of [['S-1', '254700000001'], ['S-2', '254700000004']] as const) {
      const sid = await transact(r, oid, tel)
      await post(`${r.sim.baseUrl}/transact/push/mpesa`, { phone: tel, sid, vid: 'demo', hash: hmac(`${tel}demo${sid}`) })
    }
    await r.advance(0)
    const found = await post(`${r.sim.baseUrl}/transaction/search`, { oid: 'S-1', vid: 'demo', hash: hmac('S-1demo') })
    expect(found.body).toMatchObject({
      header_status: 200, status: 1, text: 'payment record found',
      data: { vid: 'demo', oid: 'S-1', transaction_amount: '150.00', telephone: '254700000001', firstname: 'JANE', lastname: 'WANJIKU', paid_at: '2026-05-31 12:00:00', payment_mode: 'MPESA' }
    })
    expect(await post(`${r.sim.baseUrl}/transaction/search`, { oid: 'S-2', vid: 'demo', hash: hmac('S-2demo') })).toEqual({ status: 400, body: { header_status: 400, status: 0, message: 'The User Wallet balance is insufficient for the transaction' } })
    expect(await post(`${r.sim.baseUrl}/transaction/search`, { oid: 'S-3', vid: 'demo', hash: hmac('S-3demo') })).toEqual({ status: 404, body: { header_status: 404, status: 0, message: 'no payment record found' } })
  })

  it('refunds with the alphabetical query-string hash and answers the body of B.7', async () => {
    const r = await rig({ settings: { customerDelayMs: 0 } })
    const sid = await transact(r, 'R-1', '254700000001', '1100')
    await post(`${r.sim.baseUrl}/transact/push/mpesa`, { phone: '254700000001', sid, vid: 'demo', hash: hmac(`254700000001demo${sid}`) })
    await r.advance(0)
    const code = (await r.control<{ payment: { txncd: string } }>('GET', `/_sim/transactions/${sid}`)).body.payment.txncd
    const res = await post(`${r.sim.baseUrl}/transaction/refund`, { vid: 'demo', code, amount: '50', hash: hmac(`amount=50&code=${code}&vid=demo`) }, 'form')
    expect(res).toEqual({ status: 200, body: { status: 200, c2bfunds: '1050.00', b2cfunds: '0.00', amount: '50.00', code, text: 'Refund done', email_response: 'Mail sent succesfully' } })
  })
})

describe('iPay simulator: callbacks and the IPN', () => {
  it('calls the merchant back with a GET carrying every B.8 parameter; the IPN answers the true status only to the right identifiers', async () => {
    const r = await rig({ settings: { customerDelayMs: 0 } })
    const sid = await transact(r, 'C-1', '254700000006')
    await post(`${r.sim.baseUrl}/transact/push/mpesa`, { phone: '254700000006', sid, vid: 'demo', hash: hmac(`254700000006demo${sid}`) })
    await r.advance(0)
    expect(r.receiver.requests.map((q) => q.method)).toEqual(['GET'])
    const cb = r.callbacks()[0] ?? {}
    expect(Object.keys(cb)).toEqual(['status', 'id', 'ivm', 'qwh', 'afd', 'poi', 'uyt', 'ifd', 'agt', 'mc', 'p1', 'p2', 'p3', 'p4', 'txncd', 'msisdn_id', 'msisdn_idnum', 'msisdn_custnum', 'channel'])
    expect(cb).toMatchObject({ status: IPAY_STATUS.less, id: 'C-1', ivm: 'C-1', mc: '75', p1: 'x', msisdn_id: 'JANE WANJIKU', channel: 'MPESA' })
    expect(r.receiver.requests[0]?.url).toMatch(/^\/hook\?status=/)
    const ipn = async (q: Record<string, string>): Promise<string> => await (await fetch(`${r.sim.ipnUrl}?${new URLSearchParams(q).toString()}`)).text()
    const ask = { vendor: 'demo', id: cb['id'] ?? '', ivm: cb['ivm'] ?? '', qwh: cb['qwh'] ?? '', afd: cb['afd'] ?? '', poi: cb['poi'] ?? '', uyt: cb['uyt'] ?? '', ifd: cb['ifd'] ?? '' }
    expect(await ipn(ask)).toBe(IPAY_STATUS.less)
    expect(await ipn({ ...ask, qwh: 'guessed' })).toBe(IPAY_STATUS.failed)
    expect(await ipn({ ...ask, vendor: 'other' })).toBe(IPAY_STATUS.failed)
    const { ifd: _left, ...missing } = ask
    expect(await ipn(missing)).toBe(IPAY_STATUS.failed)
  })

  it('a customer paying by hand at the paybill: any amount, judged less / more by iPay', async () => {
    const r = await rig()
    const sid = await transact(r, 'B-1', '254712345678', '1000')
    const res = await r.control<{ state: string, payment: { mc: string } }>('POST', `/_sim/transactions/${sid}/pay`, { amount: '1200.00', phone: '0722000111', name: 'PETER KAMAU' })
    expect(res.body).toMatchObject({ state: 'more', payment: { mc: '1200', msisdn_idnum: '254722000111', msisdn_id: 'PETER KAMAU' } })
    expect(r.callbacks().map((c) => c['status'])).toEqual([IPAY_STATUS.more])
  })

  it('a callback the merchant does not take is recorded with its answer', async () => {
    const r = await rig({ settings: { customerDelayMs: 0 } })
    r.receiver.setHandler((_q, res) => { res.statusCode = 503; res.end('busy') })
    const sid = await transact(r, 'C-2', '254700000001')
    await post(`${r.sim.baseUrl}/transact/push/mpesa`, { phone: '254700000001', sid, vid: 'demo', hash: hmac(`254700000001demo${sid}`) })
    await r.advance(0)
    const tx = await r.control<{ callbacks: Array<{ httpStatus: number, forged: boolean }> }>('GET', `/_sim/transactions/${sid}`)
    expect(tx.body.callbacks).toMatchObject([{ httpStatus: 503, forged: false }])
  })
})

describe('iPay simulator: the control API', () => {
  it('describes itself: URLs, vendors (never keys), settings, the test phones', async () => {
    const r = await rig({ vendors: { shop: 'k3y-never-shown' } })
    const res = await r.control('GET', '/_sim')
    expect(res.body).toMatchObject({ base_url: r.sim.baseUrl, ipn_url: r.sim.ipnUrl, vendors: ['demo', 'shop'], settings: { customer_delay_ms: 5_000, callbacks: 'send' } })
    expect(Object.keys(res.body['test_phones'] as object)).toHaveLength(9)
    expect(JSON.stringify(res.body)).not.toContain('k3y-never-shown')
  })

  it('refuses bad control requests with a 400 naming the problem', async () => {
    const r = await rig()
    expect(await r.control('POST', '/_sim/settings', { callbacks: 'maybe', colour: 'red' })).toEqual({ status: 400, body: { error: 'callbacks must be "send" or "drop"; colour is not a setting' } })
    expect((await r.control('POST', '/_sim/faults', { endpoint: 'transact', mode: 'explode' })).status).toBe(400)
    expect((await r.control('POST', '/_sim/clock', { advance_ms: -5 })).status).toBe(400)
    expect((await r.control('POST', '/_sim/transactions/nope/forge', {})).status).toBe(404)
    expect((await r.control('POST', '/_sim/vendors', { vid: 'x' })).status).toBe(400)
  })

  it('adds vendors, injects one 500 at a time, and resets', async () => {
    const r = await rig()
    expect((await r.control('POST', '/_sim/vendors', { vid: 'shop', hash_key: 'k' })).body).toEqual({ vendors: ['demo', 'shop'] })
    expect((await post(`${r.sim.baseUrl}/transaction/search`, { oid: 'Z', vid: 'shop', hash: hmac('Zshop', 'k') })).status).toBe(404)
    await r.control('POST', '/_sim/faults', { endpoint: 'search', mode: 'error_500', count: 2 })
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${r.sim.baseUrl}/transaction/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ oid: 'Z', vid: 'shop', hash: hmac('Zshop', 'k') }) })).status)
    expect(statuses).toEqual([500, 500, 404])
    await transact(r, 'Q-1')
    expect((await r.control<{ transactions: unknown[] }>('GET', '/_sim/transactions')).body.transactions).toHaveLength(1)
    await r.control('POST', '/_sim/reset')
    expect((await r.control<{ transactions: unknown[] }>('GET', '/_sim/transactions')).body.transactions).toEqual([])
  })

  it('moves its clock: a prompt nobody answers times out after stk_timeout_ms', async () => {
    const r = await rig({ settings: { stkTimeoutMs: 30_000 } })
    const sid = await transact(r, 'T-1', '254700000005')
    await post(`${r.sim.baseUrl}/transact/push/mpesa`, { phone: '254700000005', sid, vid: 'demo', hash: hmac(`254700000005demo${sid}`) })
    expect((await r.advance(29_999)).body).toMatchObject({ settled: [], offset_ms: 29_999 })
    expect((await r.advance(1)).body).toMatchObject({ settled: [sid] })
    expect((await r.control('GET', `/_sim/transactions/${sid}`)).body).toMatchObject({ state: 'timed_out', status_code: IPAY_STATUS.pending })
  })
})
