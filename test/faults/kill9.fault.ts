import { afterAll, describe, expect, it } from 'vitest'
import { ModemSimulator } from '../../modem/virtual/engine.js'
import { startPtyModem, type PtyModem } from '../../fixtures/modem-harness/pty.js'
import { sql } from '../../ledger/testing.js'
import { createEndpoint } from '../../webhooks/endpoints.js'
import { openTestLedger } from '../helpers/ledger.js'
import { harpoonSignature } from '../../webhooks/signer.js'
import { tempDir } from '../helpers/temp-dir.js'
import { startReceiver, type Receiver } from '../webhooks/receiver.js'
import { mtnCreditPdus, sleep, startKillable, waitFor, writeConfig, type Killable } from './support.js'

const KILLS = Number(process.env['HARPOON_FAULT_KILLS'] ?? 32)
const SEED = Number(process.env['HARPOON_FAULT_SEED'] ?? Date.now() % 1_000_000)

/** Seeded so a failing run can be replayed with HARPOON_FAULT_SEED. */
function rng (seed: number): () => number {
  let x = seed || 1
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return ((x >>> 0) % 1_000_000) / 1_000_000 }
}

interface Known { reference: string, code: string, expected: number, plan: 'exact' | 'partial' | 'over', sent: number, steps: number }
interface SentSms { txId: string, code: string, amount: number, pdus: string[] }

describe(`kill -9 at random points while SMS and API traffic flow (seed ${SEED})`, () => {
  const dir = tempDir('harpoon-faults-')
  let pty: PtyModem | null = null
  let receiver: Receiver | null = null
  let daemon: Killable | null = null
  afterAll(async () => {
    await daemon?.kill9()
    await pty?.close()
    await receiver?.close()
    dir.cleanup()
  })

  it(`survives ${KILLS} kills with the ledger invariants intact`, async () => {
    const random = rng(SEED)
    const sim = new ModemSimulator({ profile: 'sim800', imsi: '620010000000001', memories: { SM: 60 } })
    pty = await startPtyModem(sim)
    receiver = await startReceiver()
    const setup = await openTestLedger({ dir: dir.path })
    const { ledger } = setup
    await ledger.merchants.create({ id: 'default', name: 'Shop' })
    const key = (await ledger.apiKeys.create({ merchantId: 'default', name: 'faults', mode: 'live', scopes: ['payments:read', 'payments:write'] })).secret
    const { secret } = await createEndpoint(ledger, { merchantId: 'default', mode: 'live' }, { url: receiver.url })
    await setup.close()
    const configPath = await writeConfig(dir.path, {
      modems: [{ id: 'mtn-1', port: pty.path, network: 'mtn', msisdn: '0244000001' }],
      modem_polling: { scan_interval_ms: 300, command_timeout_ms: 1000, list_timeout_ms: 3000 },
      webhooks: { allow_private_targets: true, retry_schedule: [0.2, 0.5, 1, 1, 1, 1, 1, 1, 1, 1], timeout_ms: 1000, poll_interval_ms: 100 }
    })

    const known: Known[] = []
    const sent: SentSms[] = []
    const serverErrors: string[] = []
    let balance = 0
    let ref = 0
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }

    async function apiTraffic (url: string, alive: () => boolean): Promise<void> {
      while (alive()) {
        try {
          if (random() < 0.6 || known.length === 0) {
            const amount = 100 * (1 + Math.floor(random() * 300))
            const res = await fetch(`${url}/v1/payments/initialize`, { method: 'POST', headers: auth, body: JSON.stringify({ amount: (amount / 100).toFixed(2) }) })
            if (res.status >= 500) serverErrors.push(`initialize ${res.status} ${await res.text()}`)
            else if (res.status === 201) {
              const p = ((await res.json()) as { data: { reference: string, hpn_code: string } }).data
              const plans = ['exact', 'partial', 'over'] as const
              known.push({ reference: p.reference, code: p.hpn_code, expected: amount, plan: plans[Math.floor(random() * 3)] as Known['plan'], sent: 0, steps: 0 })
            }
          } else {
            const p = known[Math.floor(random() * known.length)] as Known
            const res = await fetch(`${url}/v1/payments/${p.code}`, { headers: auth })
            if (res.status >= 500) serverErrors.push(`get ${res.status} ${await res.text()}`)
            else await res.arrayBuffer()
          }
        } catch {
          // The daemon died under the request: expected, the next start serves again.
          await sleep(20)
        }
      }
    }

    /** The next credit a payment's plan calls for, or null when its plan is complete. */
    function nextCredit (p: Known): number | null {
      if (p.plan === 'partial') return p.steps === 0 ? Math.floor(p.expected / 2) : p.steps === 1 ? p.expected - Math.floor(p.expected / 2) : null
      if (p.steps > 0) return null
      return p.plan === 'exact' ? p.expected : p.expected + 100
    }

    function smsTraffic (): void {
      if (random() < 0.1 && sent.length > 0) {
        // The network repeats a message: the same telco transaction again, which must count once.
        const again = sent[Math.floor(random() * sent.length)] as SentSms
        for (const pdu of mtnCreditPdus({ amountMinor: again.amount, reference: again.code, transactionId: again.txId, balanceMinor: balance, ref: ++ref })) sim.deliver(pdu)
        return
      }
      const open = known.filter((p) => nextCredit(p) !== null)
      const p = open[Math.floor(random() * open.length)]
      if (p === undefined) return
      const amount = nextCredit(p) as number
      p.steps++
      p.sent += amount
      balance += amount
      const txId = `9${String(sent.length + 1).padStart(10, '0')}`
      const pdus = mtnCreditPdus({ amountMinor: amount, reference: p.code, transactionId: txId, balanceMinor: balance, ref: ++ref })
      sent.push({ txId, code: p.code, amount, pdus })
      for (const pdu of pdus) sim.deliver(pdu)
    }

    for (let i = 0; i < KILLS; i++) {
      daemon = startKillable(configPath)
      const d = daemon
      let alive = true
      // Anywhere from mid-start-up (settling stored messages, re-claiming leases) to well into traffic.
      // Half the kills are timed from the spawn, half from when the API listens: on a loaded machine a
      // start can take seconds, and kills timed only from the spawn would then never meet any traffic.
      const fromListening = random() < 0.5
      const killAfter = 150 + Math.floor(random() * 1500)
      const traffic = d.url.then(async (url) => {
        const sms = setInterval(smsTraffic, 40)
        try { await Promise.all([apiTraffic(url, () => alive), apiTraffic(url, () => alive)]) } finally { clearInterval(sms) }
      }, () => {})
      if (fromListening) await d.url.catch(() => {})
      await sleep(killAfter)
      alive = false
      await d.kill9()
      await traffic
    }

    // A last start that is left alone: everything stored must settle and every event be delivered.
    daemon = startKillable(configPath)
    await daemon.url
    // Only reads, while the last daemon writes.
    const watch = await openTestLedger({ dir: dir.path })
    const db = watch.rows
    const count = async (statement: ReturnType<typeof sql>): Promise<number> => Number(await db.value(statement))
    await waitFor(async () => {
      const settled = sim.messages().length === 0 &&
        await count(sql`SELECT count(*) FROM sms_messages WHERE processed = 0`) === 0 &&
        await count(sql`SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'`) === 0 &&
        await count(sql`SELECT count(DISTINCT telco_transaction_id) FROM credits WHERE status <> 'duplicate'`) === new Set(sent.map((s) => s.txId)).size
      return settled ? true : undefined
    }, 'the SIM to empty, every SMS to settle and every delivery to arrive', 90_000)
    await daemon.stop()

    expect(serverErrors).toEqual([])
    expect(known.length).toBeGreaterThan(0)
    expect(sent.length).toBeGreaterThan(0)

    // No SMS lost from the SIM or the database, none counted twice.
    expect(sim.messages()).toEqual([])
    expect(await count(sql`SELECT count(*) FROM sms_part_groups WHERE message_id IS NULL`)).toBe(0)
    const credits = await db.all<{ tx: string, amount: number, status: string, code: string | null }>(sql`SELECT c.telco_transaction_id AS tx, c.amount_minor AS amount, c.status, p.hpn_code AS code
      FROM credits c LEFT JOIN payments p ON p.id = c.payment_id WHERE c.status <> 'duplicate'`)
    const byTx = new Map<string, typeof credits>()
    for (const c of credits) byTx.set(c.tx, [...(byTx.get(c.tx) ?? []), c])
    for (const s of sent) {
      const found = byTx.get(s.txId) ?? []
      expect(found, `credit ${s.txId}`).toHaveLength(1)
      expect(found[0]).toMatchObject({ amount: s.amount, status: 'matched', code: s.code })
    }

    // Every payment's state agrees with its credits.
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
    for (const k of known) {
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
    process.stderr.write(`kill -9 suite: ${KILLS} kills, ${known.length} payments created over the API, ${sent.length} credit SMS ` +
      `(+ repeats), ${deliveries.length} events, ${receiver.requests.length} webhook requests received\n`)
    await watch.close()
  }, Number(process.env['HARPOON_FAULT_TIMEOUT'] ?? 280_000))
})
