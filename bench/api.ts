import { statSync } from 'node:fs'
import { benchDatabase, Cleanup, load, rssMb, sleep, spawnBare, spawnDaemon, tempDir, type Child, type LoadResult } from './harness.js'
import { prepareLedger, seedPayments, seededCode } from './seed.js'

/** No modems, no virtual modems: the API alone, with production pragmas and logging. */
export const API_ONLY = { modems: [], virtual_modems: false }

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

/**
 * The GET load on two running daemons in alternate rounds (a b, b a, a b, …), each warmed up first: a
 * shared machine's drift over the run then falls on both alike instead of on whichever ran second.
 * Each side's req/s, p50 and p99 are the medians of its rounds' (a burst of other work on the
 * machine spoils one round, not the figure); `rounds` lists each round's req/s, a then b.
 */
export async function alternateGetPayment (a: Omit<ApiRun, 'get'>, b: Omit<ApiRun, 'get'>, rounds = 5, roundS = 3): Promise<{ a: LoadResult, b: LoadResult, rounds: Array<[number, number]> }> {
  const results: [LoadResult[], LoadResult[]] = [[], []]
  for (const run of [a, b]) await loadGetPayment(run.daemon.url, run.key, run.n, 1, 1)
  // a then b, then b then a: neither side always runs right after the other.
  for (let r = 0; r < rounds; r++) {
    for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const run = i === 0 ? a : b
      results[i]?.push(await loadGetPayment(run.daemon.url, run.key, run.n, roundS, 0))
    }
  }
  const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number
  const merged = (list: LoadResult[]): LoadResult => ({
    rps: median(list.map((l) => l.rps)),
    p50: median(list.map((l) => l.p50)),
    p99: median(list.map((l) => l.p99)),
    requests: list.reduce((sum, l) => sum + l.requests, 0),
    errors: list.reduce((sum, l) => sum + l.errors, 0),
    non2xx: list.reduce((sum, l) => sum + l.non2xx, 0)
  })
  return { a: merged(results[0]), b: merged(results[1]), rounds: results[0].map((l, i) => [l.rps, results[1][i]?.rps ?? Number.NaN]) }
}

/**
 * The same load on the same database with the daemon started on other `api` settings (`run`'s
 * daemon stopped first): what one configuration choice costs, measured beside the default.
 */
export async function rerunGetPayment (run: ApiRun, api: Record<string, unknown>, cleanup: Cleanup, durationS = 5): Promise<LoadResult> {
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
    body: JSON.stringify({ amount: '150.00', customer_phone: '0244123456' }),
    durationS
  })
  if (r.errors > 0 || r.non2xx > 0) throw new Error(`api_initialize: ${r.non2xx} non-2xx answers and ${r.errors} errors`)
  return r
}

export interface BareRun { get: LoadResult, post: LoadResult }

/** The baseline: the bare Fastify process, GET and POST, same connections and duration. */
export async function runBare (cleanup: Cleanup, durationS = 5): Promise<BareRun> {
  const dir = tempDir(cleanup)
  const bare = await spawnBare(dir, cleanup)
  await load({ url: `${bare.url}/bare`, durationS: 1 })
  const get = await load({ url: `${bare.url}/bare`, durationS })
  const post = await load({ url: `${bare.url}/bare`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: '150.00', customer_phone: '0244123456' }), durationS })
  await bare.stop()
  return { get, post }
}
