import { statSync } from 'node:fs'
import { benchDatabase, Cleanup, load, rssMb, sleep, spawnBare, spawnDaemon, tempDir, type Child, type LoadResult } from './harness.js'
import { prepareLedger, seedPayments, seededCode } from './seed.js'

/** No modems, no virtual modems: the API alone, with production pragmas and logging. */
export const API_ONLY = { modems: [], virtual_modems: false }

const INITIALIZE_BODY = JSON.stringify({ amount: '150.00', customer_phone: '0244123456' })

export interface ApiRun {
  /** requests/s and latency for GET /v1/payments/{hpn_code}. */
  get: LoadResult
  /** Daemon RSS after start, before any request (MB). */
  idleRssMb: number
  /** SQLite: database file plus WAL after seeding (MB); null on PostgreSQL. */
  dbMb: number | null
  seedSeconds: number
  startSeconds: number
  daemon: Child
  key: string
  dir: string
  /** Payments seeded. */
  n: number
}

function dbMb (path: string): number {
  let bytes = 0
  for (const f of [path, `${path}-wal`]) { try { bytes += statSync(f).size } catch { /* no WAL yet */ } }
  return bytes / 1024 / 1024
}

/**
 * Seeds `n` payments, starts the daemon on them and loads `GET /v1/payments/{hpn_code}` with codes
 * drawn at random from the whole table (no single hot row). The daemon is left running for the
 * caller (api_initialize reuses it); `cleanup` stops it. With `databaseUrl`, all of it on that
 * (empty) PostgreSQL database instead of a SQLite file.
 */
export async function runGetPayment (n: number, cleanup: Cleanup, options: { nodeArgs?: string[], durationS?: number, databaseUrl?: string } = {}): Promise<ApiRun> {
  const started = await startGetPayment(n, cleanup, options)
  const get = await loadGetPayment(started.daemon.url, started.key, n, options.durationS ?? 5)
  return { ...started, get }
}

/** runGetPayment up to the load: seeded, the daemon started, its idle RSS read. */
export async function startGetPayment (n: number, cleanup: Cleanup, options: { nodeArgs?: string[], databaseUrl?: string } = {}): Promise<Omit<ApiRun, 'get'>> {
  const dir = tempDir(cleanup)
  const database = benchDatabase(dir, options.databaseUrl)
  const t0 = performance.now()
  const { key, ledger } = await prepareLedger(database)
  await seedPayments(ledger, n)
  // Closing the last connection checkpoints the WAL into the file: the daemon starts on one file.
  await ledger.close()
  const seedSeconds = (performance.now() - t0) / 1000
  const t1 = performance.now()
  const daemon = await spawnDaemon(dir, API_ONLY, cleanup, { nodeArgs: options.nodeArgs ?? [], database })
  const startSeconds = (performance.now() - t1) / 1000
  // Idle: let start-up garbage settle before reading RSS.
  await sleep(2000)
  const idleRssMb = rssMb(daemon.pid)
  return { idleRssMb, dbMb: database.url === undefined ? dbMb(database.path) : null, seedSeconds, startSeconds, daemon, key, dir, n }
}

/** GET /v1/payments/{hpn_code}, a random seeded code per request, after a warm-up (1 s unless told). */
async function loadGetPayment (url: string, key: string, n: number, durationS: number, warmupS = 1): Promise<LoadResult> {
  const headers = { authorization: `Bearer ${key}` }
  const path = (): string => `/v1/payments/${seededCode(Math.floor(Math.random() * n))}`
  if (warmupS > 0) await load({ url: `${url}/v1/payments/x`, headers, path, durationS: warmupS })
  const get = await load({ url: `${url}/v1/payments/x`, headers, path, durationS })
  if (get.non2xx > 0 || get.errors > 0) throw new Error(`api_get_payment: ${get.non2xx} non-2xx answers and ${get.errors} errors over ${n} payments`)
  return get
}

/** Each side's req/s, p50 and p99 as the medians of its rounds' (a burst of other work spoils one round, not the figure). */
export function medianOfRounds (list: LoadResult[]): LoadResult {
  return {
    rps: median(list.map((l) => l.rps)),
    p50: median(list.map((l) => l.p50)),
    p99: median(list.map((l) => l.p99)),
    requests: list.reduce((sum, l) => sum + l.requests, 0),
    errors: list.reduce((sum, l) => sum + l.errors, 0),
    non2xx: list.reduce((sum, l) => sum + l.non2xx, 0)
  }
}

export const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number

/**
 * Loads in alternate rounds (a b, b a, a b, …): a shared machine's drift over the run then falls on
 * both sides alike instead of on whichever ran second. Each round's results, per side.
 */
export async function alternateRounds<A, B> (a: () => Promise<A>, b: () => Promise<B>, rounds: number): Promise<{ a: A[], b: B[] }> {
  const out: { a: A[], b: B[] } = { a: [], b: [] }
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) { out.a.push(await a()); out.b.push(await b()) } else { out.b.push(await b()); out.a.push(await a()) }
  }
  return out
}

/** The GET load on two running daemons in alternate rounds, each warmed up first; `rounds` lists each round's req/s, a then b. */
export async function alternateGetPayment (a: Omit<ApiRun, 'get'>, b: Omit<ApiRun, 'get'>, rounds = 5, roundS = 3): Promise<{ a: LoadResult, b: LoadResult, rounds: Array<[number, number]> }> {
  for (const run of [a, b]) await loadGetPayment(run.daemon.url, run.key, run.n, 1, 1)
  const r = await alternateRounds(
    async () => await loadGetPayment(a.daemon.url, a.key, a.n, roundS, 0),
    async () => await loadGetPayment(b.daemon.url, b.key, b.n, roundS, 0), rounds)
  return { a: medianOfRounds(r.a), b: medianOfRounds(r.b), rounds: r.a.map((l, i) => [l.rps, r.b[i]?.rps ?? Number.NaN]) }
}

/** One round of `GET /v1/payments/{hpn_code}` on a running daemon, no warm-up. */
export async function loadGetPaymentRound (run: Omit<ApiRun, 'get'>, durationS: number): Promise<LoadResult> {
  return await loadGetPayment(run.daemon.url, run.key, run.n, durationS, 0)
}

/**
 * The same load on the same database with the daemon started on other `api` settings (`run`'s
 * daemon stopped first): what one configuration choice costs, measured beside the default.
 */
export async function rerunGetPayment (run: Omit<ApiRun, 'get'>, api: Record<string, unknown>, cleanup: Cleanup, durationS = 5): Promise<LoadResult> {
  await run.daemon.stop()
  const daemon = await spawnDaemon(run.dir, { ...API_ONLY, api: { port: 0, rate_limit: { max: 1_000_000, window_ms: 1000 }, ...api } }, cleanup)
  try {
    return await loadGetPayment(daemon.url, run.key, run.n, durationS)
  } finally {
    await daemon.stop()
  }
}

/** POST /v1/payments/initialize, each request a new durable payment (synchronous = FULL as in production; on PostgreSQL, its default fsync at commit). */
export async function runInitialize (run: Pick<ApiRun, 'daemon' | 'key'>, durationS = 5): Promise<LoadResult> {
  const r = await load({
    url: `${run.daemon.url}/v1/payments/initialize`,
    method: 'POST',
    headers: { authorization: `Bearer ${run.key}`, 'content-type': 'application/json' },
    body: INITIALIZE_BODY,
    durationS
  })
  if (r.errors > 0 || r.non2xx > 0) throw new Error(`api_initialize: ${r.non2xx} non-2xx answers and ${r.errors} errors`)
  return r
}


/** The bare Fastify baseline, left running for alternate rounds: a GET round and a POST round, as ours are loaded. */
export interface BareServer { get: (durationS: number) => Promise<LoadResult>, post: (durationS: number) => Promise<LoadResult> }

export async function startBare (cleanup: Cleanup): Promise<BareServer> {
  const bare = await spawnBare(tempDir(cleanup), cleanup)
  return {
    get: async (durationS) => await load({ url: `${bare.url}/bare`, durationS }),
    post: async (durationS) => await load({ url: `${bare.url}/bare`, method: 'POST', headers: { 'content-type': 'application/json' }, body: INITIALIZE_BODY, durationS })
  }
}

