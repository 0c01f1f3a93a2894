import { randomInt, randomUUID } from 'node:crypto'
import { formatAmount, type MinorUnits } from '../../core/money.js'
import { kenyaInternational } from '../../core/phone.js'
import { systemClock, type Clock } from '../../core/time.js'
import { IPAY_STATUS, type IpayStatusCode } from './outcomes.js'

/**
 * The simulated iPay's memory and its customers: sessions, STK pushes and what each test phone
 * does with the prompt, money in, refunds, and the callbacks owed to merchants. No HTTP server
 * here (simulator.ts is that); callbacks leave through the injected `deliver`.
 */

/** What the customer behind a phone does with an STK prompt. */
export type Scenario = 'paid' | 'less' | 'more' | 'used' | 'cancelled' | 'wrong_pin' | 'insufficient_funds' | 'timed_out' | 'paid_no_callback'

/** The test phones (display form; any accepted form of them works). Every other number pays in full. */
export const TEST_PHONES: Readonly<Record<string, { scenario: Scenario, what: string }>> = {
  '0700000001': { scenario: 'paid', what: 'pays the amount asked' },
  '0700000002': { scenario: 'cancelled', what: 'cancels the prompt' },
  '0700000003': { scenario: 'wrong_pin', what: 'enters a wrong PIN' },
  '0700000004': { scenario: 'insufficient_funds', what: 'has too little money' },
  '0700000005': { scenario: 'timed_out', what: 'never answers: iPay times the prompt out after stk_timeout_ms' },
  '0700000006': { scenario: 'less', what: 'pays half the amount (whole shillings, rounded down)' },
  '0700000007': { scenario: 'more', what: 'pays 100.00 more than asked' },
  '0700000008': { scenario: 'used', what: 'pays with a receipt iPay has seen before ("used")' },
  '0700000009': { scenario: 'paid_no_callback', what: 'pays in full, but iPay never calls back (only polling finds it)' }
}

export type TxState = 'awaiting' | 'paid' | 'less' | 'more' | 'used' | 'cancelled' | 'wrong_pin' | 'insufficient_funds' | 'timed_out'
const MONEY_STATES: ReadonlySet<TxState> = new Set(['paid', 'less', 'more', 'used'])

/** The words `transaction/search` answers with for a session that has no money (B.6). */
export const SEARCH_TEXT: Readonly<Record<Exclude<TxState, 'paid' | 'less' | 'more'>, string>> = {
  awaiting: 'no payment record found',
  timed_out: 'transaction was timed out',
  cancelled: 'The request was canceled by the user',
  wrong_pin: 'Incorrect pin has been entered',
  insufficient_funds: 'The User Wallet balance is insufficient for the transaction',
  used: 'This code has been used already'
}

const STATE_CODE: Readonly<Record<TxState, IpayStatusCode>> = {
  awaiting: IPAY_STATUS.pending,
  paid: IPAY_STATUS.paid,
  less: IPAY_STATUS.less,
  more: IPAY_STATUS.more,
  used: IPAY_STATUS.used,
  // No money came: to the IPN and mobilemoney that is "not found, try again", as for a prompt not yet answered.
  cancelled: IPAY_STATUS.pending,
  wrong_pin: IPAY_STATUS.pending,
  insufficient_funds: IPAY_STATUS.pending,
  timed_out: IPAY_STATUS.pending
}

export interface Payment { mcMinor: MinorUnits, txncd: string, name: string, phone: string, channel: 'MPESA' | 'AIRTEL', paidAt: number }
export interface CallbackRecord { at: number, url: string, status: string, forged: boolean, httpStatus: number | null, error: string | null }
export interface RefundRecord { at: number, amountMinor: MinorUnits, fundedFrom: 'c2b' | 'b2c' }

/** The browser-style identifiers iPay puts in a callback and wants back at the IPN (B.8). */
export const TOKEN_NAMES = ['qwh', 'afd', 'poi', 'uyt', 'ifd', 'agt'] as const
export type Tokens = Record<typeof TOKEN_NAMES[number], string>

export interface SimTransaction {
  sid: string
  vid: string
  oid: string
  inv: string
  amountMinor: MinorUnits
  curr: string
  tel: string
  eml: string
  p: [string, string, string, string]
  cbk: string
  live: string
  account: string
  createdAt: number
  tokens: Tokens
  state: TxState
  /** When the customer's answer (or iPay's time-out) lands; null when nothing is under way. */
  dueAt: number | null
  scenario: Scenario | null
  push: { method: 'mpesa' | 'airtel', phone: string, at: number } | null
  pushes: number
  payment: Payment | null
  callbacks: CallbackRecord[]
  refunds: RefundRecord[]
}

export interface SimSettings {
  /** How long a customer takes to answer an STK prompt. */
  customerDelayMs: number
  /** How long iPay waits for an answer before "transaction was timed out". */
  stkTimeoutMs: number
  /** `drop`: iPay never calls merchants back (polling must find every outcome). */
  callbacks: 'send' | 'drop'
  /** How many times each genuine callback is sent (iPay may call more than once). */
  callbackRepeat: number
  /** The vendor's bulk-pay (B2C) float, used for refunds when the C2B collections do not cover them. */
  b2cFloatMinor: MinorUnits
}

export const DEFAULT_SETTINGS: Readonly<SimSettings> = { customerDelayMs: 3_000, stkTimeoutMs: 60_000, callbacks: 'send', callbackRepeat: 1, b2cFloatMinor: 0 }

/** The paybill customers pay by hand with the session's account number (B.9). */
export const PAYBILL = '510800'

export type Deliver = (url: string) => Promise<{ httpStatus: number | null, error: string | null }>

export class SimState {
  readonly transactions = new Map<string, SimTransaction>()
  /** vid → hash key; `demo`/`demoCHANGED` are iPay's public test credentials (B.1). */
  readonly vendors = new Map<string, string>([['demo', 'demoCHANGED']])
  settings: SimSettings
  /** What `reset` returns to: the defaults with the options the simulator was started with. */
  readonly #startSettings: SimSettings
  /** Added to the base clock by `advance`: lets tests and operators jump past delays without sleeping. */
  #offsetMs = 0
  readonly #base: Clock
  readonly #deliver: Deliver
  readonly #c2bMinor = new Map<string, MinorUnits>()
  readonly #b2cUsedMinor = new Map<string, MinorUnits>()
  readonly #inFlight = new Set<Promise<unknown>>()
  #timer: NodeJS.Timeout | null = null
  #closed = false

  constructor (options: { clock?: Clock, deliver: Deliver, settings?: Partial<SimSettings>, vendors?: Readonly<Record<string, string>> }) {
    this.#base = options.clock ?? systemClock
    this.#deliver = options.deliver
    this.#startSettings = { ...DEFAULT_SETTINGS, ...options.settings }
    this.settings = { ...this.#startSettings }
    for (const [vid, key] of Object.entries(options.vendors ?? {})) this.vendors.set(vid, key)
  }

  now (): number { return this.#base.now() + this.#offsetMs }
  get offsetMs (): number { return this.#offsetMs }

  /** Moves the clock on, lands every answer now due, and waits for the callbacks that sends. */
  async advance (ms: number): Promise<string[]> {
    this.#offsetMs += Math.max(0, ms)
    const settled = this.settleDue()
    await this.idle()
    return settled
  }

  /** Resolves once every callback under way has been delivered or has failed. */
  async idle (): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight])
  }

  reset (): void {
    this.transactions.clear()
    this.#c2bMinor.clear()
    this.#b2cUsedMinor.clear()
    this.settings = { ...this.#startSettings }
    this.#offsetMs = 0
    this.#reschedule()
  }

  close (): void {
    this.#closed = true
    if (this.#timer !== null) clearTimeout(this.#timer)
  }

  statusCode (tx: SimTransaction): IpayStatusCode { return STATE_CODE[tx.state] }
  hasMoney (tx: SimTransaction): boolean { return MONEY_STATES.has(tx.state) }

  open (f: { vid: string, oid: string, inv: string, amountMinor: MinorUnits, curr: string, tel: string, eml: string, p: [string, string, string, string], cbk: string, live: string }): SimTransaction {
    const tx: SimTransaction = {
      ...f,
      sid: randomUUID(),
      account: randomCode(8, DIGITS),
      createdAt: this.now(),
      tokens: Object.fromEntries(TOKEN_NAMES.map((t) => [t, randomCode(12, ALNUM)])) as Tokens,
      state: 'awaiting',
      dueAt: null,
      scenario: null,
      push: null,
      pushes: 0,
      payment: null,
      callbacks: [],
      refunds: []
    }
    this.transactions.set(tx.sid, tx)
    return tx
  }

  /** An STK prompt goes to `phone` (display form); the customer answers per the test-phone table. */
  push (tx: SimTransaction, method: 'mpesa' | 'airtel', phone: string): void {
    const scenario = TEST_PHONES[phone]?.scenario ?? 'paid'
    tx.push = { method, phone, at: this.now() }
    tx.pushes++
    tx.scenario = scenario
    tx.state = 'awaiting'
    tx.dueAt = this.now() + (scenario === 'timed_out' ? this.settings.stkTimeoutMs : this.settings.customerDelayMs)
    this.#reschedule()
  }

  /** A customer pays by hand at the paybill with the session's account: any amount, no prompt. */
  payByHand (tx: SimTransaction, amountMinor: MinorUnits, phone: string, name: string | null): void {
    tx.dueAt = null
    tx.scenario = null
    this.#receive(tx, amountMinor < tx.amountMinor ? 'less' : amountMinor > tx.amountMinor ? 'more' : 'paid', amountMinor, phone, 'MPESA', name, true)
    this.#reschedule()
  }

  /** Lands every customer answer whose time has come; returns the sids that changed. */
  settleDue (): string[] {
    const now = this.now()
    const settled: string[] = []
    for (const tx of this.transactions.values()) {
      if (tx.dueAt === null || tx.dueAt > now || tx.scenario === null || tx.push === null) continue
      tx.dueAt = null
      settled.push(tx.sid)
      const channel = tx.push.method === 'airtel' ? 'AIRTEL' : 'MPESA'
      switch (tx.scenario) {
        case 'paid': this.#receive(tx, 'paid', tx.amountMinor, tx.push.phone, channel, null, true); break
        case 'paid_no_callback': this.#receive(tx, 'paid', tx.amountMinor, tx.push.phone, channel, null, false); break
        case 'less': this.#receive(tx, 'less', Math.max(0, Math.min(tx.amountMinor - 100, Math.floor(tx.amountMinor / 200) * 100)), tx.push.phone, channel, null, true); break
        case 'more': this.#receive(tx, 'more', tx.amountMinor + 10_000, tx.push.phone, channel, null, true); break
        case 'used': this.#receive(tx, 'used', tx.amountMinor, tx.push.phone, channel, null, true); break
        default: tx.state = tx.scenario
      }
    }
    this.#reschedule()
    return settled
  }

  /** The genuine callback query for a session with money (B.8 / B.13.5). */
  callbackParams (tx: SimTransaction, status: string = this.statusCode(tx), overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
    const pay = tx.payment
    const phone = pay === null ? '' : kenyaInternational(pay.phone)
    return {
      status,
      id: tx.oid,
      ivm: tx.oid,
      ...tx.tokens,
      mc: pay === null ? '' : shillings(pay.mcMinor),
      p1: tx.p[0],
      p2: tx.p[1],
      p3: tx.p[2],
      p4: tx.p[3],
      txncd: pay?.txncd ?? '',
      msisdn_id: pay?.name ?? '',
      msisdn_idnum: phone,
      msisdn_custnum: phone,
      channel: pay?.channel ?? '',
      ...overrides
    }
  }

  /** Sends one callback to the session's `cbk` and records how it went. */
  async callBack (tx: SimTransaction, params: Readonly<Record<string, string>>, forged: boolean): Promise<CallbackRecord> {
    const url = `${tx.cbk}${tx.cbk.includes('?') ? '&' : '?'}${new URLSearchParams(params).toString()}`
    const record: CallbackRecord = { at: this.now(), url, status: params['status'] ?? '', forged, httpStatus: null, error: null }
    tx.callbacks.push(record)
    const delivery = this.#deliver(url).then((r) => { record.httpStatus = r.httpStatus; record.error = r.error })
    this.#inFlight.add(delivery)
    try { await delivery } finally { this.#inFlight.delete(delivery) }
    return record
  }

  /** The session an IPN query names, only when every identifier matches (else iPay knows nothing). */
  ipnLookup (q: Readonly<Record<string, string | undefined>>): SimTransaction | null {
    if (q['vendor'] === undefined || !this.vendors.has(q['vendor'])) return null
    for (const tx of this.transactions.values()) {
      if (tx.vid !== q['vendor'] || tx.oid !== q['id'] || tx.oid !== q['ivm']) continue
      if ((['qwh', 'afd', 'poi', 'uyt', 'ifd'] as const).every((t) => tx.tokens[t] === q[t])) return tx
    }
    return null
  }

  /** The session `transaction/search` reports for an order: the one with money, else the newest. */
  searchLookup (vid: string, oid: string): SimTransaction | null {
    const mine = [...this.transactions.values()].filter((t) => t.vid === vid && t.oid === oid)
    return mine.filter((t) => this.hasMoney(t)).at(-1) ?? mine.at(-1) ?? null
  }

  /** Refunds part or all of a paid session (B.7); answers iPay's body: status 200 or a refusal. */
  refund (vid: string, code: string, amountMinor: MinorUnits | null): { status: number, text: string, body?: Record<string, string> } {
    const tx = [...this.transactions.values()].find((t) => t.vid === vid && t.payment?.txncd === code)
    if (tx === undefined || tx.payment === null) return { status: 404, text: 'Transaction code not found' }
    const refunded = tx.refunds.reduce((sum, r) => sum + r.amountMinor, 0)
    const left = tx.payment.mcMinor - refunded
    if (left <= 0) return { status: 409, text: 'Transaction has already been refunded' }
    const amount = amountMinor ?? left
    if (amount <= 0 || amount > left) return { status: 400, text: `Refund amount exceeds the refundable ${shillings(left)}` }
    const c2b = this.#c2bMinor.get(vid) ?? 0
    const b2cLeft = this.settings.b2cFloatMinor - (this.#b2cUsedMinor.get(vid) ?? 0)
    let fundedFrom: 'c2b' | 'b2c'
    if (c2b >= amount) { fundedFrom = 'c2b'; this.#c2bMinor.set(vid, c2b - amount) } else if (b2cLeft >= amount) { fundedFrom = 'b2c'; this.#b2cUsedMinor.set(vid, (this.#b2cUsedMinor.get(vid) ?? 0) + amount) } else return { status: 402, text: 'Insufficient funds in the C2B and B2C accounts for this refund' }
    tx.refunds.push({ at: this.now(), amountMinor: amount, fundedFrom })
    return {
      status: 200,
      text: 'Refund done',
      body: {
        c2bfunds: formatAmount(this.#c2bMinor.get(vid) ?? 0),
        b2cfunds: formatAmount(this.settings.b2cFloatMinor - (this.#b2cUsedMinor.get(vid) ?? 0)),
        amount: formatAmount(amount),
        code
      }
    }
  }

  #receive (tx: SimTransaction, state: 'paid' | 'less' | 'more' | 'used', mcMinor: MinorUnits, phone: string, channel: 'MPESA' | 'AIRTEL', name: string | null, callBack: boolean): void {
    tx.state = state
    const paidAt = this.now()
    tx.payment = { mcMinor, txncd: channel === 'MPESA' ? mpesaReceipt(paidAt) : randomCode(11, UPPER_ALNUM), name: name ?? 'JANE WANJIKU', phone, channel, paidAt }
    this.#c2bMinor.set(tx.vid, (this.#c2bMinor.get(tx.vid) ?? 0) + mcMinor)
    if (!callBack || this.settings.callbacks === 'drop') return
    for (let i = 0; i < Math.max(1, this.settings.callbackRepeat); i++) this.callBack(tx, this.callbackParams(tx), false).catch(() => { /* its record in tx.callbacks says how it went */ })
  }

  /** One timer for the earliest due answer, so a real-time simulator lands them on time. */
  #reschedule (): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    if (this.#closed) return
    const due = [...this.transactions.values()].map((t) => t.dueAt).filter((d): d is number => d !== null)
    if (due.length === 0) return
    this.#timer = setTimeout(() => { this.settleDue() }, Math.max(0, Math.min(...due) - this.now()))
    this.#timer.unref()
  }
}

/** Whole shillings as iPay writes `mc`: "150", no separators. */
export function shillings (minor: MinorUnits): string {
  return minor % 100 === 0 ? String(minor / 100) : formatAmount(minor)
}

const DIGITS = '0123456789'
const ALNUM = '0123456789abcdefghijklmnopqrstuvwxyz'
const UPPER_ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'

function randomCode (length: number, alphabet: string): string {
  let out = ''
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)]
  return out
}

/**
 * An M-Pesa receipt as they look today: 10 upper-case characters whose first three encode the date
 * in Nairobi (year letter with A = 2006, month A–L, day 1–9 then A = 10 …; research note C.2).
 */
export function mpesaReceipt (epochMs: number): string {
  const nairobi = new Date(epochMs + 3 * 3_600_000)
  const letter = (i: number): string => String.fromCharCode(65 + i)
  const day = nairobi.getUTCDate()
  return letter(nairobi.getUTCFullYear() - 2006) + letter(nairobi.getUTCMonth()) + (day < 10 ? String(day) : letter(day - 10)) + randomCode(7, UPPER_ALNUM)
}
