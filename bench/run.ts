import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startPostgresServer } from '../fixtures/postgres-server.js'
import { alternateGetPayment, loadGetPaymentRound, medianOfRounds, rerunGetPayment, roundsInTurn, runGetPayment, runInitialize, startBare, startGetPayment } from './api.js'
import { Cleanup, DIST, result, round, rssMb, type BenchResult, type LoadResult } from './harness.js'
import { runBurst, runFanout, runSmsToWebhook } from './sms.js'
import { runAgentRss } from './agent.js'
import { measureDisk, type DiskBaseline } from './disk.js'

/**
 * `npm run bench [name…]`: every benchmark beside a baseline measured in the same run, written to
 * bench/results.json and printed as a table. Each step stops by itself (fixed durations, timeouts);
 * everything listens on loopback. Naming benches runs only those and merges them into the file.
 */
const RESULTS = join(DIST, '..', 'bench', 'results.json')

/** The api bench's alternate rounds: how many, and how long each. */
const API_ROUNDS = 5
const API_ROUND_S = 3

type Bench = (cleanup: Cleanup) => Promise<BenchResult[]>

/** The durable-commit loop beside raw fdatasync: how close SQLite's own commit gets to the disk. */
function diskRows (disk: DiskBaseline): BenchResult[] {
  return [result('disk_durable_commit', disk.commits.perSecond, 'commits/s', { name: 'raw fdatasync of a 4 KiB page rewritten in place', value: disk.fdatasync.perSecond },
    `one-row SQLite transactions, WAL, synchronous=FULL, one after the other (${disk.commits.commits} in ${round(disk.commits.seconds, 1)} s) vs ${disk.fdatasync.commits} write+fdatasync in ${round(disk.fdatasync.seconds, 1)} s; the physical baseline of api_initialize and burst_ingest`)]
}

const benches: Record<string, Bench> = {
  async api (cleanup) {
    // Ours and bare Fastify both running, loaded in rounds in turn, each side's median round: the
    // machine is shared, and drift or a burst of other work then falls on both alike. Bare Fastify
    // gets the very requests ours get; a third side, one fixed request, is how it was loaded before.
    const run = await startGetPayment(100_000, cleanup)
    const bare = await startBare(cleanup, run)
    await bare.get(1)
    await bare.fixedGet(1)
    await loadGetPaymentRound(run, 1)
    const [bareGets, ourGets, fixedGets] = await roundsInTurn([
      async () => await bare.get(API_ROUND_S),
      async () => await loadGetPaymentRound(run, API_ROUND_S),
      async () => await bare.fixedGet(API_ROUND_S)] as const, API_ROUNDS)
    // Initialize: a bare POST round, then ours followed at once by a second of the disk's
    // durable-commit loop, so each initialize round has its physical baseline from the same minute.
    await bare.post(1)
    await runInitialize(run, 1)
    const [barePosts, ourPosts] = await roundsInTurn([
      async () => await bare.post(API_ROUND_S),
      async () => ({ init: await runInitialize(run, API_ROUND_S), disk: measureDisk(cleanup, 1) })] as const, API_ROUNDS)
    // The access-log choice (api.access_log.reads), measured on the same database.
    const readsLogged = await rerunGetPayment(run, { access_log: { reads: true } }, cleanup)
    const bareGet = medianOfRounds(bareGets)
    const ourGet = medianOfRounds(ourGets)
    const fixedGet = medianOfRounds(fixedGets)
    const barePost = medianOfRounds(barePosts)
    const inits = ourPosts.map((p) => p.init)
    const init = medianOfRounds(inits)
    const disk = [...ourPosts].sort((x, y) => x.disk.commits.perSecond - y.disk.commits.perSecond)[Math.floor(ourPosts.length / 2)]?.disk as DiskBaseline
    const rounds = (xs: LoadResult[], ys: LoadResult[]): string => xs.map((x, i) => `${round(x.rps, 0)} / ${round(ys[i]?.rps ?? Number.NaN, 0)}`).join(', ')
    const cpuByRound = (xs: LoadResult[], ys: LoadResult[]): string => xs.map((x, i) => `${round(x.cpuUs ?? Number.NaN, 1)} / ${round(ys[i]?.cpuUs ?? Number.NaN, 1)}`).join(', ')
    const resolution = (bare: number): string => bare === 0 ? '; bare p99 is under autocannon\'s 1 ms resolution, so no ratio' : ''
    const each = `${API_ROUNDS} rounds in turn of ${API_ROUND_S} s, each side's median round`
    const cpuNote = 'CPU time of the server process (all threads, /proc) per request answered, the medians of the rounds; ratio is ours / bare (higher costs more). While each server saturates a core, req/s goes as its inverse; the req/s ratio is the target'
    return [
      result('api_get_payment', ourGet.rps, 'req/s', { name: 'bare Fastify GET, constant JSON, same requests', value: bareGet.rps },
        `100k payments, random hpn_code per request, 10 connections, the same requests (path, Authorization) to both, ${each} (bare / ours req/s by round: ${rounds(bareGets, ourGets)}); bare Fastify loaded with one fixed request instead (as before 2 December 2026): ${round(fixedGet.rps, 0)} req/s, ratio ${round(ourGet.rps / fixedGet.rps, 3)}; target ratio >= 0.5`),
      result('api_get_payment_cpu', ourGet.cpuUs ?? Number.NaN, 'µs/request', { name: 'bare Fastify CPU per GET, same requests', value: bareGet.cpuUs ?? Number.NaN },
        `${cpuNote} (bare / ours µs by round: ${cpuByRound(bareGets, ourGets)}; bare on one fixed request ${round(fixedGet.cpuUs ?? Number.NaN, 1)} µs)`),
      result('api_get_payment_reads_logged', readsLogged.rps, 'req/s', { name: 'bare Fastify GET, constant JSON, same requests', value: bareGet.rps },
        `as api_get_payment with api.access_log.reads true (an access-log line for every successful read too; the default logs errors, writes and slow requests only), one run of 5 s: ${round(readsLogged.rps, 0)} vs ${round(ourGet.rps, 0)} req/s`),
      result('api_get_payment_p99', ourGet.p99, 'ms', { name: 'bare Fastify GET p99', value: bareGet.p99 }, `p50 ${ourGet.p50} ms; ratio is ours / bare (higher is slower)${resolution(bareGet.p99)}`),
      result('api_initialize', init.rps, 'req/s', { name: 'bare Fastify POST, constant JSON, same requests', value: barePost.rps },
        `new PENDING payment per request, synchronous=FULL, requests arriving together share one commit (group commit), on the 100k database, ${each} (bare / ours req/s by round: ${rounds(barePosts, inits)})`),
      result('api_initialize_cpu', init.cpuUs ?? Number.NaN, 'µs/request', { name: 'bare Fastify CPU per POST, same requests', value: barePost.cpuUs ?? Number.NaN },
        `${cpuNote} (bare / ours µs by round: ${cpuByRound(barePosts, inits)}); ours includes the commits and their fsyncs, made on the event loop`),
      result('api_initialize_durable', init.rps, 'req/s', { name: 'one-row synchronous=FULL commit loop, same run', value: disk.commits.perSecond },
        `api_initialize against the disk's own durable-commit rate, a second of it right after each initialize round (commits/s by round: ${ourPosts.map((p) => round(p.disk.commits.perSecond, 0)).join(', ')}; the median round is disk_durable_commit); above 1 means group commit shares fsyncs; target ratio >= 0.5`),
      ...diskRows(disk),
      result('api_initialize_p99', init.p99, 'ms', { name: 'bare Fastify POST p99', value: barePost.p99 }, `p50 ${init.p50} ms; ratio is ours / bare (higher is slower)${resolution(barePost.p99)}`)
    ]
  },

  async sms_to_webhook (cleanup) {
    const r = await runSmsToWebhook(cleanup)
    return [
      result('sms_to_webhook_p50', r.p50, 'ms', { name: 'bare AT+CMGR round trip p50, same pty', value: r.bareP50 }, `${r.n} 2-part MTN credits, one at a time: +CMTI to verified transaction.completed webhook; ratio is ours / bare`),
      result('sms_to_webhook_p99', r.p99, 'ms', { name: 'bare AT+CMGR round trip p99, same pty', value: r.bareP99 }, `target p99 < 100 ms; ratio is ours / bare`)
    ]
  },

  async burst_ingest (cleanup) {
    const r = await runBurst(cleanup)
    const disk = measureDisk(cleanup)
    return [
      result('burst_ingest', r.perSecond, 'msg/s', { name: 'bare AT+CMGL=4 + AT+CMGD each, same SIM content', value: 500 / r.bareSeconds },
        `500 2-part credits (1,000 PDUs) on the SIM at start -> 500 payments SUCCESS in ${round(r.seconds, 2)} s from the daemon's first AT+CMGL, as the bare client is timed from its own (${round(r.fromSpawnSeconds, 2)} s from process spawn: ${round(r.firstListSeconds, 2)} s of start-up and modem init before the listing, API listening after ${round(r.listenSeconds, 2)} s, ${round(500 / r.fromSpawnSeconds, 1)} msg/s counted from spawn); bare client ${round(r.bareSeconds, 2)} s`),
      result('burst_ingest_durable', r.perSecond, 'msg/s', { name: 'one-row synchronous=FULL commit loop, same run', value: disk.commits.perSecond },
        `burst_ingest's messages against the disk's durable-commit rate measured right after it (each message is 2 PDUs, stored 64 to a transaction and deleted after that commit, and one settling, settlings sharing commits)`),
      ...diskRows(disk).map((row) => ({ ...row, name: 'disk_durable_commit_burst' }))
    ]
  },

  async webhook_fanout (cleanup) {
    const r = await runFanout(cleanup)
    return [result('webhook_fanout', r.perSecond, 'deliveries/s', { name: `raw undici POSTs, concurrency ${r.concurrency}`, value: 5000 / r.bareSeconds },
      `5,000 events in the outbox, one endpoint, default concurrency (16 overall, ${r.concurrency} per endpoint): ${round(r.seconds, 2)} s from API listening; raw undici ${round(r.bareSeconds, 2)} s; target ratio >= 0.5`)]
  },

  async agent_rss (cleanup) {
    const r = await runAgentRss(cleanup)
    const at = (n: number): number => r.samples.find((s) => s.forwarded >= n)?.rssMb ?? Number.NaN
    const last = r.samples.at(-1) as { forwarded: number, rssMb: number }
    const figures = r.samples.map((s) => `${s.forwarded}: ${round(s.rssMb, 1)}`).join(', ')
    return [result('agent_rss_10k', last.rssMb, 'MB', { name: 'agent RSS after the first 1,000 forwarded', value: at(1_000) },
      `harpoon agent RSS (MB) by messages the central acknowledged: ${figures}; ${r.messages} 2-part MTN credits through a pty modem, forwarded in ${round(r.seconds, 1)} s (${round(r.messages / r.seconds, 0)} msg/s); the agent run with deploy/harpoon-agent.service's NODE_OPTIONS (${r.nodeArgs.join(' ')}); flat means ratio ~1`)]
  },

  async scale_1m (cleanup) {
    // Both sizes seeded and running first, then loaded in alternate rounds: the ratio compares like
    // with like, and neither side owns a quiet or a busy stretch of a shared machine.
    const small = await startGetPayment(100_000, cleanup)
    const big = await startGetPayment(1_000_000, cleanup)
    const { a: smallGet, b: bigGet, rounds } = await alternateGetPayment(small, big)
    const busyRss = rssMb(big.daemon.pid)
    await small.daemon.stop()
    await big.daemon.stop()
    return [
      result('scale_1m', bigGet.rps, 'req/s', { name: 'api_get_payment over 100k payments', value: smallGet.rps },
        `GET /v1/payments/{hpn_code} over 1,000,000 payments (seeded in ${round(big.seedSeconds, 1)} s, daemon listening after ${round(big.startSeconds, 2)} s) vs 100k, both daemons running, loaded in ${rounds.length} alternate rounds of 3 s, each side's median round (100k / 1M req/s by round: ${rounds.map(([s, b]) => `${round(s, 0)} / ${round(b, 0)}`).join(', ')}); p99 ${bigGet.p99} ms vs ${smallGet.p99} ms; target ratio >= 0.8`),
      result('scale_1m_db_size', big.dbMb ?? Number.NaN, 'MB', { name: 'database with 100k payments', value: small.dbMb ?? Number.NaN }, 'payments table and its indexes on disk (file + WAL)'),
      result('scale_1m_idle_rss', big.idleRssMb, 'MB', { name: 'idle RSS with 100k payments', value: small.idleRssMb }, `daemon RSS 2 s after start, before any request; ${round(busyRss, 1)} MB after the load run; target < 150 MB`)
    ]
  },

  async postgres (cleanup) {
    // A server of its own (the tests' fixture) with PostgreSQL's durable defaults: a commit waits for
    // its fsync, as SQLite's synchronous = FULL does. Each figure beside the SQLite one measured just
    // before it in this bench, so a shared machine's drift hits both sides alike.
    const server = await startPostgresServer({ durable: true })
    cleanup.push(server.destroy)
    const sqlite = await runGetPayment(100_000, cleanup)
    const sqliteInit = await runInitialize(sqlite)
    await sqlite.daemon.stop()
    const pg = await runGetPayment(100_000, cleanup, { databaseUrl: await server.createDatabase('bench_api') })
    const pgInit = await runInitialize(pg)
    await pg.daemon.stop()
    const sqliteSms = await runSmsToWebhook(cleanup)
    const pgSms = await runSmsToWebhook(cleanup, { databaseUrl: await server.createDatabase('bench_sms') })
    const where = 'PostgreSQL on this machine over TCP loopback, fsync on'
    return [
      result('pg_api_get_payment', pg.get.rps, 'req/s', { name: 'api_get_payment on SQLite, same bench', value: sqlite.get.rps },
        `${where}; 100k payments (seeded in ${round(pg.seedSeconds, 1)} s vs ${round(sqlite.seedSeconds, 1)} s), random hpn_code, 10 connections, 5 s; p99 ${pg.get.p99} ms vs ${sqlite.get.p99} ms`),
      result('pg_api_initialize', pgInit.rps, 'req/s', { name: 'api_initialize on SQLite, same bench', value: sqliteInit.rps },
        `${where}; new PENDING payment per request on the 100k database; p99 ${pgInit.p99} ms vs ${sqliteInit.p99} ms`),
      result('pg_sms_to_webhook_p99', pgSms.p99, 'ms', { name: 'sms_to_webhook p99 on SQLite, same bench', value: sqliteSms.p99 },
        `${where}; ${pgSms.n} 2-part MTN credits, one at a time, +CMTI to verified webhook; p50 ${round(pgSms.p50)} ms vs ${round(sqliteSms.p50)} ms; ratio is PostgreSQL / SQLite (higher is slower)`)
    ]
  }
}

function table (rows: readonly BenchResult[]): string {
  const cells = rows.map((r) => [r.name, `${r.value} ${r.unit}`, r.baseline ?? '-', r.baseline_value === null ? '-' : String(r.baseline_value), r.ratio === null ? '-' : String(r.ratio)])
  const head = ['name', 'value', 'baseline', 'baseline value', 'ratio']
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)))
  const line = (c: readonly string[]): string => '| ' + c.map((x, i) => x.padEnd(widths[i] as number)).join(' | ') + ' |'
  return [line(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...cells.map(line)].join('\n')
}

async function main (): Promise<void> {
  const wanted = process.argv.slice(2)
  const unknown = wanted.filter((w) => !(w in benches))
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`)
  const names = wanted.length > 0 ? wanted : Object.keys(benches)
  const previous: BenchResult[] = wanted.length > 0 && existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, 'utf8')) as BenchResult[] : []
  const fresh: BenchResult[] = []
  for (const name of names) {
    const cleanup = new Cleanup()
    const started = performance.now()
    try {
      process.stderr.write(`bench ${name}…\n`)
      fresh.push(...await (benches[name] as Bench)(cleanup))
    } finally {
      await cleanup.run()
      process.stderr.write(`bench ${name} took ${round((performance.now() - started) / 1000, 1)} s\n`)
    }
  }
  const names2 = new Set(fresh.map((r) => r.name))
  const all = [...previous.filter((r) => !names2.has(r.name)), ...fresh]
  writeFileSync(RESULTS, JSON.stringify(all, null, 2) + '\n')
  process.stdout.write(table(all) + '\n\n')
  for (const r of all) process.stdout.write(`${r.name}: ${r.notes}\n`)
}

await main()
