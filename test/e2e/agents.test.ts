import { execFile } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from '../../ledger/testing.js'
import { agentSite, type AgentSite } from '../helpers/agent-rig.js'
import { CLI, spawnDaemon, spawnHarpoon, type CliProcess, type DaemonProcess } from '../helpers/daemon-process.js'
import { freePort } from '../helpers/ports.js'
import { apiCall } from '../helpers/http.js'
import { startHttpProxy, type HttpProxy } from '../helpers/http-proxy.js'
import { openTestLedger, testDatabase } from '../helpers/ledger.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { mtnCreditPdus, sleep } from '../faults/support.js'
import { MODEM_NETWORKS } from '../../core/networks.js'

const run = promisify(execFile)

interface Payment { reference: string, hpn_code: string, status: string, pay_to: Array<{ msisdn: string }> }
interface Modem { id: string, agent?: string, state: string, connected: boolean, last_sms_at: string | null, last_contact_at?: string }

/**
 * Issue 19: a central daemon and two `harpoon agent` processes, each with a modem on a real
 * pseudo-terminal. The sites belong to two merchants (kumasi: `default`, accra: `shop2`); accra
 * reaches the central through a proxy that can withhold an answer the central already gave.
 */
// Three daemons, pseudo-terminals and a stopped central per test: room for a loaded machine (outcomes
// are asserted, never durations).
describe('modems at two sites, one central daemon', { timeout: 90_000 }, () => {
  const root = tempDir('harpoon-agents-')
  const centralDir = join(root.path, 'central')
  let port = 0
  let central: DaemonProcess | null = null
  let proxy: HttpProxy
  let kumasi: AgentSite
  let accra: AgentSite
  const keys = { ops: '', shop2: '', test: '' }
  let txId = 71_000_000_000
  let balance = 0
  let ref = 0

  const centralConfig = (): Record<string, unknown> => ({
    api: { port, rate_limit: { max: 10_000, window_ms: 1000 } },
    virtual_modems: false,
    central: { agent_offline_after_ms: 2_500 },
    log_level: 'info'
  })
  const startCentral = async (): Promise<DaemonProcess> => (central = await spawnDaemon(centralDir, centralConfig(), { outlivesTest: true }))
  const url = (): string => `http://127.0.0.1:${port}`
  const call = async <T>(key: string, method: string, path: string, body?: unknown): Promise<T> => await apiCall<T>(`${url()}${path}`, key, method, body)
  const pay = async (key: string, amount: number): Promise<Payment> => await call<Payment>(key, 'POST', '/v1/payments/initialize', { amount })
  const status = async (key: string, reference: string): Promise<string> => (await call<Payment>(key, 'GET', `/v1/payments/${reference}`)).status
  /** The customer pays: the telco's 2-part credit SMS lands on the site's SIM. */
  const credit = (site: AgentSite, code: string, amount: number): string => {
    const id = String(txId++)
    balance += amount * 100
    for (const pdu of mtnCreditPdus({ amountMinor: amount * 100, reference: code, transactionId: id, balanceMinor: balance, ref: ++ref })) site.sim.deliver(pdu)
    return id
  }
  /** Rows of the central's ledger, read beside the running daemon. */
  const central$ = async <T>(fn: (rows: Awaited<ReturnType<typeof openTestLedger>>['rows']) => Promise<T>): Promise<T> => {
    const watch = await openTestLedger({ dir: centralDir })
    try { return await fn(watch.rows) } finally { await watch.close() }
  }
  const creditsOf = async (tx: string): Promise<Array<{ status: string }>> => await central$(async (rows) => await rows.all(sql`SELECT status FROM credits WHERE telco_transaction_id = ${tx}`))

  beforeAll(async () => {
    mkdirSync(centralDir)
    port = await freePort()
    const setup = await openTestLedger({ dir: centralDir })
    const { ledger } = setup
    await ledger.merchants.create({ id: 'default', name: 'Kumasi shop' })
    await ledger.merchants.create({ id: 'shop2', name: 'Accra shop' })
    const scopes = ['payments:read', 'payments:write', 'operator'] as const
    keys.ops = (await ledger.apiKeys.create({ merchantId: 'default', name: 'ops', mode: 'live', scopes: [...scopes] })).secret
    keys.shop2 = (await ledger.apiKeys.create({ merchantId: 'shop2', name: 'ops', mode: 'live', scopes: [...scopes] })).secret
    keys.test = (await ledger.apiKeys.create({ merchantId: 'default', name: 'test', mode: 'test', scopes: [...scopes] })).secret
    const agentKey = async (merchantId: string): Promise<string> => (await ledger.apiKeys.create({ merchantId, name: 'agent', mode: 'live', scopes: ['agent'] })).secret
    const kumasiKey = await agentKey('default')
    const accraKey = await agentKey('shop2')
    await setup.close()
    await startCentral()
    proxy = await startHttpProxy([url()])
    for (const d of ['kumasi', 'accra']) mkdirSync(join(root.path, d))
    kumasi = await agentSite({ id: 'kumasi', dir: join(root.path, 'kumasi'), centralUrl: url(), key: kumasiKey, imsi: '620010000000011', msisdn: '0244000011' })
    accra = await agentSite({ id: 'accra', dir: join(root.path, 'accra'), centralUrl: proxy.url, key: accraKey, imsi: '620010000000022', msisdn: '0244000022' })
    await Promise.all([kumasi.start(), accra.start()])
    // Both sites' modems are up and known to the central.
    await waitFor(async () => {
      const mine = await call<Modem[]>(keys.ops, 'GET', '/v1/modems')
      const theirs = await call<Modem[]>(keys.shop2, 'GET', '/v1/modems')
      return mine.some((m) => m.id === 'kumasi/mtn-1' && m.connected) && theirs.some((m) => m.id === 'accra/mtn-1' && m.connected) ? true : undefined
    }, 'both agents\' modems to report connected')
  }, 60_000)

  afterAll(async () => {
    await Promise.allSettled([kumasi?.close(), accra?.close()])
    await proxy?.close()
    if (central !== null && central.child.exitCode === null) { central.child.kill('SIGTERM'); await central.exited }
    root.cleanup()
  })

  it('settles credits from both sites once, for each site\'s merchant, and shows every agent\'s modems', async () => {
    const p1 = await pay(keys.ops, 120)
    const p2 = await pay(keys.shop2, 80)
    // Each site's wallet is offered to its own merchant's customers only.
    expect(p1.pay_to.map((w) => w.msisdn)).toEqual(['0244000011'])
    expect(p2.pay_to.map((w) => w.msisdn)).toEqual(['0244000022'])
    const t1 = credit(kumasi, p1.hpn_code, 120)
    const t2 = credit(accra, p2.hpn_code, 80)
    await waitFor(async () => await status(keys.ops, p1.reference) === 'SUCCESS' && await status(keys.shop2, p2.reference) === 'SUCCESS' ? true : undefined, 'both payments to settle')
    // The network sends kumasi's credit again (a new SMS, the same telco transaction): forwarded, counted once.
    for (const pdu of mtnCreditPdus({ amountMinor: 12_000, reference: p1.hpn_code, transactionId: t1, balanceMinor: balance, ref })) kumasi.sim.deliver(pdu)
    await waitFor(() => kumasi.sim.messages().length === 0 ? true : undefined, 'kumasi\'s SIM to be emptied')
    await waitFor(async () => (await kumasi.status()).pending === 0 ? true : undefined, 'kumasi to have forwarded everything')
    expect((await creditsOf(t1)).map((c) => c.status)).toEqual(['matched', 'duplicate'])
    expect((await creditsOf(t2)).map((c) => c.status)).toEqual(['matched'])

    const mine = await call<Modem[]>(keys.ops, 'GET', '/v1/modems')
    expect(mine.map((m) => m.id)).toEqual(['kumasi/mtn-1'])
    expect(mine[0]).toMatchObject({ agent: 'kumasi', state: 'connected', connected: true })
    expect(mine[0]?.last_sms_at).not.toBeNull()
    expect((await call<Modem[]>(keys.shop2, 'GET', '/v1/modems')).map((m) => m.id)).toEqual(['accra/mtn-1'])
    const sms = await call<Array<{ modem_id: string, outcome: string }>>(keys.ops, 'GET', '/v1/sms')
    expect(sms.map((s) => s.modem_id)).toEqual(['kumasi/mtn-1', 'kumasi/mtn-1'])
  })

  it('keeps SMS at the sites while the central is stopped, then settles every payment once, in order per modem', async () => {
    const per = 4
    const plan = await Promise.all([...Array(per).keys()].flatMap(() => [
      pay(keys.ops, 10).then((p) => ({ site: kumasi, key: keys.ops, p })),
      pay(keys.shop2, 10).then((p) => ({ site: accra, key: keys.shop2, p }))
    ]))
    const c = central as DaemonProcess
    c.child.kill('SIGTERM')
    await c.exited
    // SMS keep arriving at both sites; each is committed to the site's store and deleted from its SIM.
    const sent = new Map<string, string[]>([['kumasi', []], ['accra', []]])
    for (const { site, p } of plan) {
      sent.get(site.id)?.push(credit(site, p.hpn_code, 10))
      await sleep(300)
    }
    for (const site of [kumasi, accra]) {
      await waitFor(async () => (await site.status()).pending === per ? true : undefined, `${site.id} to hold its ${per} messages`)
      expect(site.sim.messages()).toEqual([])
      expect(site.process?.logs().some((l) => l['msg'] === 'agent: cannot reach the central; SMS are stored here and forwarded, in order, when it answers')).toBe(true)
    }
    // Long enough for the agents' back-off to reach its ceiling (retry_max_ms) while nobody answers.
    await sleep(2_000)

    await startCentral()
    for (const { key, p } of plan) await waitFor(async () => await status(key, p.reference) === 'SUCCESS' ? true : undefined, `payment ${p.hpn_code} to settle`)
    for (const site of [kumasi, accra]) {
      await waitFor(async () => (await site.status()).pending === 0 ? true : undefined, `${site.id}'s backlog to drain`)
      expect(site.process?.logs().some((l) => l['msg'] === 'agent: the central answers again; forwarding what was stored meanwhile')).toBe(true)
      // Once each, and in the order the site's modem received them.
      const order = await central$(async (rows) => await rows.all<{ tx: string, status: string }>(sql`SELECT c.telco_transaction_id AS tx, c.status
        FROM sms_messages s JOIN credits c ON c.id = s.credit_id WHERE s.modem_id = ${`${site.id}/mtn-1`} ORDER BY s.id`))
      const mine = sent.get(site.id) as string[]
      expect(order.filter((o) => mine.includes(o.tx))).toEqual(mine.map((tx) => ({ tx, status: 'matched' })))
    }
  })

  it('counts a credit once when the agent is killed after the central committed it and before it got the answer', async () => {
    const p = await pay(keys.shop2, 55)
    const agent = accra.process as CliProcess<true>
    // The central answers the message; the link loses the answer and the agent dies that instant.
    proxy.onAnswer = (request, code) => {
      if (request.path !== '/v1/agent/messages' || code !== 200) return 'pass'
      proxy.onAnswer = null
      agent.child.kill('SIGKILL')
      return 'drop'
    }
    const tx = credit(accra, p.hpn_code, 55)
    await agent.exited
    expect(await status(keys.shop2, p.reference)).toBe('SUCCESS')
    expect((await accra.status()).pending).toBe(1)

    const again = await accra.start()
    await waitFor(async () => (await accra.status()).pending === 0 ? true : undefined, 'the restarted agent to send it again')
    expect(central?.logs().some((l) => l['msg'] === 'agent message already accepted earlier: acknowledged again, nothing changed' && l['agent'] === 'accra')).toBe(true)
    expect((await creditsOf(tx)).map((c) => c.status)).toEqual(['matched'])
    const completed = await central$(async (rows) => await rows.value(sql`SELECT COUNT(*) FROM events e JOIN payments p ON p.id = e.payment_id
      WHERE p.reference = ${p.reference} AND e.type = 'transaction.completed'`))
    expect(completed).toBe(1)
    expect(again.child.exitCode).toBeNull()
  })

  it('changes nothing when an agent replays its whole store', async () => {
    const snapshot = async (): Promise<unknown> => await central$(async (rows) => ({
      counts: await rows.get(sql`SELECT (SELECT COUNT(*) FROM sms_messages) AS sms, (SELECT COUNT(*) FROM sms_pdus) AS pdus, (SELECT COUNT(*) FROM credits) AS credits,
        (SELECT COUNT(*) FROM events) AS events, (SELECT COUNT(*) FROM agent_messages) AS accepted, (SELECT COUNT(*) FROM webhook_deliveries) AS deliveries`),
      payments: await rows.all(sql`SELECT reference, status, actual_minor, sequence FROM payments ORDER BY id`)
    }))
    const before = await snapshot()
    const duplicates = (): number => central?.logs().filter((l) => l['msg'] === 'agent message already accepted earlier: acknowledged again, nothing changed' && l['agent'] === 'kumasi').length ?? 0
    const seen = duplicates()
    const { forwarded } = await kumasi.status()
    expect(forwarded).toBeGreaterThanOrEqual(6)
    expect(await kumasi.replay()).toContain(`Queued ${forwarded} stored message(s)`)
    await waitFor(async () => (await kumasi.status()).pending === 0 && duplicates() - seen === forwarded ? true : undefined, 'the replay to be acknowledged')
    expect(await snapshot()).toEqual(before)
  })

  it('shows an agent that stopped reporting, to its own merchant only', async () => {
    await kumasi.process?.kill9()
    const offline = await waitFor(async () => {
      const s = await call<{ alarm: boolean, agents_offline: Array<{ agent: string, last_contact_at: string }> }>(keys.ops, 'GET', '/v1/operator/status')
      return s.alarm ? s : undefined
    }, 'the silence alarm for kumasi')
    expect(offline.agents_offline.map((a) => a.agent)).toEqual(['kumasi'])
    const modem = (await call<Modem[]>(keys.ops, 'GET', '/v1/modems'))[0]
    expect(modem).toMatchObject({ id: 'kumasi/mtn-1', state: 'agent_offline', connected: false })
    expect(Date.parse(modem?.last_contact_at ?? '')).toBeLessThan(Date.now() - 2_000)
    expect((await (await fetch(`${url()}/healthz`)).json())).toMatchObject({ status: 'degraded' })
    expect((await call<{ agents_offline: unknown[] }>(keys.shop2, 'GET', '/v1/operator/status')).agents_offline).toEqual([])
    await kumasi.start()
  })

  it('lets a test-mode agent without modems run virtual ones, and harpoon simulate --agent pay through them', async () => {
    const dir = join(root.path, 'laptop')
    mkdirSync(dir)
    const setup = await openTestLedger({ dir: centralDir })
    const key = (await setup.ledger.apiKeys.create({ merchantId: 'default', name: 'laptop', mode: 'test', scopes: ['agent'] })).secret
    await setup.close()
    const laptop = await spawnHarpoon(dir, 'agent.json', 'agent', {
      agent: { id: 'laptop', central_url: url(), key, store_path: join(dir, 'agent.db'), heartbeat_ms: 500, test_poll_ms: 200 },
      modem_polling: { scan_interval_ms: 300 }
    }, (line) => line['msg'] === 'agent running' ? true : undefined)
    try {
      await waitFor(async () => (await call<Modem[]>(keys.test, 'GET', '/v1/modems')).filter((m) => m.agent === 'laptop' && m.connected).length === MODEM_NETWORKS.length ? true : undefined, 'the laptop\'s virtual modems')
      const p = await pay(keys.test, 42)
      expect(p.pay_to.map((w) => w.msisdn).sort()).toEqual(['0200000000', '0240000000', '0270000000'])
      writeFileSync(join(dir, 'central.json'), JSON.stringify({ api: { port }, database: await testDatabase(centralDir) }))
      const { stdout } = await run(process.execPath, [CLI, 'simulate', '--config', join(dir, 'central.json'), '--agent', 'laptop', '--network', 'telecel', '--amount', '42', '--reference', p.hpn_code])
      expect(JSON.parse(stdout)).toMatchObject({ path: 'agent', outcome: 'credit', payment: p.reference, payment_status: 'SUCCESS' })
      const sms = await call<Array<{ modem_id: string }>>(keys.test, 'GET', '/v1/sms')
      expect(sms[0]?.modem_id).toBe('laptop/virtual-telecel')
    } finally {
      await laptop.stop()
    }
  })
})
