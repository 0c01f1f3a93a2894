import { formatAmount, parseTelcoAmount, type MinorUnits } from '../../core/money.js'
import { kenyaInternational, normaliseKenyaPhone } from '../../core/phone.js'
import { IpayError, type IpayCall } from './errors.js'
import { datastring, hmacSha256Hex } from './hash.js'
import { LegHttp, TransportFailure, type Answer, type Leg } from './http.js'
import { moneyKindFor, outcomeFromCode, outcomeFromSearchText, type IpayOutcome } from './outcomes.js'

/** A channel entry's iPay part (issue 15): where iPay is, who we are to it, and its key. */
export interface IpayConfig {
  /** REST base, e.g. "https://apis.ipayafrica.com/payments/v2" (no trailing slash needed). */
  base_url: string
  /** The IPN check, e.g. "https://www.ipayafrica.com/ipn/". */
  ipn_url: string
  vendor_id: string
  hash_key: string
  /** false sends `live=0` (iPay's test mode). */
  live: boolean
  currency: 'KES' | 'USD'
}

export interface IpayClientOptions {
  /** Per call, covering connect, headers and body (default 20 s). */
  timeoutMs?: number
  /** Called once per HTTP exchange, with bodies redacted: the channel's audit log. */
  onLeg?: (leg: IpayLeg) => void
  now?: () => number
}

export type IpayLeg = Leg & { call: IpayCall }

export interface TransactRequest {
  /** Our order id (≤ 34 characters); `transaction/search` and the callback's `id` carry it back. */
  oid: string
  /** Invoice number (≤ 15); defaults to `oid` when that fits. */
  inv?: string
  amountMinor: MinorUnits
  /** Kenyan mobile number in any accepted form (07…, 01…, 2547…, +254…). */
  phone: string
  email?: string
  /** Where iPay sends its GET callback (≤ 100 characters). */
  callbackUrl: string
  /** Custom parameters (≤ 15 each), echoed in the callback and the status answer. */
  p1?: string
  p2?: string
  p3?: string
  p4?: string
  /** `cst`: iPay e-mails the customer (default false). */
  notifyCustomer?: boolean
  /** `autopay`: iPay triggers the callback itself once paid (default true). */
  autopay?: boolean
}

/** What `transact` gives: the session for the push and polling, and how a customer can pay by hand. */
export interface IpaySession {
  sid: string
  oid: string
  /** Account number to quote at the paybill(s) below; null when iPay did not give one. */
  account: string | null
  /** The amount as iPay echoed it. */
  amount: string | null
  paybills: Array<{ channel: string, paybill: string }>
}

export type StkMethod = 'mpesa' | 'airtel'

export type IpayRefund =
  | { ok: true, amountMinor: MinorUnits | null, code: string, text: string, c2bFunds: string | null, b2cFunds: string | null }
  | { ok: false, status: number | null, text: string }

/** What the IPN round trip says about a callback. */
export interface IpnCheck {
  /** The callback's `id` (our oid); null when absent. */
  oid: string | null
  /** The status code the callback claimed. */
  claimed: string | null
  /** The status string the IPN answered; null when the callback lacked what the IPN needs (nothing was asked). */
  ipnStatus: string | null
  /**
   * The IPN's verdict as an outcome. Money details (`mc`, `txncd`, payer) are the callback's own
   * (all null when the callback is contradicted): the IPN vouches for the status, not for them —
   * confirm the amount with `status(sid)` before settling on it.
   */
  outcome: IpayOutcome
  /** The callback claimed something the IPN does not confirm: log it as forged; it changes nothing. */
  contradicted: boolean
}

/** The callback parameters iPay says to hand back to the IPN, in its URL's order (B.8). */
export const IPN_PARAMS = ['id', 'ivm', 'qwh', 'afd', 'poi', 'uyt', 'ifd'] as const

const LIMITS = { oid: 34, inv: 15, p: 15, cbk: 100 } as const

/** Any run of hex as long as a SHA-1 or SHA-256 digest: a computed hash, or one iPay echoes back. */
const HASH_HEX = /\b[0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?\b/g

/**
 * iPay's REST API and IPN for one vendor account. Every method makes exactly the documented
 * request, reads iPay's answer into a typed result, and reports each exchange as a leg. Failures
 * throw IpayError, whose `retry` says whether the call may be repeated. The client keeps no state
 * between calls: the caller (the channel's outbox) owns sids, retries and back-off.
 */
export class IpayClient {
  readonly #config: IpayConfig
  readonly #http: LegHttp
  readonly #base: string

  constructor (config: IpayConfig, options: IpayClientOptions = {}) {
    this.#config = config
    this.#base = config.base_url.replace(/\/+$/, '')
    this.#http = new LegHttp({
      timeoutMs: options.timeoutMs ?? 20_000,
      redact: (text) => this.redact(text),
      onLeg: options.onLeg as ((leg: Leg) => void) | undefined,
      now: options.now
    })
  }

  /** Masks the hash key and anything shaped like a computed hash. */
  redact (text: string): string {
    const key = this.#config.hash_key
    const masked = key.length >= 4 ? text.split(key).join('[redacted]') : text
    return masked.replace(HASH_HEX, '[redacted-hash]')
  }

  /** `POST /transact`: opens a payment session (no money moves) and gives its sid. */
  async transact (req: TransactRequest): Promise<IpaySession> {
    const call = 'transact'
    const tel = this.#phone(call, req.phone)
    const inv = req.inv ?? (req.oid.length <= LIMITS.inv ? req.oid : '')
    const fields = {
      live: this.#config.live ? '1' : '0',
      oid: req.oid,
      inv,
      amount: this.#amount(call, req.amountMinor),
      tel,
      eml: req.email ?? '',
      vid: this.#config.vendor_id,
      curr: this.#config.currency,
      p1: req.p1 ?? '',
      p2: req.p2 ?? '',
      p3: req.p3 ?? '',
      p4: req.p4 ?? '',
      cst: req.notifyCustomer === true ? '1' : '0',
      cbk: req.callbackUrl
    }
    checkLength(call, 'oid', fields.oid, LIMITS.oid, true)
    checkLength(call, 'inv', fields.inv, LIMITS.inv, false)
    for (const p of ['p1', 'p2', 'p3', 'p4'] as const) checkLength(call, p, fields[p], LIMITS.p, false)
    checkLength(call, 'cbk', fields.cbk, LIMITS.cbk, true)
    const body = { ...fields, crl: '0', autopay: req.autopay === false ? '0' : '1' }
    const answer = await this.#post(call, '/transact', body, datastring.transact(fields), 'safe')
    const json = acceptedJson(call, answer, 'safe')
    const data = objectAt(json, 'data')
    const sid = stringAt(data, 'sid')
    if (sid === null) throw new IpayError('ipay_bad_response', call, 'safe', `no data.sid in the answer (HTTP ${answer.statusCode})`, answer.statusCode)
    const channels = Array.isArray(data?.['payment_channels']) ? data['payment_channels'] as unknown[] : []
    return {
      sid,
      oid: stringAt(data, 'oid') ?? req.oid,
      account: stringAt(data, 'account'),
      amount: stringAt(data, 'amount'),
      paybills: channels.flatMap((c) => {
        const o = c as Record<string, unknown>
        const name = stringAt(o, 'name')
        const paybill = stringAt(o, 'paybill')
        return name !== null && paybill !== null ? [{ channel: name, paybill }] : []
      })
    }
  }

  /**
   * `POST /transact/push/{mpesa|airtel}`: sends the PIN prompt to the customer's phone. Accepted is
   * not paid: the outcome comes later from the callback (verified), `status` or `search`. A lost
   * answer is `after_check`: a blind retry would prompt the customer twice.
   */
  async stkPush (req: { method: StkMethod, phone: string, sid: string }): Promise<{ text: string }> {
    const call = 'stk_push'
    if (req.method !== 'mpesa' && req.method !== 'airtel') throw new IpayError('ipay_invalid_request', call, 'no', `method must be mpesa or airtel (got ${JSON.stringify(req.method)})`)
    const phone = this.#phone(call, req.phone)
    const vid = this.#config.vendor_id
    const answer = await this.#post(call, `/transact/push/${req.method}`, { phone, sid: req.sid, vid }, datastring.stkPush({ phone, vid, sid: req.sid }), 'after_check')
    const json = acceptedJson(call, answer, 'after_check')
    return { text: stringAt(json, 'text') ?? '' }
  }

  /** `POST /transact/mobilemoney`: iPay's status code for a session, with the money's details. */
  async status (req: { sid: string }): Promise<IpayOutcome> {
    const call = 'status'
    const vid = this.#config.vendor_id
    const answer = await this.#post(call, '/transact/mobilemoney', { sid: req.sid, vid }, datastring.status({ sid: req.sid, vid }), 'safe')
    const json = readJson(call, answer)
    const code = stringAt(json, 'status')
    if (answer.statusCode !== 200 || code === null) throw refusal(call, answer, json)
    return outcomeFromCode(code, json ?? {})
  }

  /**
   * `POST /transaction/search`: the record of an order. A record found is paid, less or more
   * against `amountMinor` (the amount asked for); iPay's free-text errors (cancelled, wrong PIN,
   * insufficient, timed out, no record yet) become the matching outcome.
   */
  async search (req: { oid: string, amountMinor: MinorUnits }): Promise<IpayOutcome> {
    const call = 'search'
    const vid = this.#config.vendor_id
    const answer = await this.#post(call, '/transaction/search', { oid: req.oid, vid }, datastring.search({ oid: req.oid, vid }), 'safe')
    const json = readJson(call, answer)
    const data = objectAt(json, 'data')
    if (answer.statusCode === 200 && Number(json?.['status']) === 1 && data !== null) {
      const amount = stringAt(data, 'transaction_amount')
      const amountMinor = amount === null ? null : parseTelcoAmount(amount)
      if (amountMinor === null) throw new IpayError('ipay_bad_response', call, 'safe', 'a record without a readable transaction_amount', answer.statusCode)
      const name = [stringAt(data, 'firstname'), stringAt(data, 'lastname')].filter((n) => n !== null).join(' ')
      const phone = stringAt(data, 'telephone')
      return {
        kind: moneyKindFor(amountMinor, req.amountMinor),
        text: stringAt(json, 'text') ?? 'payment record found',
        payment: {
          amountMinor,
          receipt: stringAt(data, 'transaction_code'),
          payerName: name === '' ? null : name,
          payerPhone: phone === null ? null : normaliseKenyaPhone(phone),
          channel: stringAt(data, 'payment_mode')
        }
      }
    }
    const message = stringAt(json, 'message')
    if (answer.statusCode >= 400 && answer.statusCode < 500 && message !== null) return outcomeFromSearchText(message)
    throw refusal(call, answer, json)
  }

  /**
   * `POST /transaction/refund` of a paid transaction's code (`txncd`), whole or `amountMinor` of it.
   * iPay's "status 200" is the only success; any other answer it gives is a refusal, returned.
   */
  async refund (req: { code: string, amountMinor?: MinorUnits }): Promise<IpayRefund> {
    const call = 'refund'
    const params: Record<string, string> = { code: req.code, vid: this.#config.vendor_id }
    if (req.amountMinor !== undefined) params['amount'] = this.#amount(call, req.amountMinor)
    const answer = await this.#post(call, '/transaction/refund', params, datastring.refund(params), 'after_check')
    const json = readJson(call, answer)
    const status = typeof json?.['status'] === 'number' ? json['status'] : Number(stringAt(json, 'status') ?? NaN)
    const text = stringAt(json, 'text') ?? ''
    if (answer.statusCode === 200 && status === 200) {
      const amount = stringAt(json, 'amount')
      return { ok: true, amountMinor: amount === null ? null : parseTelcoAmount(amount), code: stringAt(json, 'code') ?? req.code, text, c2bFunds: stringAt(json, 'c2bfunds'), b2cFunds: stringAt(json, 'b2cfunds') }
    }
    if (answer.statusCode < 500 && Number.isFinite(status) && text !== '') return { ok: false, status, text }
    throw refusal(call, answer, json, 'after_check')
  }

  /**
   * Asks the IPN about a callback and answers what the IPN says. The callback's own `status` is
   * only compared, never used: a forged or replayed callback is `contradicted` and its outcome is
   * whatever the IPN vouches for (pending, or `unverified` when iPay does not know it).
   */
  async verifyIpn (callback: Readonly<Record<string, string | readonly string[] | undefined>>): Promise<IpnCheck> {
    const param = (name: string): string | null => {
      const v = callback[name]
      const s = Array.isArray(v) ? v[0] : v
      return typeof s === 'string' && s !== '' ? s : null
    }
    const claimed = param('status')
    const oid = param('id')
    const missing = IPN_PARAMS.filter((p) => param(p) === null)
    if (missing.length > 0) {
      return { oid, claimed, ipnStatus: null, outcome: { kind: 'unverified', text: `callback lacks ${missing.join(', ')}: nothing to ask the IPN` }, contradicted: claimed !== null }
    }
    const query = new URLSearchParams([['vendor', this.#config.vendor_id], ...IPN_PARAMS.map((p) => [p, param(p) ?? ''] as [string, string])])
    const url = `${this.#config.ipn_url}${this.#config.ipn_url.includes('?') ? '&' : '?'}${query.toString()}`
    const answer = await this.#exchange('ipn', 'GET', url, undefined, 'safe')
    if (answer.statusCode !== 200) throw refusal('ipn', answer, null, 'safe')
    const ipnStatus = answer.body.trim()
    const contradicted = claimed !== ipnStatus
    // A contradicted callback's amount, receipt and payer are as untrustworthy as its status.
    const details = contradicted ? {} : Object.fromEntries(['mc', 'txncd', 'msisdn_id', 'msisdn_idnum', 'channel'].map((k) => [k, param(k)]))
    return { oid, claimed, ipnStatus, outcome: outcomeFromCode(ipnStatus, details), contradicted }
  }

  async close (): Promise<void> {
    await this.#http.close()
  }

  #phone (call: IpayCall, input: string): string {
    const display = normaliseKenyaPhone(input)
    if (display === null) throw new IpayError('ipay_invalid_request', call, 'no', `${JSON.stringify(input.slice(0, 20))} is not a Kenyan mobile number (07…, 01…, 2547…, +254…)`)
    return kenyaInternational(display)
  }

  /** KES goes as whole shillings ("150"): M-Pesa and Airtel Money carry no cents. */
  #amount (call: IpayCall, minor: MinorUnits): string {
    if (!Number.isSafeInteger(minor) || minor <= 0) throw new IpayError('ipay_invalid_request', call, 'no', 'amount must be a positive amount')
    if (this.#config.currency === 'KES') {
      if (minor % 100 !== 0) throw new IpayError('ipay_invalid_request', call, 'no', `KES amounts must be whole shillings (got ${formatAmount(minor)})`)
      return String(minor / 100)
    }
    return formatAmount(minor)
  }

  async #post (call: IpayCall, path: string, params: Readonly<Record<string, string>>, data: string, onLost: 'safe' | 'after_check'): Promise<Answer> {
    const hash = hmacSha256Hex(this.#config.hash_key, data)
    return await this.#exchange(call, 'POST', `${this.#base}${path}`, { sent: { ...params, hash }, shown: { ...params, hash: '[redacted]' } }, onLost)
  }

  /** One exchange; a missing answer becomes an IpayError whose retry depends on whether the request left. */
  async #exchange (call: IpayCall, method: 'GET' | 'POST', url: string, form: Parameters<LegHttp['exchange']>[3], onLost: 'safe' | 'after_check'): Promise<Answer> {
    try {
      return await this.#http.exchange(call, method, url, form)
    } catch (err) {
      if (!(err instanceof TransportFailure)) throw err
      const retry = err.sent ? onLost : 'safe'
      const code = err.kind === 'timeout' ? 'ipay_timeout' : err.kind === 'too_large' ? 'ipay_bad_response' : 'ipay_unreachable'
      throw new IpayError(code, call, retry, err.message, null, { cause: err })
    }
  }
}

type Json = Record<string, unknown>

function checkLength (call: IpayCall, field: string, value: string, max: number, required: boolean): void {
  if (required && value === '') throw new IpayError('ipay_invalid_request', call, 'no', `${field} is required`)
  if (value.length > max) throw new IpayError('ipay_invalid_request', call, 'no', `${field} is longer than iPay's ${max} characters`)
}

function readJson (call: IpayCall, answer: Answer): Json | null {
  try {
    const v: unknown = JSON.parse(answer.body)
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Json : null
  } catch {
    if (answer.statusCode >= 500) return null
    if (answer.statusCode === 200) throw new IpayError('ipay_bad_response', call, 'safe', `answer is not JSON (HTTP ${answer.statusCode})`, answer.statusCode)
    return null
  }
}

function objectAt (json: Json | null, key: string): Json | null {
  const v = json?.[key]
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Json : null
}

function stringAt (json: Json | null, key: string): string | null {
  const v = json?.[key]
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return typeof v === 'string' && v !== '' ? v : null
}

/** iPay's "accepted": HTTP 200 with `status: 1` and `header_status: 200` (B.11). */
function acceptedJson (call: IpayCall, answer: Answer, unreadable: 'safe' | 'after_check'): Json {
  const json = readJson(call, answer)
  if (answer.statusCode === 200 && json !== null && Number(json['status']) === 1 && Number(json['header_status'] ?? 200) === 200) return json
  throw refusal(call, answer, json, unreadable)
}

/**
 * The error for an answer that is not the success the call expects: 5xx is iPay's trouble
 * (retryable as the call allows), 4xx with iPay's `{"error":[{"text"}]}` is a refusal (`no`).
 */
function refusal (call: IpayCall, answer: Answer, json: Json | null, onServerError: 'safe' | 'after_check' = 'safe'): IpayError {
  if (answer.statusCode >= 500) return new IpayError('ipay_server_error', call, onServerError, `HTTP ${answer.statusCode}`, answer.statusCode)
  const errors = Array.isArray(json?.['error']) ? json['error'] as unknown[] : []
  const texts = errors.map((e) => stringAt(e as Json, 'text')).filter((t): t is string => t !== null)
  const said = texts.length > 0 ? texts.join('; ') : stringAt(json, 'text') ?? stringAt(json, 'message')
  if (answer.statusCode >= 400) return new IpayError('ipay_rejected', call, 'no', `HTTP ${answer.statusCode}: ${maskHashes(said ?? 'no reason given')}`, answer.statusCode)
  return new IpayError('ipay_bad_response', call, onServerError, `unexpected answer (HTTP ${answer.statusCode}${said === null ? '' : `: ${maskHashes(said)}`})`, answer.statusCode)
}

/** iPay's hash-error text seems to echo a hash (B.11): never let one into a message or a log. */
function maskHashes (text: string): string {
  return text.replace(HASH_HEX, '[redacted-hash]').slice(0, 300)
}
