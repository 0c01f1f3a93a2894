import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sql } from '../../ledger/testing.js'
import { agentSite, type AgentSite } from '../helpers/agent-rig.js'
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon-process.js'
import { apiCall } from '../helpers/http.js'
import { startHttpProxy, type HttpProxy } from '../helpers/http-proxy.js'
import { openTestLedger, testDatabase } from '../helpers/ledger.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { mtnCreditPdus } from '../faults/support.js'

interface Payment { reference: string, hpn_code: string, status: string }

/**
 * Several central nodes behind one URL: two daemon processes on one ledger (in the `postgres` project
 * one PostgreSQL database, the deployment this is for; in the `sqlite` project one SQLite file), and a
 * proxy handing the agent's requests to them in turn. Nothing of the protocol may live in one node's
 * memory: whichever node takes a message, it is stored and settled once, in order, and both nodes
 * show the agent's modem.
 */
describe('an agent forwarding to two central nodes behind one URL', () => {
  const root = tempDir('harpoon-nodes-')
  const nodes: DaemonProcess[] = []
  let proxy: HttpProxy | null = null
  let site: AgentSite | null = null
  afterAll(async () => {
    await site?.close()
    await proxy?.close()
    for (const n of nodes) { n.child.kill('SIGTERM'); await n.exited }
    root.cleanup()
  })

  it('stores and settles every message once, in order, whichever node takes it', async () => {
    const shared = join(root.path, 'ledger')
    mkdirSync(shared)
    const setup = await openTestLedger({ dir: shared })
    await setup.ledger.merchants.create({ id: 'default', name: 'Shop' })
    const ops = (await setup.ledger.apiKeys.create({ merchantId: 'default', name: 'ops', mode: 'live', scopes: ['payments:read', 'payments:write', 'operator'] })).secret
    const agentKey = (await setup.ledger.apiKeys.create({ merchantId: 'default', name: 'agent', mode: 'live', scopes: ['agent'] })).secret
    await setup.close()
    for (const name of ['node-1', 'node-2']) {
      const dir = join(root.path, name)
      mkdirSync(dir)
      nodes.push(await spawnDaemon(dir, { database: await testDatabase(shared), virtual_modems: false, api: { port: 0, rate_limit: { max: 10_000, window_ms: 1000 } } }))
    }
    proxy = await startHttpProxy(nodes.map((n) => n.url))
    const siteDir = join(root.path, 'tamale')
    mkdirSync(siteDir)
    site = await agentSite({ id: 'tamale', dir: siteDir, centralUrl: proxy.url, key: agentKey, imsi: '620010000000033', msisdn: '0244000033' })
    await site.start()

    // Both nodes know the agent's modem, whichever took its reports.
    for (const n of nodes) {
      await waitFor(async () => (await apiCall<Array<{ id: string, connected: boolean }>>(`${n.url}/v1/modems`, ops)).some((m) => m.id === 'tamale/mtn-1' && m.connected) ? true : undefined, `${n.url} to show the agent's modem`)
    }
    const payments: Payment[] = []
    for (let i = 0; i < 6; i++) payments.push(await apiCall<Payment>(`${(nodes[i % 2] as DaemonProcess).url}/v1/payments/initialize`, ops, 'POST', { amount: 20 + i }))
    const sent: string[] = []
    for (const [i, p] of payments.entries()) {
      const tx = String(81_000_000_000 + i)
      sent.push(tx)
      for (const pdu of mtnCreditPdus({ amountMinor: (20 + i) * 100, reference: p.hpn_code, transactionId: tx, balanceMinor: 100_000 + i, ref: i + 1 })) site.sim.deliver(pdu)
    }
    for (const p of payments) {
      await waitFor(async () => (await apiCall<Payment>(`${(nodes[0] as DaemonProcess).url}/v1/payments/${p.reference}`, ops)).status === 'SUCCESS' ? true : undefined, `payment ${p.hpn_code}`)
    }
    await waitFor(async () => (await site?.status())?.pending === 0 ? true : undefined, 'the agent to be acknowledged for everything')
    // Each node took messages.
    for (const n of nodes) expect(n.logs().filter((l) => l['msg'] === 'agent message accepted').length).toBeGreaterThan(0)
    const watch = await openTestLedger({ dir: shared })
    try {
      const order = await watch.rows.all<{ tx: string, status: string }>(sql`SELECT c.telco_transaction_id AS tx, c.status FROM sms_messages s JOIN credits c ON c.id = s.credit_id
        WHERE s.modem_id = 'tamale/mtn-1' ORDER BY s.id`)
      expect(order).toEqual(sent.map((tx) => ({ tx, status: 'matched' })))
    } finally {
      await watch.close()
    }
  }, 90_000)
})
