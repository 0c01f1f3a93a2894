import { expect } from 'vitest'
import type { Executor } from '../../ledger/engine.js'
import { sql } from '../../ledger/testing.js'
import { harpoonSignature } from '../../webhooks/signer.js'
import type { Receiver } from '../webhooks/receiver.js'
import { mtnCreditPdus, sleep } from './support.js'

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
  async settled (db: Executor, sims: ReadonlyArray<{ messages: () => readonly unknown[] }>): Promise<boolean> {
    const count = async (statement: ReturnType<typeof sql>): Promise<number> => Number(await db.value(statement))
    return sims.every((s) => s.messages().length === 0) &&
      await count(sql`SELECT count(*) FROM sms_messages WHERE processed = 0`) === 0 &&
      await count(sql`SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'`) === 0 &&
      await count(sql`SELECT count(DISTINCT telco_transaction_id) FROM credits WHERE status <> 'duplicate'`) === new Set(this.sent.map((s) => s.txId)).size
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
