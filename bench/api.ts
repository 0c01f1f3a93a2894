import { statSync } from 'node:fs'
import { benchDatabase, Cleanup, load, rssMb, sleep, spawnBare, spawnDaemon, tempDir, type Child, type LoadOptions, type LoadResult } from './harness.js'
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
  const get = await loadGetPayment(started.daemon.url, started.key, n, options.durationS ?? 5, 1, started.daemon.pid)
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

/**
 * The polling GET as the bench sends it: `GET /v1/payments/{hpn_code}` with a random seeded code per
 * request (no single hot row) and the key's Authorization header. Bare Fastify gets the very same
 * requests (it answers the path and ignores the key).
 */
function getPaymentRequests (url: string, key: string, n: number): Pick<LoadOptions, 'url' | 'headers' | 'path'> {
  return {
    url: `${url}/v1/payments/x`,
    headers: { authorization: `Bearer ${key}` },
    path: () => `/v1/payments/${seededCode(Math.floor(Math.random() * n))}`
  }
}

/** GET /v1/payments/{hpn_code} after a warm-up (1 s unless told); `pid`: the server's, for its CPU per request. */
async function loadGetPayment (url: string, key: string, n: number, durationS: number, warmupS = 1, pid?: number): Promise<LoadResult> {
  const requests = getPaymentRequests(url, key, n)
  if (warmupS > 0) await load({ ...requests, durationS: warmupS })
  const get = await load({ ...requests, durationS, ...(pid === undefined ? {} : { pid }) })
  if (get.non2xx > 0 || get.errors > 0) throw new Error(`api_get_payment: ${get.non2xx} non-2xx answers and ${get.errors} errors over ${n} payments`)
  return get
}

/** Each side's req/s, p50, p99 and CPU a request as the medians of its rounds' (a burst of other work spoils one round, not the figure). */
export function medianOfRounds (list: LoadResult[]): LoadResult {
  const cpu = list.map((l) => l.cpuUs).filter((us) => us !== null)
  return {
    rps: median(list.map((l) => l.rps)),
    p50: median(list.map((l) => l.p50)),
    p99: median(list.map((l) => l.p99)),
    requests: list.reduce((sum, l) => sum + l.requests, 0),
    errors: list.reduce((sum, l) => sum + l.errors, 0),
    non2xx: list.reduce((sum, l) => sum + l.non2xx, 0),
    cpuUs: cpu.length === list.length && cpu.length > 0 ? median(cpu) : null
  }
}

export const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number

/**
 * Loads each side in turn, round after round, each round starting one side further on (a b c, b c a,
 * c a b, …): a shared machine's drift over the run then falls on every side alike instead of on
 * whichever ran last. Each side's results by round, in the order of `sides`.
 */
export async function roundsInTurn<T extends readonly unknown[]> (sides: { readonly [K in keyof T]: () => Promise<T[K]> }, rounds: number): Promise<{ [K in keyof T]: Array<T[K]> }> {
  const list = sides as ReadonlyArray<() => Promise<unknown>>
  const out: unknown[][] = list.map(() => [])
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < list.length; k++) {
      const i = (r + k) % list.length
      ;(out[i] as unknown[]).push(await (list[i] as () => Promise<unknown>)())
    }
  }
  return out as { [K in keyof T]: Array<T[K]> }
}

/** The GET load on two running daemons in alternate rounds, each warmed up first; `rounds` lists each round's req/s, a then b. */
export async function alternateGetPayment (a: Omit<ApiRun, 'get'>, b: Omit<ApiRun, 'get'>, rounds = 5, roundS = 3): Promise<{ a: LoadResult, b: LoadResult, rounds: Array<[number, number]> }> {
  for (const run of [a, b]) await loadGetPayment(run.daemon.url, run.key, run.n, 1, 1)
  const [ra, rb] = await roundsInTurn([
    async () => await loadGetPaymentRound(a, roundS),
    async () => await loadGetPaymentRound(b, roundS)] as const, rounds)
  return { a: medianOfRounds(ra), b: medianOfRounds(rb), rounds: ra.map((l, i) => [l.rps, rb[i]?.rps ?? Number.NaN]) }
}

/** One round of `GET /v1/payments/{hpn_code}` on a running daemon, no warm-up. */
export async function loadGetPaymentRound (run: Omit<ApiRun, 'get'>, durationS: number): Promise<LoadResult> {
  return await loadGetPayment(run.daemon.url, run.key, run.n, durationS, 0, run.daemon.pid)
}

/**
 * The same load on the same database with the daemon started on other `api` settings (`run`'s
 * daemon stopped first): what one configuration choice costs, measured beside the default.
 */
export async function rerunGetPayment (run: Omit<ApiRun, 'get'>, api: Record<string, unknown>, cleanup: Cleanup, durationS = 5): Promise<LoadResult> {
  await run.daemon.stop()
  const daemon = await spawnDaemon(run.dir, { ...API_ONLY, api: { port: 0, rate_limit: { max: 1_000_000, window_ms: 1000 }, ...api } }, cleanup)
  try {
    return await loadGetPayment(daemon.url, run.key, run.n, durationS, 1, daemon.pid)
  } finally {
    await daemon.stop()
  }
}

/** POST /v1/payments/initialize as the bench sends it: one small body, the key's Authorization header (bare Fastify gets the same). */
function initializeRequests (url: string, key: string): Pick<LoadOptions, 'url' | 'method' | 'headers' | 'body'> {
  return {
    url: `${url}/v1/payments/initialize`,
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: INITIALIZE_BODY
  }
}

/** POST /v1/payments/initialize, each request a new durable payment (synchronous = FULL as in production; on PostgreSQL, its default fsync at commit). */
export async function runInitialize (run: Pick<ApiRun, 'daemon' | 'key'>, durationS = 5): Promise<LoadResult> {
  const r = await load({ ...initializeRequests(run.daemon.url, run.key), durationS, pid: run.daemon.pid })
  if (r.errors > 0 || r.non2xx > 0) throw new Error(`api_initialize: ${r.non2xx} non-2xx answers and ${r.errors} errors`)
  return r
}

/**
 * The bare Fastify baseline, left running for rounds in turn: `get` and `post` send it the very
 * requests ours get; `fixedGet` one unchanging request, as this bench loaded the baseline before
 * (a cheaper request for the client, which shares the machine: printed beside, for comparison).
 */
export interface BareServer {
  get: (durationS: number) => Promise<LoadResult>
  fixedGet: (durationS: number) => Promise<LoadResult>
  post: (durationS: number) => Promise<LoadResult>
}

/** Bare Fastify in a process of its own, loaded like `ours` (its key and payment count give the same request shapes). */
export async function startBare (cleanup: Cleanup, ours: Pick<ApiRun, 'key' | 'n'>): Promise<BareServer> {
  const bare = await spawnBare(tempDir(cleanup), cleanup)
  const checked = (r: LoadResult): LoadResult => {
    if (r.errors > 0 || r.non2xx > 0) throw new Error(`bare Fastify: ${r.non2xx} non-2xx answers and ${r.errors} errors`)
    return r
  }
  return {
    get: async (durationS) => checked(await load({ ...getPaymentRequests(bare.url, ours.key, ours.n), durationS, pid: bare.pid })),
    fixedGet: async (durationS) => checked(await load({ url: `${bare.url}/bare`, durationS, pid: bare.pid })),
    post: async (durationS) => checked(await load({ ...initializeRequests(bare.url, ours.key), durationS, pid: bare.pid }))
  }
}
