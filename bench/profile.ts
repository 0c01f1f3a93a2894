import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadGetPaymentRound, runInitialize, startGetPayment } from './api.js'
import { Cleanup, round, tempDir } from './harness.js'
import { runBurst, runFanout } from './sms.js'

/**
 * `node dist/bench/profile.js [api_get_payment|api_initialize|webhook_fanout|burst_ingest]`: that bench's load once
 * more with the daemon under `node --cpu-prof`, then the heaviest frames by self time and by total time (the frame
 * and what it called), and the heaviest modules, each as a share of the samples and in µs of the main thread's time
 * per unit of work (request, delivery, message; `(idle)` is the time it waited). For the two API loads only the samples of the measured load count (start-up,
 * seeding, warm-up and shutdown are left out: they made a third of the old whole-process profile, idle time most
 * of it); the other two count their whole run. Not part of `npm run bench` (profiling slows the figure it explains).
 */
interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: Node[], samples: number[], timeDeltas: number[], startTime: number }

/** What was profiled: the figure to print, the units of work done, and the window its samples must fall in (µs, the profile's clock). */
interface Measured { figure: string, units: number, unit: string, window: { from: number, to: number } | null }

/** Now on the clock of V8's profiles (CLOCK_MONOTONIC in µs on Linux, as process.hrtime). */
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n)

async function measure (bench: string, cleanup: Cleanup, nodeArgs: string[]): Promise<Measured> {
  if (bench === 'api_get_payment' || bench === 'api_initialize') {
    const run = await startGetPayment(100_000, cleanup, { nodeArgs })
    const load = bench === 'api_get_payment'
      ? async (s: number) => await loadGetPaymentRound(run, s)
      // As `npm run bench api` loads it: new payments on the 100k database.
      : async (s: number) => await runInitialize(run, s)
    await load(1)
    const from = nowUs()
    const r = await load(5)
    const to = nowUs()
    await run.daemon.stop()
    return { figure: `${round(r.rps, 0)} req/s`, units: r.requests, unit: 'request', window: { from, to } }
  }
  if (bench === 'webhook_fanout') {
    const run = await runFanout(cleanup, 5000, nodeArgs)
    return { figure: `${round(run.perSecond, 0)} deliveries/s (raw undici ${round(5000 / run.bareSeconds, 0)}/s)`, units: 5000, unit: 'delivery', window: null }
  }
  if (bench === 'burst_ingest') {
    const run = await runBurst(cleanup, 500, nodeArgs)
    return { figure: `${round(run.perSecond, 1)} msg/s (bare client ${round(500 / run.bareSeconds, 1)} msg/s)`, units: 500, unit: 'message', window: null }
  }
  throw new Error(`no profile for ${bench}; known: api_get_payment, api_initialize, webhook_fanout, burst_ingest`)
}

const where = (f: Node['callFrame']): string => f.url.replace(/^file:\/\//, '').replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/')
const frameName = (f: Node['callFrame']): string => `${f.functionName === '' ? '(anonymous)' : f.functionName} ${where(f)}:${f.lineNumber + 1}`

function moduleOf (f: Node['callFrame']): string {
  const w = where(f)
  if (w === '') return `(${f.functionName})`
  if (w.startsWith('dist/')) return w.split('/').slice(0, 2).join('/')
  if (w.startsWith('node:')) return w
  return w.startsWith('@') ? w.split('/').slice(0, 2).join('/') : w.split('/')[0] ?? w
}

/** Self time by frame and by module, and total time by frame (a frame counted once per sample, however deep it recurses), in µs. */
function tally (profile: Profile, window: Measured['window']): { self: Map<string, number>, total: Map<string, number>, modules: Map<string, number>, sampled: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  const modules = new Map<string, number>()
  const add = (m: Map<string, number>, k: string, us: number): void => { m.set(k, (m.get(k) ?? 0) + us) }
  let at = profile.startTime
  let sampled = 0
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0
    // A sample's time is the gap to the next one.
    const us = profile.timeDeltas[i + 1] ?? 0
    if (window !== null && (at < window.from || at > window.to)) return
    sampled += us
    const frame = (byId.get(id) as Node).callFrame
    add(self, frameName(frame), us)
    add(modules, moduleOf(frame), us)
    const seen = new Set<string>()
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const name = frameName((byId.get(n) as Node).callFrame)
      if (!seen.has(name)) { seen.add(name); add(total, name, us) }
    }
  })
  return { self, total, modules, sampled }
}

const cleanup = new Cleanup()
try {
  const dir = tempDir(cleanup, 'harpoon-prof-')
  const bench = process.argv[2] ?? 'api_get_payment'
  const measured = await measure(bench, cleanup, ['--cpu-prof', '--cpu-prof-dir', dir])
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
  if (file === undefined) throw new Error('no .cpuprofile written')
  const { self, total, modules, sampled } = tally(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile, measured.window)
  const top = (m: Map<string, number>, n: number): string => [...m].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([k, us]) => `${String(round((100 * us) / sampled, 1)).padStart(5)}% ${String(round(us / measured.units, 2)).padStart(8)} µs  ${k}`).join('\n')
  const span = measured.window === null ? 'the whole run' : 'the measured load only'
  process.stdout.write(`${bench} under --cpu-prof: ${measured.figure}; samples of ${span}, µs a ${measured.unit} over ${measured.units}\n\n` +
    `top frames by self time:\n${top(self, 40)}\n\ntop frames by total time:\n${top(total, 40)}\n\nby module:\n${top(modules, 20)}\n`)
} finally {
  await cleanup.run()
}
