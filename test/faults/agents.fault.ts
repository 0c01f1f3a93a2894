import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sql } from '../../ledger/testing.js'
import { agentSite, type AgentSite } from '../helpers/agent-rig.js'
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon-process.js'
import { freePort } from '../helpers/ports.js'
import { apiCall } from '../helpers/http.js'
import { openTestLedger } from '../helpers/ledger.js'
import { tempDir } from '../helpers/temp-dir.js'
import { mtnCreditPdus, sleep, waitFor } from './support.js'

const OUTAGE_MS = Number(process.env['HARPOON_FAULT_OUTAGE_MS'] ?? 60_000)
const SEED = Number(process.env['HARPOON_FAULT_SEED'] ?? Date.now() % 1_000_000)

interface Payment { reference: string, hpn_code: string, status: string }

/** Seeded so a failing run can be replayed with HARPOON_FAULT_SEED. */
function rng (seed: number): () => number {
  let x = seed || 1
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return ((x >>> 0) % 1_000_000) / 1_000_000 }
}

/**
 * The issue's long variants, against the built daemon and agents on pty modems: the central away
 * for a whole minute while SMS keep arriving at two sites, then back (back-off at the agents' real
 * ceiling); and an agent killed with SIGKILL at random moments while its SMS flow.
 */
describe(`agents under faults (seed ${SEED})`, () => {
  const root = tempDir('harpoon-agent-faults-')
  const running: Array<{ stop: () => Promise<void> }> = []
  afterAll(async () => {
    for (const r of running.reverse()) await r.stop().catch(() => {})
    root.cleanup()
  })

  async function rig (sites: string[]): Promise<{ port: number, dir: string, ops: string, central: () => Promise<DaemonProcess>, sites: AgentSite[] }> {
    const dir = join(root.path, `central-${sites.join('-')}`)
    mkdirSync(dir)
    const port = await freePort()
    const setup = await openTestLedger({ dir })
    await setup.ledger.merchants.create({ id: 'default', name: 'Shop' })
    const ops = (await setup.ledger.apiKeys.create({ merchantId: 'default', name: 'ops', mode: 'live', scopes: ['payments:read', 'payments:write'] })).secret
    const agentKey = (await setup.ledger.apiKeys.create({ merchantId: 'default', name: 'agents', mode: 'live', scopes: ['agent'] })).secret
    await setup.close()
    const central = async (): Promise<DaemonProcess> => {
      const d = await spawnDaemon(dir, { api: { port, rate_limit: { max: 10_000, window_ms: 1000 } }, virtual_modems: false }, { outlivesTest: true })
      running.push({ stop: async () => { if (d.child.exitCode === null) { d.child.kill('SIGTERM'); await d.exited } } })
      return d
    }
    const made: AgentSite[] = []
    for (const [i, id] of sites.entries()) {
      const siteDir = join(dir, id)
      mkdirSync(siteDir)
      // The agents' real back-off ceiling would be a minute; 10 s keeps the run short and still reaches it.
      const site = await agentSite({ id, dir: siteDir, centralUrl: `http://127.0.0.1:${port}`, key: agentKey, imsi: `62001000000010${i}`, msisdn: `024400010${i}`, agent: { heartbeat_ms: 2_000, retry_initial_ms: 500, retry_max_ms: 10_000 } })
      running.push({ stop: site.close })
      made.push(site)
    }
    return { port, dir, ops, central, sites: made }
  }

  it(`settles every payment once, in order per modem, after the central was away for ${OUTAGE_MS / 1000} s`, async () => {
    const r = await rig(['kumasi', 'accra'])
    const c = await r.central()
    await Promise.all(r.sites.map(async (s) => await s.start()))
    const url = `http://127.0.0.1:${r.port}`
    const plan: Array<{ site: AgentSite, p: Payment, amount: number }> = []
    const perSite = Math.max(4, Math.round(OUTAGE_MS / 4_000))
    for (let i = 0; i < perSite; i++) for (const site of r.sites) plan.push({ site, amount: 5 + i, p: await apiCall<Payment>(`${url}/v1/payments/initialize`, r.ops, 'POST', { amount: 5 + i }) })
    c.child.kill('SIGTERM')
    await c.exited
    const down = Date.now()
    const sent = new Map<string, string[]>()
    let n = 0
    // Spread over the outage: SMS keep arriving at both sites the whole time the central is away.
    for (const { site, p, amount } of plan) {
      const tx = String(91_000_000_000 + n)
      sent.set(site.id, [...(sent.get(site.id) ?? []), tx])
      for (const pdu of mtnCreditPdus({ amountMinor: amount * 100, reference: p.hpn_code, transactionId: tx, balanceMinor: 100_000 + n, ref: ++n })) site.sim.deliver(pdu)
      await sleep((OUTAGE_MS - 2_000) / plan.length)
    }
    await sleep(Math.max(0, down + OUTAGE_MS - Date.now()))
    for (const site of r.sites) {
      expect((await site.status()).pending).toBe(perSite)
      expect(site.sim.messages()).toEqual([])
    }
    const back = Date.now()
    await r.central()
    for (const { p } of plan) await waitFor(async () => (await apiCall<Payment>(`${url}/v1/payments/${p.reference}`, r.ops)).status === 'SUCCESS' ? true : undefined, `payment ${p.hpn_code}`)
    const drained = Date.now() - back
    const watch = await openTestLedger({ dir: r.dir })
    try {
      for (const site of r.sites) {
        const order = await watch.rows.all<{ tx: string, status: string }>(sql`SELECT c.telco_transaction_id AS tx, c.status FROM sms_messages s JOIN credits c ON c.id = s.credit_id
          WHERE s.modem_id = ${`${site.id}/mtn-1`} ORDER BY s.id`)
        expect(order).toEqual((sent.get(site.id) ?? []).map((tx) => ({ tx, status: 'matched' })))
      }
    } finally {
      await watch.close()
    }
    process.stderr.write(`agent outage: central away ${Math.round((back - down) / 1000)} s, ${plan.length} SMS stored at 2 sites meanwhile; all settled ${drained} ms after its start (agents' back-off ceiling 10 s)\n`)
  }, OUTAGE_MS + 180_000)

  it('counts every credit once while an agent is killed with SIGKILL at random moments', async () => {
    const random = rng(SEED)
    const r = await rig(['tamale'])
    await r.central()
    const site = r.sites[0] as AgentSite
    const url = `http://127.0.0.1:${r.port}`
    const sent: Array<{ tx: string, p: Payment }> = []
    for (let round = 0; round < 12; round++) {
      const agent = await site.start()
      // A few credits, then a kill at a random instant: mid-scan, mid-commit, mid-forward, mid-answer.
      for (let i = 0; i < 3; i++) {
        const p = await apiCall<Payment>(`${url}/v1/payments/initialize`, r.ops, 'POST', { amount: 7 })
        const tx = String(92_000_000_000 + sent.length)
        sent.push({ tx, p })
        for (const pdu of mtnCreditPdus({ amountMinor: 700, reference: p.hpn_code, transactionId: tx, balanceMinor: 100_000 + sent.length, ref: sent.length })) site.sim.deliver(pdu)
        await sleep(Math.floor(random() * 300))
      }
      await sleep(Math.floor(random() * 800))
      await agent.kill9()
    }
    await site.start()
    for (const { p } of sent) await waitFor(async () => (await apiCall<Payment>(`${url}/v1/payments/${p.reference}`, r.ops)).status === 'SUCCESS' ? true : undefined, `payment ${p.hpn_code}`)
    await waitFor(async () => (await site.status()).pending === 0 ? true : undefined, 'the agent\'s queue to empty')
    const watch = await openTestLedger({ dir: r.dir })
    try {
      const credits = await watch.rows.all<{ tx: string, n: number }>(sql`SELECT telco_transaction_id AS tx, COUNT(*) AS n FROM credits WHERE status <> 'duplicate' GROUP BY telco_transaction_id`)
      expect(credits.map((c) => c.tx).sort()).toEqual(sent.map((s) => s.tx).sort())
      expect(credits.every((c) => Number(c.n) === 1)).toBe(true)
      const amounts = await watch.rows.all<{ actual: number }>(sql`SELECT actual_minor AS actual FROM payments`)
      expect(amounts.every((a) => a.actual === 700)).toBe(true)
    } finally {
      await watch.close()
    }
    expect(site.sim.messages()).toEqual([])
    process.stderr.write(`agent kill -9: 12 kills, ${sent.length} credits, each counted once\n`)
  }, 240_000)
})
