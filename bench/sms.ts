import { join } from 'node:path'
import pino from 'pino'
import { SerialPort } from 'serialport'
import { ModemSimulator } from '../modem/virtual/engine.js'
import { startPtyModem, type PtyModem } from '../fixtures/modem-harness/pty.js'
import { telcoCreditText } from '../ingest/telco-wording.js'
import type { Ledger } from '../ledger/ledger.js'
import { encodeMultipart } from '../modem/pdu/encode.js'
import { openLedger } from '../ledger/open.js'
import { createEndpoint } from '../webhooks/endpoints.js'
import { createWebhooks } from '../webhooks/webhooks.js'
import { benchDatabase, Cleanup, percentile, spawnDaemon, spawnReceiver, tempDir, waitUntil, type Child } from './harness.js'
import { startReceiver } from './receiver.js'
import { API_ONLY } from './api.js'
import { benchSecretKey, prepareLedger } from './seed.js'

const OWNER = { merchantId: 'default', mode: 'live' } as const
const MODEM = { id: 'mtn-1', network: 'mtn', msisdn: '0244000001' }

async function payments (ledger: Ledger, n: number): Promise<Array<{ reference: string, code: string, amount: number }>> {
  return await ledger.transact(async (tx) => {
    const made: Array<{ reference: string, code: string, amount: number }> = []
    for (let i = 0; i < n; i++) {
      const amount = 1000 + i
      const { payment } = await tx.payments.initialize(OWNER, { amountMinor: amount, currency: 'GHS', clientReference: null, customerPhone: null, meta: null, expiresInSeconds: 86_400 })
      made.push({ reference: payment.reference, code: payment.hpn_code, amount })
    }
    return made
  })
}

/** The 2-part MTN credit for a payment (the real wording runs past 160 characters). */
function creditPdus (p: { code: string, amount: number }, i: number, balance: number): string[] {
  const text = telcoCreditText({ network: 'mtn', amountMinor: p.amount, reference: p.code, payerPhone: '0244111222', payerName: 'KOFI MENSAH', transactionId: `9${String(i).padStart(10, '0')}`, balanceMinor: balance, at: new Date() })
  const pdus = encodeMultipart({ sender: 'MobileMoney', text, sentAt: `${new Date().toISOString().slice(0, 19)}+00:00`, ref: i % 65536, refBits: 16 })
  if (pdus.length !== 2) throw new Error(`expected a 2-part SMS, got ${pdus.length} parts`)
  return pdus
}

async function pty (sim: ModemSimulator, cleanup: Cleanup): Promise<PtyModem> {
  const p = await startPtyModem(sim)
  cleanup.push(async () => { await p.close() })
  return p
}

async function modemReady (daemon: Child, key: string): Promise<void> {
  await waitUntil(async () => {
    const body = await (await fetch(`${daemon.url}/v1/modems`, { headers: { authorization: `Bearer ${key}` } })).json() as { data: Array<{ connected: boolean }> }
    return body.data.every((m) => m.connected) && body.data.length > 0 ? true : undefined
  }, 'the modem to connect', 30_000, 50)
}

/** A bare serial client on the same pseudo-terminal: each command timed until its final `OK`. */
async function bareClient (path: string, cleanup: Cleanup) {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false, lock: false })
  await new Promise<void>((resolve, reject) => { port.open((err) => { if (err) reject(err); else resolve() }) })
  cleanup.push(async () => { if (port.isOpen) await new Promise<void>((resolve) => { port.close(() => resolve()) }) })
  let buffer = ''
  let done: (() => void) | null = null
  port.on('data', (b: Buffer) => {
    buffer += b.toString('latin1')
    if (/\r\n(OK|ERROR|\+CMS ERROR: \d+)\r\n/.test(buffer)) { buffer = ''; const d = done; done = null; d?.() }
  })
  return {
    async send (command: string): Promise<number> {
      const t0 = performance.now()
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no final result for ${command}`)), 10_000)
        done = () => { clearTimeout(timer); resolve() }
        port.write(`${command}\r`)
      })
      return performance.now() - t0
    }
  }
}

export interface SmsToWebhook { p50: number, p99: number, n: number, bareP50: number, bareP99: number }

/**
 * `+CMTI` for a 2-part MTN credit → the verified `transaction.completed` webhook, one message at a
 * time, with the production scan interval (so the +CMTI path, not the periodic scan, is measured).
 * With `databaseUrl`, the ledger is that (empty) PostgreSQL database.
 */
export async function runSmsToWebhook (cleanup: Cleanup, options: { n?: number, warmup?: number, databaseUrl?: string } = {}): Promise<SmsToWebhook> {
  const { n = 300, warmup = 20 } = options
  const dir = tempDir(cleanup)
  const database = benchDatabase(dir, options.databaseUrl)
  const sim = new ModemSimulator({ profile: 'sim800', imsi: '620010000000001', memories: { SM: 50 } })
  const modem = await pty(sim, cleanup)
  const { key, ledger } = await prepareLedger(database)
  const waiting = new Map<string, (at: number) => void>()
  const receiver = await startReceiver(cleanup, {
    onWebhook: (w) => { if (w.event === 'transaction.completed' && w.reference !== null) waiting.get(w.reference)?.(w.at) }
  })
  receiver.verifyWith((await createEndpoint(ledger, OWNER, { url: receiver.url })).secret)
  const list = await payments(ledger, n + warmup)
  await ledger.close()
  const daemon = await spawnDaemon(dir, { modems: [{ ...MODEM, port: modem.path }], webhooks: { allow_private_targets: true } }, cleanup, { database })
  await modemReady(daemon, key)
  const latencies: number[] = []
  let balance = 0
  for (const [i, p] of list.entries()) {
    balance += p.amount
    const pdus = creditPdus(p, i, balance)
    const arrived = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no webhook for SMS ${i} within 10 s`)), 10_000)
      waiting.set(p.reference, (at) => { clearTimeout(timer); waiting.delete(p.reference); resolve(at) })
    })
    const t0 = performance.now()
    for (const pdu of pdus) sim.deliver(pdu)
    const at = await arrived
    if (i >= warmup) latencies.push(at - t0)
  }
  if (receiver.rejected() > 0) throw new Error(`${receiver.rejected()} webhooks failed verification`)
  await daemon.stop()

  // Baseline: the bare AT+CMGR round trip on the same pseudo-terminal, nothing else on the line.
  sim.store(creditPdus(list[0] as { code: string, amount: number }, 0, 1000)[0] as string)
  const client = await bareClient(modem.path, cleanup)
  await client.send('AT+CMGF=0')
  const index = sim.messages()[0]?.index ?? 1
  const bare: number[] = []
  for (let i = 0; i < n + warmup; i++) {
    const t = await client.send(`AT+CMGR=${index}`)
    if (i >= warmup) bare.push(t)
  }
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), n: latencies.length, bareP50: percentile(bare, 50), bareP99: percentile(bare, 99) }
}

export interface Burst {
  /** Messages a second from the daemon's first AT+CMGL to the last payment SUCCESS: what the bare client is timed over. */
  perSecond: number
  seconds: number
  /** From the process spawn to the last SUCCESS (start-up, modem init, then the burst). */
  fromSpawnSeconds: number
  listenSeconds: number
  /** From the process spawn to its first AT+CMGL (start-up and modem initialisation). */
  firstListSeconds: number
  bareSeconds: number
}

/**
 * 500 2-part credits already on the SIM when the daemon starts → every payment SUCCESS. Timed, like
 * the bare client, from the first `AT+CMGL` on the line; the start-up before it is reported apart.
 */
export async function runBurst (cleanup: Cleanup, n = 500, nodeArgs: string[] = []): Promise<Burst> {
  const dir = tempDir(cleanup)
  const dbPath = join(dir, 'harpoon.db')
  const sim = new ModemSimulator({ profile: 'sim800', imsi: '620010000000001', memories: { SM: 2 * n + 10 } })
  const bareSim = new ModemSimulator({ profile: 'sim800', imsi: '620010000000002', memories: { SM: 2 * n + 10 } })
  const { ledger } = await prepareLedger({ path: dbPath })
  const list = await payments(ledger, n)
  await ledger.close()
  let balance = 0
  for (const [i, p] of list.entries()) {
    balance += p.amount
    for (const pdu of creditPdus(p, i, balance)) { sim.store(pdu); bareSim.store(pdu) }
  }
  const modem = await pty(sim, cleanup)
  // A second view of the same file, only read from while the daemon writes (WAL lets both run).
  const watch = await openLedger({ path: dbPath }, { secretKey: benchSecretKey() })
  cleanup.push(async () => { await watch.close() })
  // The simulator runs in this process: the first AT+CMGL it reads starts the clock of the burst.
  let listedAt: number | null = null
  const input = sim.input.bind(sim)
  sim.input = (chunk: string): void => {
    if (listedAt === null && chunk.includes('AT+CMGL')) listedAt = performance.now()
    input(chunk)
  }
  const t0 = performance.now()
  const daemon = await spawnDaemon(dir, { modems: [{ ...MODEM, port: modem.path }] }, cleanup, { nodeArgs })
  const listenSeconds = (performance.now() - t0) / 1000
  await waitUntil(async () => await watch.stats.paymentCount('SUCCESS') === n ? true : undefined, `${n} payments to settle`, 120_000, 25)
  const end = performance.now()
  await daemon.stop()
  if (listedAt === null) throw new Error('the daemon never listed the SIM')
  const seconds = (end - listedAt) / 1000

  // Baseline: the least any reader must do on the same kind of line: list everything, delete each.
  const bareModem = await pty(bareSim, cleanup)
  const client = await bareClient(bareModem.path, cleanup)
  await client.send('AT+CMGF=0')
  const tb = performance.now()
  await client.send('AT+CMGL=4')
  for (const m of bareSim.messages()) await client.send(`AT+CMGD=${m.index}`)
  const bareSeconds = (performance.now() - tb) / 1000
  return { perSecond: n / seconds, seconds, fromSpawnSeconds: (end - t0) / 1000, listenSeconds, firstListSeconds: (listedAt - t0) / 1000, bareSeconds }
}

export interface Fanout { perSecond: number, seconds: number, bareSeconds: number, concurrency: number }

/** 5,000 events already in the outbox when the daemon starts → all delivered to a local receiver. */
export async function runFanout (cleanup: Cleanup, n = 5000, nodeArgs: string[] = []): Promise<Fanout> {
  const dir = tempDir(cleanup)
  const dbPath = join(dir, 'harpoon.db')
  const receiverProcess = await spawnReceiver(dir, cleanup)
  const receiver = {
    url: `${receiverProcess.url}/hook`,
    count: async () => Number(await (await fetch(`${receiverProcess.url}/count`)).text()),
    /** Resolves once the receiver has counted `n` POSTs (it answers then: no polling while the daemon runs). */
    reached: async (n: number) => { await (await fetch(`${receiverProcess.url}/count?at_least=${n}`, { signal: AbortSignal.timeout(180_000) })).text() }
  }
  const settings = { retry_schedule: [300], timeout_ms: 30_000, concurrency: 16, allow_private_targets: true, per_endpoint_concurrency: 4, disable_after_days: 5, poll_interval_ms: 500 }
  const { ledger } = await prepareLedger({ path: dbPath })
  createWebhooks({ ledger, settings, logger: pino({ level: 'silent' }) })
  const { endpoint } = await createEndpoint(ledger, OWNER, { url: receiver.url })
  // Cancelling a payment writes its event and, in the same transaction, its delivery row.
  const made = await payments(ledger, n)
  await ledger.transact(async (tx) => { for (const p of made) await tx.payments.cancel(OWNER, p.reference) })
  const bodies = (await ledger.webhookDeliveries.list({ endpointId: endpoint.id, limit: n + 1 })).items.map((d) => d.body)
  await ledger.close()
  if (bodies.length !== n) throw new Error(`expected ${n} deliveries, found ${bodies.length}`)
  // The delivery budget for one endpoint is per_endpoint_concurrency: the baseline gets the same.
  const concurrency = Math.min(settings.concurrency, settings.per_endpoint_concurrency)
  // The API and the dispatcher alone (no virtual modem polling beside them): the baseline does nothing else either.
  const daemon = await spawnDaemon(dir, { ...API_ONLY, webhooks: settings }, cleanup, { nodeArgs })
  const t0 = performance.now()
  await receiver.reached(n)
  const seconds = (performance.now() - t0) / 1000
  await daemon.stop()

  const { Agent, request } = await import('undici')
  const agent = new Agent({ keepAliveTimeout: 4_000 })
  cleanup.push(async () => { await agent.close() })
  const before = await receiver.count()
  let next = 0
  const tb = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++] as string
      const res = await request(receiver.url, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: agent })
      await res.body.dump()
    }
  }))
  const bareSeconds = (performance.now() - tb) / 1000
  if (await receiver.count() - before !== n) throw new Error('baseline lost requests')
  return { perSecond: n / seconds, seconds, bareSeconds, concurrency }
}
