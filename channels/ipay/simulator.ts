import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { Agent, request } from 'undici'
import { formatAmount, parseAmount } from '../../core/money.js'
import { kenyaInternational, normaliseKenyaPhone } from '../../core/phone.js'
import { isoSeconds, type Clock } from '../../core/time.js'
import { datastring, hmacSha256Hex, sameHash } from './hash.js'
import { IPAY_STATUS, IPAY_STATUS_TEXT } from './outcomes.js'
import { PAYBILL, SEARCH_TEXT, SimState, TEST_PHONES, shillings, type SimSettings, type SimTransaction } from './sim-state.js'

/**
 * A faithful iPay Africa on this machine (research note B.13): the REST calls under
 * `/payments/v2`, the IPN at `/ipn/`, GET callbacks to merchants, and a control API under `/_sim`
 * for operators and tests. channels/ipay/README.md is its manual.
 */

export const ENDPOINTS = ['transact', 'push', 'mobilemoney', 'search', 'refund', 'ipn'] as const
export type Endpoint = typeof ENDPOINTS[number]
/** `error_500`: answers 500 and does nothing. `hang`: never answers, does nothing. `lose_answer`: does the work, then drops the connection. */
export const FAULT_MODES = ['error_500', 'hang', 'lose_answer'] as const
export type FaultMode = typeof FAULT_MODES[number]

export interface IpaySimulatorOptions {
  port?: number
  host?: string
  clock?: Clock
  settings?: Partial<SimSettings>
  /** Vendors beside the built-in `demo` (key `demoCHANGED`): vid → hash key. */
  vendors?: Readonly<Record<string, string>>
  logger?: Logger
  /** How long a merchant's callback receiver gets to answer (default 10 s). */
  callbackTimeoutMs?: number
}

export interface IpaySimulator {
  /** e.g. http://127.0.0.1:8090 */
  readonly url: string
  /** What a channel's `base_url` should be: `${url}/payments/v2`. */
  readonly baseUrl: string
  /** What a channel's `ipn_url` should be: `${url}/ipn/`. */
  readonly ipnUrl: string
  readonly state: SimState
  close: () => Promise<void>
}

type Fields = Record<string, string>
interface IpayAnswer { status: number, json?: unknown, text?: string }

const REST = '/payments/v2'
/** What `transact/mobilemoney` answers beside the code for a session with money (B.5). */
const MONEY_FIELDS = ['mc', 'txncd', 'msisdn_id', 'msisdn_idnum', 'msisdn_custnum', 'channel', 'p1', 'p2', 'p3', 'p4'] as const

/** iPay's error body: `{"error":[{"text":…}]}` with HTTP 400 (B.11). */
function ipayError (text: string): IpayAnswer {
  return { status: 400, json: { error: [{ text }] } }
}

/**
 * A wrong hash, answered as iPay does (B.11): HTTP 400 whose text names the hash iPay expected.
 * An unknown vid gets the same answer (with a hash under a key nobody has), so vendor ids cannot
 * be probed.
 */
function badHash (expected: string): IpayAnswer {
  return ipayError(`Invalid hash. The expected hash ${expected} does not match the one sent.`)
}

/** The request's body as strings; JSON numbers (`"live": 0`) are read as their text, as iPay does. */
function bodyFields (body: unknown): Fields | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null
  const out: Fields = {}
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === 'string') out[k] = v
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v)
    else if (v === null) out[k] = ''
    else return null
  }
  return out
}

function txView (state: SimState, tx: SimTransaction): Record<string, unknown> {
  return {
    sid: tx.sid,
    vid: tx.vid,
    oid: tx.oid,
    inv: tx.inv,
    amount: formatAmount(tx.amountMinor),
    currency: tx.curr,
    tel: tx.tel,
    account: tx.account,
    cbk: tx.cbk,
    created_at: isoSeconds(tx.createdAt),
    state: tx.state,
    status_code: state.statusCode(tx),
    scenario: tx.scenario,
    due_at: tx.dueAt === null ? null : isoSeconds(tx.dueAt),
    push: tx.push === null ? null : { method: tx.push.method, phone: tx.push.phone, at: isoSeconds(tx.push.at) },
    pushes: tx.pushes,
    payment: tx.payment === null ? null : { mc: shillings(tx.payment.mcMinor), txncd: tx.payment.txncd, msisdn_id: tx.payment.name, msisdn_idnum: kenyaInternational(tx.payment.phone), channel: tx.payment.channel, paid_at: isoSeconds(tx.payment.paidAt) },
    callback_params: state.hasMoney(tx) ? state.callbackParams(tx) : null,
    callbacks: tx.callbacks.map((c) => ({ ...c, at: isoSeconds(c.at) })),
    refunds: tx.refunds.map((r) => ({ at: isoSeconds(r.at), amount: formatAmount(r.amountMinor), funded_from: r.fundedFrom }))
  }
}

export async function startIpaySimulator (options: IpaySimulatorOptions = {}): Promise<IpaySimulator> {
  const callbackAgent = new Agent({ connect: { timeout: options.callbackTimeoutMs ?? 10_000 }, headersTimeout: options.callbackTimeoutMs ?? 10_000, bodyTimeout: options.callbackTimeoutMs ?? 10_000 })
  const state = new SimState({
    clock: options.clock,
    settings: options.settings,
    vendors: options.vendors,
    deliver: async (url) => {
      try {
        const res = await request(url, { method: 'GET', dispatcher: callbackAgent, signal: AbortSignal.timeout(options.callbackTimeoutMs ?? 10_000) })
        await res.body.dump()
        return { httpStatus: res.statusCode, error: null }
      } catch (err) {
        const e = err as { code?: string, message?: string }
        return { httpStatus: null, error: `${e.code ?? ''} ${e.message ?? String(err)}`.trim().slice(0, 200) }
      }
    }
  })
  const log = options.logger
  // The key an unknown vid is checked against: random, so no hash ever matches it.
  const nobodysKey = randomBytes(32).toString('hex')
  const faults: Array<{ endpoint: Endpoint, mode: FaultMode, remaining: number }> = []
  const hung = new Set<Socket>()
  /** Where this simulator listens; set once listening (the overview route reads it). */
  let url = ''

  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, forceCloseConnections: true })
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })

  function hashOk (vid: string, data: string, sent: string): IpayAnswer | null {
    const expected = hmacSha256Hex(state.vendors.get(vid) ?? nobodysKey, data)
    return state.vendors.has(vid) && sameHash(expected, sent) ? null : badHash(expected)
  }

  /**
   * Reads the fields a call needs; missing ones are iPay's 400. Then the hash, then the call.
   * Faults injected for the endpoint apply first, as a broken iPay would.
   */
  function serve (endpoint: Endpoint, required: readonly string[], hash: ((f: Fields) => string) | null, handle: (f: Fields) => IpayAnswer) {
    return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      state.settleDue()
      const fault = faults.find((f) => f.endpoint === endpoint && f.remaining > 0)
      if (fault !== undefined) fault.remaining--
      if (fault?.mode === 'error_500') return await reply.code(500).type('text/html').send('<html><body><h1>500 Internal Server Error</h1></body></html>')
      if (fault?.mode === 'hang') {
        const socket = req.raw.socket
        hung.add(socket)
        socket.once('close', () => hung.delete(socket))
        reply.hijack()
        return reply
      }
      const fields = bodyFields(endpoint === 'ipn' ? req.query : req.body)
      let answer: IpayAnswer
      if (fields === null) answer = ipayError('The request parameters could not be read')
      else {
        const missing = required.filter((k) => (fields[k] ?? '') === '')
        if (missing.length > 0) answer = ipayError(`Missing parameter(s): ${missing.join(', ')}`)
        else answer = (hash === null ? null : hashOk(fields['vid'] ?? '', hash(fields), fields['hash'] ?? '')) ?? handle(fields)
      }
      // Never the body: it carries hashes. What was asked and what was answered is enough.
      log?.info({ endpoint, sid: fields?.['sid'], oid: fields?.['oid'] ?? fields?.['id'], status: answer.status }, 'ipay-sim request')
      if (fault?.mode === 'lose_answer') {
        reply.hijack()
        req.raw.socket.destroy()
        return reply
      }
      if (answer.text !== undefined) return await reply.code(answer.status).type('text/plain; charset=utf-8').send(answer.text)
      return await reply.code(answer.status).send(answer.json)
    }
  }

  function sessionOf (f: Fields): SimTransaction | null {
    const tx = state.transactions.get(f['sid'] ?? '')
    return tx !== undefined && tx.vid === f['vid'] ? tx : null
  }

  app.post(`${REST}/transact`, serve('transact', ['live', 'oid', 'amount', 'tel', 'vid', 'curr', 'cbk', 'hash'], (f) => datastring.transact({
    live: f['live'] ?? '', oid: f['oid'] ?? '', inv: f['inv'] ?? '', amount: f['amount'] ?? '', tel: f['tel'] ?? '', eml: f['eml'] ?? '', vid: f['vid'] ?? '', curr: f['curr'] ?? '',
    p1: f['p1'] ?? '', p2: f['p2'] ?? '', p3: f['p3'] ?? '', p4: f['p4'] ?? '', cst: f['cst'] ?? '', cbk: f['cbk'] ?? ''
  }), (f) => {
    const amountMinor = parseAmount(f['amount'])
    if (amountMinor === null || amountMinor <= 0) return ipayError('Invalid amount')
    if (normaliseKenyaPhone(f['tel'] ?? '') === null) return ipayError('Invalid telephone number')
    if (!['KES', 'USD'].includes(f['curr'] ?? '')) return ipayError('Invalid currency')
    if ((f['oid'] ?? '').length > 34) return ipayError('oid is longer than 34 characters')
    if ((f['cbk'] ?? '').length > 100 || !/^https?:\/\//.test(f['cbk'] ?? '')) return ipayError('Invalid callback url')
    const tx = state.open({
      vid: f['vid'] ?? '', oid: f['oid'] ?? '', inv: f['inv'] ?? '', amountMinor, curr: f['curr'] ?? '', tel: f['tel'] ?? '', eml: f['eml'] ?? '',
      p: [f['p1'] ?? '', f['p2'] ?? '', f['p3'] ?? '', f['p4'] ?? ''], cbk: f['cbk'] ?? '', live: f['live'] ?? ''
    })
    return {
      status: 200,
      json: {
        header_status: 200,
        status: 1,
        data: { sid: tx.sid, oid: tx.oid, amount: f['amount'], account: tx.account, payment_channels: [{ name: 'MPESA', paybill: PAYBILL }, { name: 'AIRTEL', paybill: PAYBILL }] }
      }
    }
  }))

  for (const method of ['mpesa', 'airtel'] as const) {
    app.post(`${REST}/transact/push/${method}`, serve('push', ['phone', 'sid', 'vid', 'hash'], (f) => datastring.stkPush({ phone: f['phone'] ?? '', vid: f['vid'] ?? '', sid: f['sid'] ?? '' }), (f) => {
      const tx = sessionOf(f)
      if (tx === null) return ipayError('Invalid sid')
      const phone = normaliseKenyaPhone(f['phone'] ?? '')
      if (phone === null) return ipayError('Invalid phone number')
      if (state.hasMoney(tx)) return ipayError('This transaction has already been paid')
      state.push(tx, method, phone)
      return { status: 200, json: { header_status: 200, status: 1, text: `A Payment request has been sent to the ${method === 'mpesa' ? 'MPESA' : 'AIRTEL'} number ${kenyaInternational(phone)}` } }
    }))
  }

  app.post(`${REST}/transact/mobilemoney`, serve('mobilemoney', ['sid', 'vid', 'hash'], (f) => datastring.status({ sid: f['sid'] ?? '', vid: f['vid'] ?? '' }), (f) => {
    const tx = sessionOf(f)
    if (tx === null) return ipayError('Invalid sid')
    const code = state.statusCode(tx)
    if (!state.hasMoney(tx)) return { status: 200, json: { header_status: 200, status: code, text: IPAY_STATUS_TEXT[code] } }
    const all = state.callbackParams(tx)
    const money = Object.fromEntries(MONEY_FIELDS.map((k) => [k, all[k] ?? '']))
    return { status: 200, json: { header_status: 200, status: code, text: IPAY_STATUS_TEXT[code], oid: tx.oid, ...money } }
  }))

  app.post(`${REST}/transaction/search`, serve('search', ['oid', 'vid', 'hash'], (f) => datastring.search({ oid: f['oid'] ?? '', vid: f['vid'] ?? '' }), (f) => {
    const tx = state.searchLookup(f['vid'] ?? '', f['oid'] ?? '')
    if (tx === null || tx.state === 'awaiting') return { status: 404, json: { header_status: 404, status: 0, message: SEARCH_TEXT.awaiting } }
    if (tx.state !== 'paid' && tx.state !== 'less' && tx.state !== 'more') return { status: 400, json: { header_status: 400, status: 0, message: SEARCH_TEXT[tx.state] } }
    const pay = tx.payment
    if (pay === null) return { status: 404, json: { header_status: 404, status: 0, message: SEARCH_TEXT.awaiting } }
    const [firstname, ...rest] = pay.name.split(' ')
    return {
      status: 200,
      json: {
        header_status: 200,
        status: 1,
        text: 'payment record found',
        data: {
          vid: tx.vid, session_id: tx.sid, oid: tx.oid, transaction_amount: formatAmount(pay.mcMinor), transaction_code: pay.txncd,
          telephone: kenyaInternational(pay.phone), firstname: firstname ?? '', lastname: rest.join(' '),
          // iPay's clock is Nairobi's (UTC+3), written "yyyy-mm-dd hh:mm:ss".
          paid_at: new Date(pay.paidAt + 3 * 3_600_000).toISOString().slice(0, 19).replace('T', ' '),
          payment_mode: pay.channel
        }
      }
    }
  }))

  app.post(`${REST}/transaction/refund`, serve('refund', ['code', 'vid', 'hash'], (f) => datastring.refund(f), (f) => {
    const amount = f['amount'] === undefined || f['amount'] === '' ? null : parseAmount(f['amount'])
    if (amount === null && f['amount'] !== undefined && f['amount'] !== '') return ipayError('Invalid amount')
    const result = state.refund(f['vid'] ?? '', f['code'] ?? '', amount)
    if (result.status !== 200) return { status: 200, json: { status: result.status, text: result.text } }
    return { status: 200, json: { status: 200, ...result.body, text: result.text, email_response: 'Mail sent succesfully' } }
  }))

  const ipn = serve('ipn', [], null, (q) => {
    const tx = state.ipnLookup(q)
    return { status: 200, text: tx === null ? IPAY_STATUS.failed : state.statusCode(tx) }
  })
  app.get('/ipn/', ipn)
  app.get('/ipn', ipn)

  // ---- control API: /_sim -------------------------------------------------------------------
  const control = (status: number, error: string): { status: number, body: { error: string } } => ({ status, body: { error } })
  function txOr404 (req: FastifyRequest): SimTransaction | { status: number, body: { error: string } } {
    const sid = (req.params as { sid: string }).sid
    return state.transactions.get(sid) ?? control(404, `no transaction with sid ${sid}`)
  }
  const isTx = (v: SimTransaction | { status: number }): v is SimTransaction => 'sid' in v

  app.get('/_sim', async () => ({
    base_url: `${url}${REST}`,
    ipn_url: `${url}/ipn/`,
    vendors: [...state.vendors.keys()],
    settings: settingsView(state.settings),
    clock: { now: isoSeconds(state.now()), offset_ms: state.offsetMs },
    test_phones: Object.fromEntries(Object.entries(TEST_PHONES).map(([phone, t]) => [phone, { outcome: t.scenario, what: t.what }])),
    faults: faults.filter((f) => f.remaining > 0)
  }))

  app.get('/_sim/transactions', async () => ({ transactions: [...state.transactions.values()].map((tx) => txView(state, tx)) }))
  app.get('/_sim/transactions/:sid', async (req, reply) => {
    state.settleDue()
    const tx = txOr404(req)
    return isTx(tx) ? txView(state, tx) : await reply.code(tx.status).send(tx.body)
  })

  app.post('/_sim/vendors', async (req, reply) => {
    const b = bodyFields(req.body)
    if (b === null || (b['vid'] ?? '') === '' || (b['hash_key'] ?? '') === '') return await reply.code(400).send({ error: 'body must be {"vid": "…", "hash_key": "…"}' })
    state.vendors.set(b['vid'] ?? '', b['hash_key'] ?? '')
    return { vendors: [...state.vendors.keys()] }
  })

  app.post('/_sim/settings', async (req, reply) => {
    const b = req.body as Record<string, unknown> | null
    const next = { ...state.settings }
    const errors: string[] = []
    const ms = (key: string, prop: 'customerDelayMs' | 'stkTimeoutMs'): void => {
      const v = b?.[key]
      if (v === undefined) return
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0) next[prop] = v
      else errors.push(`${key} must be a whole number of ms ≥ 0`)
    }
    ms('customer_delay_ms', 'customerDelayMs')
    ms('stk_timeout_ms', 'stkTimeoutMs')
    if (b?.['callbacks'] !== undefined) {
      if (b['callbacks'] === 'send' || b['callbacks'] === 'drop') next.callbacks = b['callbacks']
      else errors.push('callbacks must be "send" or "drop"')
    }
    if (b?.['callback_repeat'] !== undefined) {
      const v = b['callback_repeat']
      if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 10) next.callbackRepeat = v
      else errors.push('callback_repeat must be 1 to 10')
    }
    if (b?.['b2c_float'] !== undefined) {
      const v = parseAmount(b['b2c_float'])
      if (v !== null) next.b2cFloatMinor = v
      else errors.push('b2c_float must be an amount')
    }
    const unknown = Object.keys(b ?? {}).filter((k) => !['customer_delay_ms', 'stk_timeout_ms', 'callbacks', 'callback_repeat', 'b2c_float'].includes(k))
    for (const k of unknown) errors.push(`${k} is not a setting`)
    if (errors.length > 0) return await reply.code(400).send({ error: errors.join('; ') })
    state.settings = next
    return settingsView(state.settings)
  })

  app.get('/_sim/clock', async () => ({ now: isoSeconds(state.now()), offset_ms: state.offsetMs }))
  app.post('/_sim/clock', async (req, reply) => {
    const v = (req.body as Record<string, unknown> | null)?.['advance_ms']
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return await reply.code(400).send({ error: 'body must be {"advance_ms": N} with N a whole number ≥ 0' })
    const settled = await state.advance(v)
    return { now: isoSeconds(state.now()), offset_ms: state.offsetMs, settled }
  })

  app.post('/_sim/faults', async (req, reply) => {
    const b = req.body as Record<string, unknown> | null
    const endpoint = b?.['endpoint']
    const mode = b?.['mode']
    const count = b?.['count'] ?? 1
    if (!(ENDPOINTS as readonly unknown[]).includes(endpoint) || !(FAULT_MODES as readonly unknown[]).includes(mode) || typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
      return await reply.code(400).send({ error: `body must be {"endpoint": ${ENDPOINTS.join('|')}, "mode": ${FAULT_MODES.join('|')}, "count"?: N ≥ 1}` })
    }
    faults.push({ endpoint: endpoint as Endpoint, mode: mode as FaultMode, remaining: count })
    return { faults: faults.filter((f) => f.remaining > 0) }
  })
  app.delete('/_sim/faults', async () => {
    faults.length = 0
    releaseHung()
    return { faults: [] }
  })

  app.post('/_sim/transactions/:sid/callback', async (req, reply) => {
    state.settleDue()
    const tx = txOr404(req)
    if (!isTx(tx)) return await reply.code(tx.status).send(tx.body)
    if (!state.hasMoney(tx)) return await reply.code(409).send({ error: `no money has come for ${tx.sid} (state ${tx.state}): iPay has no callback to send; use /forge to send a false one` })
    const times = Number((req.body as Record<string, unknown> | null)?.['times'] ?? 1)
    if (!Number.isInteger(times) || times < 1 || times > 10) return await reply.code(400).send({ error: 'times must be 1 to 10' })
    const sent = await Promise.all(Array.from({ length: times }, async () => await state.callBack(tx, state.callbackParams(tx), false)))
    return { callbacks: sent.map((c) => ({ ...c, at: isoSeconds(c.at) })) }
  })

  app.post('/_sim/transactions/:sid/forge', async (req, reply) => {
    state.settleDue()
    const tx = txOr404(req)
    if (!isTx(tx)) return await reply.code(tx.status).send(tx.body)
    const b = req.body as Record<string, unknown> | null
    const named = b?.['status'] ?? 'paid'
    const status = typeof named === 'string' ? (IPAY_STATUS as Record<string, string>)[named] ?? named : null
    if (status === null) return await reply.code(400).send({ error: 'status must be a code or one of paid, less, more, used, pending, failed' })
    const tokens = b?.['tokens'] ?? 'real'
    if (tokens !== 'real' && tokens !== 'random') return await reply.code(400).send({ error: 'tokens must be "real" or "random"' })
    const overrides: Record<string, string> = {
      mc: typeof b?.['mc'] === 'string' ? b['mc'] : shillings(tx.amountMinor),
      txncd: typeof b?.['txncd'] === 'string' ? b['txncd'] : 'UAA0FORGED',
      msisdn_id: 'FORGED PAYER',
      msisdn_idnum: tx.push === null ? '254700000000' : kenyaInternational(tx.push.phone),
      channel: 'MPESA'
    }
    if (tokens === 'random') for (const t of ['qwh', 'afd', 'poi', 'uyt', 'ifd', 'agt']) overrides[t] = randomBytes(6).toString('hex')
    const record = await state.callBack(tx, state.callbackParams(tx, status, overrides), true)
    return { callback: { ...record, at: isoSeconds(record.at) }, true_status: state.statusCode(tx) }
  })

  app.post('/_sim/transactions/:sid/pay', async (req, reply) => {
    state.settleDue()
    const tx = txOr404(req)
    if (!isTx(tx)) return await reply.code(tx.status).send(tx.body)
    const b = req.body as Record<string, unknown> | null
    const amount = b?.['amount'] === undefined ? tx.amountMinor : parseAmount(b['amount'])
    const phone = b?.['phone'] === undefined ? normaliseKenyaPhone(tx.tel) : typeof b['phone'] === 'string' ? normaliseKenyaPhone(b['phone']) : null
    if (amount === null || amount <= 0) return await reply.code(400).send({ error: 'amount must be a positive amount' })
    if (phone === null) return await reply.code(400).send({ error: 'phone must be a Kenyan mobile number' })
    if (state.hasMoney(tx)) return await reply.code(409).send({ error: `${tx.sid} is already paid` })
    state.payByHand(tx, amount, phone, typeof b?.['name'] === 'string' ? b['name'] : null)
    await state.idle()
    return txView(state, tx)
  })

  app.post('/_sim/reset', async () => {
    state.reset()
    faults.length = 0
    releaseHung()
    return { reset: true }
  })

  function releaseHung (): void {
    for (const socket of hung) socket.destroy()
    hung.clear()
  }

  url = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' })
  return {
    url,
    baseUrl: `${url}${REST}`,
    ipnUrl: `${url}/ipn/`,
    state,
    close: async () => {
      state.close()
      releaseHung()
      await state.idle()
      await app.close()
      await callbackAgent.close()
    }
  }
}

function settingsView (s: SimSettings): Record<string, unknown> {
  return { customer_delay_ms: s.customerDelayMs, stk_timeout_ms: s.stkTimeoutMs, callbacks: s.callbacks, callback_repeat: s.callbackRepeat, b2c_float: formatAmount(s.b2cFloatMinor) }
}
