import { testSecretKey } from '../secret-key.js'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startPtyModem, type PtyModem } from '../../fixtures/modem-harness/pty.js'
import type { Executor } from '../../ledger/engine.js'
import type { Ledger } from '../../ledger/ledger.js'
import { openLedger } from '../../ledger/open.js'
import { sql, testExecutor } from '../../ledger/testing.js'
import { ModemSimulator } from '../../modem/virtual/engine.js'
import { createEndpoint } from '../../webhooks/endpoints.js'
import { createTestDatabase } from '../helpers/postgres-database.js'
import { startPostgresServer, type PostgresServer } from '../../fixtures/postgres-server.js'
import { tempDir } from '../helpers/temp-dir.js'
import { startReceiver, type Receiver } from '../webhooks/receiver.js'
import { sleep, startKillable, waitFor, writeConfig, type Killable } from './support.js'
import { rng, Traffic } from './traffic.js'

const KILLS = Number(process.env['HARPOON_FAULT_PG_KILLS'] ?? 24)
const RESTARTS = Number(process.env['HARPOON_FAULT_PG_RESTARTS'] ?? 3)
const SEED = Number(process.env['HARPOON_FAULT_SEED'] ?? Date.now() % 1_000_000)
const TIMEOUT = Number(process.env['HARPOON_FAULT_TIMEOUT'] ?? 280_000)

/** One webhook request as the receiver saw it: from its arrival until its answer went out or its connection closed. */
interface Seen { webhookId: string, start: number, end: number }

/**
 * A receiver that answers slowly (up to 100 ms) and fails one request in ten, so attempts last long
 * enough to overlap if two nodes ever sent one delivery at once, and retries happen. It logs each
 * request's span.
 */
async function slowReceiver (random: () => number): Promise<{ receiver: Receiver, seen: Seen[] }> {
  const seen: Seen[] = []
  const receiver = await startReceiver((req, res) => {
    const span: Seen = { webhookId: String(req.headers['x-harpoon-webhook-id']), start: Date.now(), end: Number.POSITIVE_INFINITY }
    seen.push(span)
    // 'close' also fires when the sender dies mid-request (its node was killed).
    res.on('close', () => { span.end = Date.now() })
    const fail = random() < 0.1
    setTimeout(() => { if (!res.destroyed) res.writeHead(fail ? 500 : 200).end(fail ? 'busy' : 'ok') }, Math.floor(random() * 100))
  })
  return { receiver, seen }
}

/** No two attempts at one delivery overlapped: in the receiver's log, and in the attempts table. */
async function expectOneSenderAtATime (seen: readonly Seen[], db: Executor): Promise<{ attempts: number, abandoned: number }> {
  const byId = new Map<string, Seen[]>()
  for (const s of seen) byId.set(s.webhookId, [...(byId.get(s.webhookId) ?? []), s])
  for (const [id, spans] of byId) {
    spans.sort((a, b) => a.start - b.start)
    for (let i = 1; i < spans.length; i++) {
      const [before, after] = [spans[i - 1] as Seen, spans[i] as Seen]
      expect(before.end, `webhook ${id}: attempt ${i + 1} began before attempt ${i} ended`).toBeLessThanOrEqual(after.start)
    }
  }
  const attempts = await db.all<{ delivery: string, started: number, duration: number }>(sql`SELECT delivery_id AS "delivery", started_at AS "started", duration_ms AS "duration"
    FROM webhook_attempts WHERE outcome <> 'abandoned' ORDER BY delivery_id, started_at, id`)
  for (let i = 1; i < attempts.length; i++) {
    const [before, after] = [attempts[i - 1], attempts[i]] as [typeof attempts[0], typeof attempts[0]]
    if (before.delivery !== after.delivery) continue
    expect(before.started + before.duration, `delivery ${after.delivery}: two recorded attempts overlap`).toBeLessThanOrEqual(after.started)
  }
  const abandoned = Number(await db.value(sql`SELECT count(*) FROM webhook_attempts WHERE outcome = 'abandoned'`))
  return { attempts: attempts.length, abandoned }
}

/** One daemon of the cluster: its own folder and config, its own modem, the shared database. */
interface Node {
  readonly name: string
  readonly sim: ModemSimulator
  readonly config: string
  daemon: Killable
  /** Its API while it is known to listen. */
  url: string | undefined
}

interface Cluster {
  readonly nodes: Node[]
  readonly traffic: Traffic
  readonly receiver: Receiver
  readonly seen: Seen[]
  readonly secret: string
  readonly ledger: Ledger
  /** Starts (or restarts) a node's daemon. */
  start: (node: Node) => Killable
  /** Stops the traffic and waits for its loops. */
  stopTraffic: () => Promise<void>
}

async function startCluster (url: string, random: () => number, options: { allowUnavailable: boolean }, track: (c: () => Promise<void> | void) => void): Promise<Cluster> {
  const { receiver, seen } = await slowReceiver(random)
  track(receiver.close)
  const ledger = await openLedger({ path: 'unused.db', url }, { secretKey: testSecretKey() })
  track(async () => { await ledger.close() })
  await ledger.merchants.create({ id: 'default', name: 'Shop' })
  const key = (await ledger.apiKeys.create({ merchantId: 'default', name: 'faults', mode: 'live', scopes: ['payments:read', 'payments:write'] })).secret
  const { secret } = await createEndpoint(ledger, { merchantId: 'default', mode: 'live' }, { url: receiver.url })
  const nodes: Node[] = []
  const start = (node: Node): Killable => {
    node.url = undefined
    const d = startKillable(node.config)
    node.daemon = d
    d.url.then((u) => { if (node.daemon === d) node.url = u }, () => {})
    return d
  }
  for (const [i, name] of ['a', 'b'].entries()) {
    const sim = new ModemSimulator({ profile: 'sim800', imsi: `62001000000000${i + 1}`, memories: { SM: 80 } })
    const pty: PtyModem = await startPtyModem(sim)
    track(pty.close)
    const dir = tempDir(`harpoon-pg-faults-${name}-`)
    track(dir.cleanup)
    const config = await writeConfig(dir.path, {
      database: { path: join(dir.path, 'unused.db'), url },
      modems: [{ id: `mtn-${name}`, port: pty.path, network: 'mtn', msisdn: `024400000${i + 1}` }],
      modem_polling: { scan_interval_ms: 300, command_timeout_ms: 1000, list_timeout_ms: 3000 },
      webhooks: { allow_private_targets: true, retry_schedule: [0.2, 0.5, 1, 1, 1, 1, 1, 1, 1, 1], timeout_ms: 1000, poll_interval_ms: 100 }
    })
    const node: Node = { name, sim, config, daemon: undefined as unknown as Killable, url: undefined }
    start(node)
    track(async () => { await node.daemon.kill9() })
    nodes.push(node)
  }
  await Promise.all(nodes.map(async (n) => await n.daemon.url))

  const traffic = new Traffic(random, key, options)
  let flowing = true
  const urls = (): string[] => nodes.flatMap((n) => n.url === undefined ? [] : [n.url])
  // A customer's SMS reaches one node's modem; a repeat of it may reach the other node's.
  const sms = setInterval(() => {
    traffic.sms((pdus) => {
      const sim = (nodes[Math.floor(random() * nodes.length)] as Node).sim
      for (const pdu of pdus) sim.deliver(pdu)
    })
  }, 40)
  const loops = Promise.all([1, 2, 3].map(async () => { await traffic.api(urls, () => flowing) }))
  return {
    nodes, traffic, receiver, seen, secret, ledger, start,
    stopTraffic: async () => { flowing = false; clearInterval(sms); await loops }
  }
}

/** Lets the cluster finish what the traffic started, then checks the ledger and the deliveries. */
async function expectSettledCluster (c: Cluster, label: string, extra: string): Promise<void> {
  const t0 = Date.now()
  await Promise.all(c.nodes.map(async (n) => await n.daemon.url))
  const db = testExecutor(c.ledger)
  const backlog = Number(await db.value(sql`SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'`))
  const sims = c.nodes.map((n) => n.sim)
  await waitFor(async () => await c.traffic.settled(db, sims) ? true : undefined,
    'both SIMs to empty, every SMS to settle and every delivery to arrive', 90_000, async () => await c.traffic.describe(db, sims))
  const settledS = ((Date.now() - t0) / 1000).toFixed(1)
  await c.traffic.replayPending(c.nodes.flatMap((n) => n.url === undefined ? [] : [n.url]))
  for (const n of c.nodes) await n.daemon.stop()
  for (const n of c.nodes) expect(n.sim.messages(), `SIM of node ${n.name}`).toEqual([])
  const { deliveries } = await c.traffic.expectInvariants(db, c.receiver, c.secret)
  const { attempts, abandoned } = await expectOneSenderAtATime(c.seen, db)
  process.stderr.write(`${label}: ${extra}, ${c.traffic.known.length} payments over the API (${c.traffic.replayed} Idempotency-Keys replayed by the other node or a later start), ` +
    `${c.traffic.sent.length} credit SMS (+ repeats), ${deliveries} events, ${c.receiver.requests.length} webhook requests, ${attempts} recorded attempts, ` +
    `${abandoned} leases taken over${c.traffic.unavailable.length > 0 ? `, ${c.traffic.unavailable.length} answers 503 database_unavailable` : ''}; ${backlog} deliveries still to make when the traffic stopped, settled ${settledS} s later\n`)
}

describe(`two daemons on one PostgreSQL (seed ${SEED})`, () => {
  const cleanups: Array<() => Promise<void> | void> = []
  const track = (c: () => Promise<void> | void): void => { cleanups.push(c) }
  afterAll(async () => { for (const c of cleanups.splice(0).reverse()) { try { await c() } catch { /* already gone */ } } })

  it(`survive ${KILLS} kill -9 of one of them at random points, under SMS and API traffic`, async () => {
    const random = rng(SEED)
    const db = await createTestDatabase()
    track(db.drop)
    const c = await startCluster(db.url, random, { allowUnavailable: false }, track)
    const t0 = Date.now()
    for (let i = 0; i < KILLS; i++) {
      const victim = c.nodes[Math.floor(random() * c.nodes.length)] as Node
      // From mid-start-up (settling stored messages, taking over leases) to well into traffic.
      if (random() < 0.5) await victim.daemon.url.catch(() => {})
      await sleep(150 + Math.floor(random() * 1500))
      await victim.daemon.kill9()
      c.start(victim)
    }
    await c.stopTraffic()
    await expectSettledCluster(c, 'two daemons, kill -9', `${KILLS} kills in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }, TIMEOUT)

  it(`survive PostgreSQL restarted ${RESTARTS} times mid-traffic`, async () => {
    const random = rng(SEED + 1)
    const server: PostgresServer = await startPostgresServer()
    track(server.destroy)
    const c = await startCluster(await server.createDatabase('harpoon'), random, { allowUnavailable: true }, track)
    for (let i = 0; i < RESTARTS; i++) {
      await sleep(500 + Math.floor(random() * 1500))
      // A crash of the database server (no checkpoint, every client cut off), then its recovery.
      await server.stop('immediate')
      await sleep(500 + Math.floor(random() * 1500))
      await server.start()
    }
    await sleep(1000)
    await c.stopTraffic()
    // Neither daemon crashed: both still run the processes started at the beginning.
    for (const n of c.nodes) expect(n.daemon.child.exitCode, `node ${n.name}`).toBeNull()
    await expectSettledCluster(c, 'two daemons, PostgreSQL restarts', `${RESTARTS} restarts`)
    expect(c.traffic.unavailable.length).toBeGreaterThan(0)
  }, TIMEOUT)
})
