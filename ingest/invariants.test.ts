import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { nearbyValidCodes } from '../ledger/hpn-code.js'
import type { Ledger } from '../ledger/ledger.js'
import type { Mode } from '../ledger/modes.js'
import type { PaymentRow } from '../ledger/payment-model.js'
import { sql } from '../ledger/testing.js'
import { createSmsParser } from '../parsers/index.js'
import { openTestLedger, type TestLedger } from '../test/helpers/ledger.js'
import { createIngest, type Ingest } from './ingest.js'
import { telcoCreditText } from './telco-wording.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { while (cleanups.length > 0) await cleanups.pop()?.() })

/** A small deterministic generator, so a failing seed replays exactly. */
function rng (seed: number): { next: () => number, int: (n: number) => number, pick: <T>(xs: readonly T[]) => T } {
  let s = seed >>> 0
  const next = (): number => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32 }
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)] as (typeof xs)[number] }
}

interface Message { mode: Mode, network: 'mtn' | 'telecel', sender: string, text: string, trusted: boolean }

class SimulatedCrash extends Error {}

/** The ledger as it is after a start: `crashRate` of its money transactions die before commit. */
function wire (test: TestLedger, crashRate: number, r: ReturnType<typeof rng>): { test: TestLedger, ledger: Ledger, ingest: Ingest } {
  const { ledger } = test
  // A subscriber runs inside every money transaction: throwing there is a crash at the worst
  // instant, after the credit and the payment change were written but before the commit.
  ledger.subscribe(() => { if (r.next() < crashRate) throw new SimulatedCrash('crash') })
  const ingest = createIngest({
    ledger, logger: pino({ level: 'silent' }), parser: createSmsParser(), holdBrokenChains: false, merchantOf: () => 'default'
  })
  return { test, ledger, ingest }
}

describe('ledger invariants under random credits, crashes and restarts', () => {
  it.each([1, 2, 3])('holds with seed %i', async (seed) => {
    const r = rng(seed * 7919)
    const first = await openTestLedger()
    cleanups.push(first.cleanup)
    let { test, ledger, ingest } = wire(first, 0, r)
    await ledger.merchants.create({ id: 'default', name: 'D' })

    const payments: PaymentRow[] = []
    for (let i = 0; i < 40; i++) {
      const mode: Mode = i % 4 === 0 ? 'test' : 'live'
      const phone = r.next() < 0.4 ? `024${String(1000000 + r.int(20)).padStart(7, '0')}` : null
      payments.push((await ledger.payments.initialize({ merchantId: 'default', mode }, {
        amountMinor: (1 + r.int(50)) * 500, currency: 'GHS', clientReference: null, customerPhone: phone, meta: null, expiresInSeconds: 3600
      })).payment)
    }

    const messages: Message[] = []
    let txn = 80_000_000_000
    const credit = (_p: PaymentRow, amountMinor: number, reference: string, network: 'mtn' | 'telecel', payer: string | null, txnId?: string): string =>
      telcoCreditText({ network, amountMinor, reference, payerPhone: payer ?? '0200000001', payerName: 'RANDOM PAYER', transactionId: txnId ?? (network === 'mtn' ? String(txn++) : `00000${String(txn++)}`), balanceMinor: 100_000 + r.int(1000), at: new Date() })
    for (let i = 0; i < 260; i++) {
      const p = r.pick(payments)
      const network = r.pick(['mtn', 'telecel'] as const)
      const sender = network === 'mtn' ? 'MobileMoney' : 'T-CASH'
      const full = p.expected_minor
      const kind = r.int(10)
      let text: string
      if (kind <= 2) text = credit(p, full, p.hpn_code, network, null)
      else if (kind === 3) text = credit(p, Math.max(100, Math.floor(full / 2)), p.hpn_code, network, null)
      else if (kind === 4) text = credit(p, full, p.hpn_code.slice(0, 2) + (p.hpn_code[2] === 'Z' ? 'Y' : 'Z') + p.hpn_code.slice(3), network, null)
      else if (kind === 5) text = credit(p, full, nearbyValidCodes(p.hpn_code.slice(0, 5) + (p.hpn_code[5] === '0' ? '1' : '0'))[0] ?? 'XXXXXX', network, null)
      else if (kind === 6 && messages.length > 0) text = r.pick(messages).text
      else if (kind === 7) text = credit(p, full, 'order please', network, p.customer_phone)
      else if (kind === 8 && messages.length > 0) {
        // The same telco transaction id again in a different message.
        const m = /(?:Transaction ID: |^)(\d{11,16})/.exec(r.pick(messages).text)
        text = credit(p, full + 100, p.hpn_code, network, null, m?.[1])
      } else text = credit(p, full, p.hpn_code, network, null)
      const trusted = r.next() > 0.1
      messages.push({ mode: r.next() < 0.85 ? p.mode : (p.mode === 'live' ? 'test' : 'live'), network, sender: trusted ? sender : `+2332441${String(r.int(99999)).padStart(5, '0')}`, text, trusted })
    }

    let crashes = 0
    let restarts = 0
    const restart = async (crashRate: number): Promise<void> => {
      ;({ test, ledger, ingest } = wire(await test.reopen(), crashRate, r))
      cleanups.push(test.close)
      restarts++
      // What the modem layer does at start: hand every stored, unprocessed message over again.
      for (const sms of await ledger.smsInbox.unprocessed()) {
        try {
          await ingest.process(sms)
        } catch (err) {
          if (!(err instanceof SimulatedCrash)) throw err
          crashes++
        }
      }
    }

    await restart(0.15)
    for (const [i, m] of messages.entries()) {
      try {
        await ingest.ingestText({ merchantId: 'default', mode: m.mode, modemId: `wallet-${m.network}`, network: m.network, sender: m.sender, text: m.text }, Date.now())
      } catch (err) {
        // The message row was rolled back with everything else; the "modem" still has it and
        // stores it again, as a SIM rescan would.
        if (!(err instanceof SimulatedCrash)) throw err
        crashes++
        messages.push(m)
      }
      if (i % 60 === 59) {
        // Operators act between SMS: cancel and expire some payments.
        const victim = r.pick(payments)
        try { await ledger.payments.cancel({ merchantId: 'default', mode: victim.mode }, victim.reference) } catch { /* not PENDING, or a simulated crash */ }
        await restart(i < messages.length - 80 ? 0.15 : 0)
      }
    }
    await restart(0)
    expect(crashes).toBeGreaterThan(0)
    expect(restarts).toBeGreaterThan(3)

    const db = test.rows
    // Every stored SMS was settled exactly once.
    expect(await db.value(sql`SELECT COUNT(*) FROM sms_messages WHERE processed = 0`)).toBe(0)
    // No telco transaction counted twice (per mode: test data never suppresses live money).
    expect(await db.value(sql`SELECT COUNT(*) FROM (SELECT mode, network, telco_transaction_id FROM credits WHERE status <> 'duplicate' GROUP BY 1, 2, 3 HAVING COUNT(*) > 1) AS twice`)).toBe(0)
    // No untrusted message ever became a credit.
    expect(await db.value(sql`SELECT COUNT(*) FROM credits c JOIN sms_messages s ON s.id = c.sms_id WHERE s.sender NOT IN ('MobileMoney', 'T-CASH')`)).toBe(0)
    expect(await db.value(sql`SELECT COUNT(*) FROM sms_messages WHERE sender NOT IN ('MobileMoney', 'T-CASH') AND outcome <> 'untrusted'`)).toBe(0)
    // Credits only ever pay payments of their own mode.
    expect(await db.value(sql`SELECT COUNT(*) FROM credits c JOIN payments p ON p.id = c.payment_id WHERE c.mode <> p.mode`)).toBe(0)
    // Every SMS that made a credit points at exactly that credit.
    expect(await db.value(sql`SELECT COUNT(*) FROM sms_messages s WHERE s.outcome IN ('credit', 'duplicate') AND (s.credit_id IS NULL OR (SELECT sms_id FROM credits WHERE id = s.credit_id) <> s.id)`)).toBe(0)

    let settled = 0
    for (const before of payments) {
      const p = await ledger.payments.getById(before.id) as PaymentRow
      const credits = (await db.all<{ amount_minor: number }>(sql`SELECT amount_minor FROM credits WHERE payment_id = ${p.id} AND status = 'matched'`)).map((c) => c.amount_minor)
      const sum = credits.reduce((a, b) => a + b, 0)
      // actual_amount is the sum of its credits.
      expect(p.actual_minor ?? 0).toBe(sum)
      if (credits.length === 0) expect(p.actual_minor).toBeNull()
      // Every status agrees with the amounts.
      switch (p.status) {
        case 'PENDING': case 'CANCELLED': case 'EXPIRED': expect(credits).toHaveLength(0); break
        case 'PARTIAL': expect(sum).toBeGreaterThan(0); expect(sum).toBeLessThan(p.expected_minor); break
        case 'SUCCESS': expect(sum).toBe(p.expected_minor); break
        case 'OVERPAID': expect(sum).toBeGreaterThan(p.expected_minor); break
        case 'MANUAL_REVIEW': expect(credits.length).toBeGreaterThan(0); break
        default: throw new Error(`unexpected status ${p.status}`)
      }
      if (p.status !== 'PENDING' && p.status !== 'CANCELLED') settled++
      // One transaction.completed per change of a completed payment's amount, never more.
      const completed = await db.value<number>(sql`SELECT COUNT(*) FROM events WHERE payment_id = ${p.id} AND type = 'transaction.completed'`) ?? 0
      expect(completed).toBeLessThanOrEqual(credits.length)
    }
    expect(settled).toBeGreaterThan(10)
  })
})
