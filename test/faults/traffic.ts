import { expect } from 'vitest'
import type { Executor } from '../../ledger/engine.js'
import { sql } from '../../ledger/testing.js'
import { harpoonSignature } from '../../webhooks/signer.js'
import type { Receiver } from '../webhooks/receiver.js'
import { mtnCreditPdus, sleep } from './support.js'

/** What `Traffic.settled` looks at of a SIM. */
export interface Sim { messages: () => readonly unknown[] }

/** Rows listed of each kind in `Traffic.outstanding` (the counts are whole). */
const OUTSTANDING_ROWS = 10

/** What keeps `Traffic.settled` false; times are relative to when it was read (negative: in the past). */
export interface Outstanding {
  /** SIMs (by their index in the list given) still holding messages. */
  sims: Array<{ sim: number, messages: number }>
  unprocessedSms: {
    count: number
    rows: Array<{ id: number, modemId: string, outcome: string | null, complete: boolean, parts: string, receivedMsAgo: number }>
  }
  undelivered: {
    count: number
    rows: Array<{
      id: string, eventType: string, status: string, attempts: number, retryIndex: number, maxRetries: number | null,
      nextAttemptInMs: number | null, leaseOwner: string | null, leaseExpiresInMs: number | null, lastAttemptMsAgo: number | null,
      lastStatusCode: number | null, lastError: string | null, createdMsAgo: number, endpointActive: boolean, endpointDisabledReason: string | null
    }>
  }
  /** Telco transaction ids sent with no (non-duplicate) credit. */
  uncounted: string[]
  /** Credits whose telco transaction the traffic never sent. */
  unexpected: number
  /** Context, not a condition: multipart groups still open while a transaction is uncounted (its message may wait in one). */
  openGroups: {
    count: number
    rows: Array<{ id: number, modemId: string, ref: number, parts: string, firstPartMsAgo: number, lastPartMsAgo: number }>
  }
}

/** Nothing outstanding: `Traffic.settled`'s answer. */
export function isSettled (o: Outstanding): boolean {
  return o.sims.length === 0 && o.unprocessedSms.count === 0 && o.undelivered.count === 0 && o.uncounted.length === 0 && o.unexpected === 0
}

/** `Traffic.outstanding` as one line for an error message. */
export function describeOutstanding (o: Outstanding): string {
  if (isSettled(o)) return 'nothing (settled since)'
  const s = (ms: number | null): string => ms === null ? '-' : `${(ms / 1000).toFixed(1)}s`
  const more = (shown: number, count: number): string => count > shown ? ` (+${count - shown} more)` : ''
  const parts: string[] = []
  if (o.sims.length > 0) parts.push(`SIM messages: ${o.sims.map((x) => `SIM ${x.sim} holds ${x.messages}`).join(', ')}`)
  if (o.unprocessedSms.count > 0) {
    parts.push(`${o.unprocessedSms.count} sms_messages unprocessed: ${o.unprocessedSms.rows.map((r) =>
      `#${r.id} ${r.modemId} parts ${r.parts}${r.complete ? '' : ' incomplete'} outcome ${r.outcome ?? 'null'} received ${s(r.receivedMsAgo)} ago`).join('; ')}${more(o.unprocessedSms.rows.length, o.unprocessedSms.count)}`)
  }
  if (o.undelivered.count > 0) {
    parts.push(`${o.undelivered.count} webhook_deliveries not delivered: ${o.undelivered.rows.map((r) =>
      `${r.id} ${r.eventType} ${r.status} attempts ${r.attempts} retry ${r.retryIndex}/${r.maxRetries ?? 'schedule'} next ${r.nextAttemptInMs === null ? 'none' : `in ${s(r.nextAttemptInMs)}`} ` +
      `lease ${r.leaseOwner === null ? 'none' : `${r.leaseOwner} expires in ${s(r.leaseExpiresInMs)}`} last attempt ${s(r.lastAttemptMsAgo)} ago (${r.lastStatusCode ?? '-'} ${r.lastError ?? ''}) ` +
      `created ${s(r.createdMsAgo)} ago${r.endpointActive ? '' : ` endpoint inactive: ${r.endpointDisabledReason ?? '?'}`}`).join('; ')}${more(o.undelivered.rows.length, o.undelivered.count)}`)
  }
  if (o.uncounted.length > 0) parts.push(`${o.uncounted.length} telco transactions sent but not counted: ${o.uncounted.slice(0, OUTSTANDING_ROWS).join(', ')}${more(Math.min(OUTSTANDING_ROWS, o.uncounted.length), o.uncounted.length)}`)
  if (o.unexpected > 0) parts.push(`${o.unexpected} credits for transactions never sent`)
  if (o.openGroups.count > 0) {
    parts.push(`${o.openGroups.count} multipart groups open: ${o.openGroups.rows.map((g) =>
      `#${g.id} ${g.modemId} ref ${g.ref} holds ${g.parts} first part ${s(g.firstPartMsAgo)} ago, last ${s(g.lastPartMsAgo)} ago`).join('; ')}${more(o.openGroups.rows.length, o.openGroups.count)}`)
  }
  return parts.join(' | ')
}

/** Seeded so a failing run can be replayed with HARPOON_FAULT_SEED. */
export function rng (seed: number): () => number {
  let x = seed || 1
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return ((x >>> 0) % 1_000_000) / 1_000_000 }
}

/** A payment created over the API and the credits the test plans for it. */
export interface Known { reference: string, code: string, expected: number, plan: 'exact' | 'partial' | 'over', sent: number, steps: number }
export interface SentSms { txId: string, code: string, amount: number }

/** An initialize with an Idempotency-Key, the daemon that answered it and its answer. */
interface KeyedRequest { url: string, headers: Record<string, string>, body: string, answer: string }

/** Where an SMS goes: a SIM of one node (`repeat`: the network sends an earlier one again, possibly to another node). */
export type DeliverSms = (pdus: string[], repeat: boolean) => void

/**
 * The traffic of the fault suites, and what it must leave behind: payments initialized and read over
 * the API of whichever daemon is up, and the telco SMS that pay them (some repeated), recorded so the
 * ledger can be checked against them afterwards.
 */
export class Traffic {
  readonly known: Known[] = []
  readonly sent: SentSms[] = []
  /** 5xx answers the test does not allow. */
  readonly serverErrors: string[] = []
  /** 503 database_unavailable answers (allowed while the test has stopped the database). */
  readonly unavailable: string[] = []
  /** Idempotency-Keys answered by one daemon and replayed, the same answer, by another (or a later start). */
  replayed = 0
  readonly #random: () => number
  readonly #auth: Record<string, string>
  readonly #allowUnavailable: boolean
  #balance = 0
  #ref = 0
  #keys = 0
  readonly #retries: KeyedRequest[] = []

  constructor (random: () => number, key: string, options: { allowUnavailable?: boolean } = {}) {
    this.#random = random
    this.#auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }
    this.#allowUnavailable = options.allowUnavailable ?? false
  }

  /** API requests until `alive()` says stop, each to one of `urls()` (the daemons up now). */
  async api (urls: () => readonly string[], alive: () => boolean): Promise<void> {
    const random = this.#random
    const pick = (): string | undefined => { const u = urls(); return u[Math.floor(random() * u.length)] }
    while (alive()) {
      const url = pick()
      if (url === undefined) { await sleep(20); continue }
      // An Idempotency-Key answered by one daemon is retried on another (or on a later start of the same one).
      const retry = this.#retries.findIndex((r) => r.url !== url)
      const pending = retry >= 0 && random() < 0.5 ? this.#retries.splice(retry, 1)[0] : undefined
      try {
        if (pending !== undefined) {
          if (!await this.#replay(url, pending)) this.#retries.push(pending)
        } else if (random() < 0.6 || this.known.length === 0) {
          await this.#initialize(url)
        } else {
          const p = this.known[Math.floor(random() * this.known.length)] as Known
          const res = await fetch(`${url}/v1/payments/${p.code}`, { headers: this.#auth })
          this.#serverError('get', res.status, await res.text())
        }
      } catch (err) {
        // A daemon died under the request (or one of the checks failed: rethrown).
        if ((err as { name?: string }).name === 'AssertionError') throw err
        if (pending !== undefined) this.#retries.push(pending)
        await sleep(20)
      }
    }
  }

  async #initialize (url: string): Promise<void> {
    const random = this.#random
    const amount = 100 * (1 + Math.floor(random() * 300))
    const body = JSON.stringify({ amount: (amount / 100).toFixed(2) })
    // One in five carries an Idempotency-Key, retried later elsewhere.
    const key = random() < 0.2 ? `fault-${process.pid}-${++this.#keys}` : undefined
    const headers = key === undefined ? this.#auth : { ...this.#auth, 'idempotency-key': key }
    const res = await fetch(`${url}/v1/payments/initialize`, { method: 'POST', headers, body })
    const text = await res.text()
    if (this.#serverError('initialize', res.status, text) || res.status !== 201) return
    const p = (JSON.parse(text) as { data: { reference: string, hpn_code: string } }).data
    const plans = ['exact', 'partial', 'over'] as const
    this.known.push({ reference: p.reference, code: p.hpn_code, expected: amount, plan: plans[Math.floor(random() * 3)] as Known['plan'], sent: 0, steps: 0 })
    if (key !== undefined) this.#retries.push({ url, headers, body, answer: text })
  }

  /**
   * Replays every keyed initialize still waiting for its retry, each on a daemon of `urls` other than
   * the one that answered it when there is one (at the end of a run: every key is checked, not a sample).
   */
  async replayPending (urls: readonly string[]): Promise<void> {
    for (const r of this.#retries.splice(0)) {
      const url = urls.find((u) => u !== r.url) ?? urls[0]
      if (url === undefined || !await this.#replay(url, r)) throw new Error(`the replay of Idempotency-Key ${r.headers['idempotency-key']} failed: ${this.serverErrors.at(-1) ?? 'no daemon up'}`)
    }
  }

  /** Sends a keyed initialize again: the first answer, byte for byte, and no second payment. False: try again later. */
  async #replay (url: string, r: KeyedRequest): Promise<boolean> {
    const res = await fetch(`${url}/v1/payments/initialize`, { method: 'POST', headers: r.headers, body: r.body })
    const text = await res.text()
    if (this.#serverError('initialize replay', res.status, text)) return false
    const key = r.headers['idempotency-key'] as string
    expect(res.status, `replay of ${key}`).toBe(201)
    expect(res.headers.get('idempotent-replayed'), `replay of ${key}`).toBe('true')
    expect(text, `replay of ${key}`).toBe(r.answer)
    this.replayed++
    return true
  }

  /** True (and recorded) for a 5xx answer. */
  #serverError (what: string, status: number, body: string): boolean {
    if (status < 500) return false
    if (this.#allowUnavailable && status === 503 && body.includes('"database_unavailable"')) this.unavailable.push(`${what} ${status}`)
    else this.serverErrors.push(`${what} ${status} ${body}`)
    return true
  }

  /** The next credit a payment's plan calls for, or null when its plan is complete. */
  #nextCredit (p: Known): number | null {
    if (p.plan === 'partial') return p.steps === 0 ? Math.floor(p.expected / 2) : p.steps === 1 ? p.expected - Math.floor(p.expected / 2) : null
    if (p.steps > 0) return null
    return p.plan === 'exact' ? p.expected : p.expected + 100
  }

  /** One SMS: a customer paying the next step of some payment's plan, or (one in ten) the network repeating an earlier one. */
  sms (deliver: DeliverSms): void {
    const random = this.#random
    if (random() < 0.1 && this.sent.length > 0) {
      // The same telco transaction again, which must count once.
      const again = this.sent[Math.floor(random() * this.sent.length)] as SentSms
      deliver(mtnCreditPdus({ amountMinor: again.amount, reference: again.code, transactionId: again.txId, balanceMinor: this.#balance, ref: ++this.#ref }), true)
      return
    }
    const open = this.known.filter((p) => this.#nextCredit(p) !== null)
    const p = open[Math.floor(random() * open.length)]
    if (p === undefined) return
    const amount = this.#nextCredit(p) as number
    p.steps++
    p.sent += amount
    this.#balance += amount
    const txId = `9${String(this.sent.length + 1).padStart(10, '0')}`
    this.sent.push({ txId, code: p.code, amount })
    deliver(mtnCreditPdus({ amountMinor: amount, reference: p.code, transactionId: txId, balanceMinor: this.#balance, ref: ++this.#ref }), false)
  }

  /** Settled: every SIM empty, every stored SMS processed, every delivery delivered, every telco transaction counted. */
  async settled (db: Executor, sims: readonly Sim[]): Promise<boolean> {
    return isSettled(await this.outstanding(db, sims))
  }

  /** `outstanding` as one line: for a wait on `settled` to put into its timeout's error. */
  async describe (db: Executor, sims: readonly Sim[]): Promise<string> {
    return describeOutstanding(await this.outstanding(db, sims))
  }

  /**
   * What keeps `settled` false, row by row (the first OUTSTANDING_ROWS of each kind, with their
   * counts): for the error of a wait that timed out, so it says what was stuck. `describeOutstanding`
   * makes it one line.
   */
  async outstanding (db: Executor, sims: readonly Sim[]): Promise<Outstanding> {
    const now = Date.now()
    const count = async (statement: ReturnType<typeof sql>): Promise<number> => Number(await db.value(statement))
    const rows = async <T>(n: number, statement: ReturnType<typeof sql>): Promise<T[]> => n === 0 ? [] : await db.all<T>(statement)
    const ago = (at: unknown): number | null => at === null || at === undefined ? null : now - Number(at)

    const unprocessed = await count(sql`SELECT count(*) FROM sms_messages WHERE processed = 0`)
    const sms = await rows<Record<string, unknown>>(unprocessed, sql`SELECT id, modem_id, outcome, complete, parts, parts_expected, received_at
      FROM sms_messages WHERE processed = 0 ORDER BY id LIMIT ${OUTSTANDING_ROWS}`)
    const undelivered = await count(sql`SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'`)
    const deliveries = await rows<Record<string, unknown>>(undelivered, sql`SELECT d.id, d.event_type, d.status, d.attempts, d.retry_index, d.max_retries,
        d.next_attempt_at, d.lease_owner, d.lease_expires_at, d.last_attempt_at, d.last_status_code, d.last_error, d.created_at,
        e.is_active, e.disabled_reason
      FROM webhook_deliveries d LEFT JOIN webhook_endpoints e ON e.id = d.endpoint_id
      WHERE d.status <> 'delivered' ORDER BY d.created_at, d.id LIMIT ${OUTSTANDING_ROWS}`)
    // The cheap count first; the ids only when it disagrees with the traffic.
    const sent = new Set(this.sent.map((s) => s.txId))
    const counted = await count(sql`SELECT count(DISTINCT telco_transaction_id) FROM credits WHERE status <> 'duplicate'`)
    let uncounted: string[] = []
    let unexpected = 0
    if (counted !== sent.size) {
      const ids = new Set((await db.all<{ tx: string }>(sql`SELECT DISTINCT telco_transaction_id AS tx FROM credits WHERE status <> 'duplicate'`)).map((r) => r.tx))
      uncounted = [...sent].filter((tx) => !ids.has(tx))
      unexpected = [...ids].filter((tx) => !sent.has(tx)).length
    }
    // Not a condition of `settled`, but what an uncounted transaction may be waiting in: a multipart group missing a part.
    const open = uncounted.length === 0 ? 0 : await count(sql`SELECT count(*) FROM sms_part_groups WHERE message_id IS NULL`)
    const openGroups = await rows<Record<string, unknown>>(open, sql`SELECT g.id, g.modem_id, g.ref, g.total, g.first_part_at, g.last_part_at,
        (SELECT count(*) FROM sms_pdus p WHERE p.group_id = g.id AND p.status = 'part') AS held
      FROM sms_part_groups g WHERE g.message_id IS NULL ORDER BY g.id LIMIT ${OUTSTANDING_ROWS}`)

    return {
      sims: sims.map((s, i) => ({ sim: i, messages: s.messages().length })).filter((s) => s.messages > 0),
      unprocessedSms: {
        count: unprocessed,
        rows: sms.map((r) => ({
          id: Number(r['id']), modemId: String(r['modem_id']), outcome: r['outcome'] as string | null, complete: Number(r['complete']) === 1,
          parts: `${Number(r['parts'])}/${Number(r['parts_expected'])}`, receivedMsAgo: ago(r['received_at']) as number
        }))
      },
      undelivered: {
        count: undelivered,
        rows: deliveries.map((r) => ({
          id: String(r['id']), eventType: String(r['event_type']), status: String(r['status']), attempts: Number(r['attempts']),
          retryIndex: Number(r['retry_index']), maxRetries: r['max_retries'] === null ? null : Number(r['max_retries']),
          nextAttemptInMs: r['next_attempt_at'] === null ? null : -(ago(r['next_attempt_at']) as number),
          leaseOwner: r['lease_owner'] as string | null,
          leaseExpiresInMs: r['lease_expires_at'] === null ? null : -(ago(r['lease_expires_at']) as number),
          lastAttemptMsAgo: ago(r['last_attempt_at']), lastStatusCode: r['last_status_code'] === null ? null : Number(r['last_status_code']),
          lastError: r['last_error'] as string | null, createdMsAgo: ago(r['created_at']) as number,
          endpointActive: Number(r['is_active']) === 1, endpointDisabledReason: r['disabled_reason'] as string | null
        }))
      },
      uncounted,
      unexpected,
      openGroups: {
        count: open,
        rows: openGroups.map((r) => ({
          id: Number(r['id']), modemId: String(r['modem_id']), ref: Number(r['ref']), parts: `${Number(r['held'])}/${Number(r['total'])}`,
          firstPartMsAgo: ago(r['first_part_at']) as number, lastPartMsAgo: ago(r['last_part_at']) as number
        }))
      }
    }
  }

  /**
   * The ledger agrees with the traffic: no SMS lost, no telco transaction counted twice, every
   * payment's state from its credits, every event delivered with one webhook_id and one signed body.
   */
  async expectInvariants (db: Executor, receiver: Receiver, secret: string): Promise<{ deliveries: number }> {
    const count = async (statement: ReturnType<typeof sql>): Promise<number> => Number(await db.value(statement))
    expect(this.serverErrors).toEqual([])
    expect(this.known.length).toBeGreaterThan(0)
    expect(this.sent.length).toBeGreaterThan(0)
    expect(this.replayed).toBeGreaterThan(0)

    expect(await count(sql`SELECT count(*) FROM sms_part_groups WHERE message_id IS NULL`)).toBe(0)
    const credits = await db.all<{ tx: string, amount: number, status: string, code: string | null }>(sql`SELECT c.telco_transaction_id AS tx, c.amount_minor AS amount, c.status, p.hpn_code AS code
      FROM credits c LEFT JOIN payments p ON p.id = c.payment_id WHERE c.status <> 'duplicate'`)
    const byTx = new Map<string, typeof credits>()
    for (const c of credits) byTx.set(c.tx, [...(byTx.get(c.tx) ?? []), c])
    for (const s of this.sent) {
      const found = byTx.get(s.txId) ?? []
      expect(found, `credit ${s.txId}`).toHaveLength(1)
      expect(found[0]).toMatchObject({ amount: s.amount, status: 'matched', code: s.code })
    }

    const payments = await db.all<{ id: number, code: string, status: string, expected: number, actual: number | null, matched: number, n: number }>(sql`SELECT p.id,
        p.hpn_code AS code, p.status, p.expected_minor AS expected, p.actual_minor AS actual,
        (SELECT coalesce(sum(amount_minor), 0) FROM credits c WHERE c.payment_id = p.id AND c.status = 'matched') AS matched,
        (SELECT count(*) FROM credits c WHERE c.payment_id = p.id AND c.status = 'matched') AS n
      FROM payments p`)
    for (const p of payments) {
      const where = `payment ${p.code} ${p.status}`
      expect(p.actual ?? 0, where).toBe(p.matched)
      if (['PENDING', 'CANCELLED', 'EXPIRED'].includes(p.status)) expect(p.n, where).toBe(0)
      if (p.status === 'PARTIAL') expect(p.matched, where).toBeLessThan(p.expected)
      if (p.status === 'SUCCESS') expect(p.matched, where).toBe(p.expected)
      if (p.status === 'OVERPAID') expect(p.matched, where).toBeGreaterThan(p.expected)
    }
    const byCode = new Map(payments.map((p) => [p.code, p]))
    for (const k of this.known) {
      const want = k.sent === 0 ? 'PENDING' : k.sent < k.expected ? 'PARTIAL' : k.sent === k.expected ? 'SUCCESS' : 'OVERPAID'
      expect(byCode.get(k.code)?.status, `payment ${k.code} (${k.plan}, sent ${k.sent} of ${k.expected})`).toBe(want)
    }

    // Every event delivered at least once, always with the same webhook_id and the same signed body.
    const deliveries = await db.all<{ webhook_id: string, body: string, status: string }>(sql`SELECT webhook_id, body, status FROM webhook_deliveries`)
    expect(deliveries.length).toBe(await count(sql`SELECT count(*) FROM events WHERE merchant_id = 'default' AND mode = 'live'`))
    expect(deliveries.length).toBeGreaterThan(0)
    const received = new Map<string, string[]>()
    for (const r of receiver.requests) {
      const id = String(r.headers['x-harpoon-webhook-id'])
      expect(r.headers['x-harpoon-signature']).toBe(harpoonSignature(secret, Number(r.headers['x-harpoon-timestamp']), r.body))
      received.set(id, [...(received.get(id) ?? []), r.body])
    }
    for (const d of deliveries) {
      expect(d.status).toBe('delivered')
      const bodies = received.get(d.webhook_id) ?? []
      expect(bodies.length, `webhook ${d.webhook_id}`).toBeGreaterThan(0)
      for (const b of bodies) expect(b).toBe(d.body)
    }
    expect([...received.keys()].every((id) => deliveries.some((d) => d.webhook_id === id))).toBe(true)
    return { deliveries: deliveries.length }
  }
}
