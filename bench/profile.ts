import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runGetPayment, runInitialize, startGetPayment } from './api.js'
import { Cleanup, round, tempDir } from './harness.js'
import { runBurst, runFanout } from './sms.js'

/**
 * `node dist/bench/profile.js [api_get_payment|api_initialize|webhook_fanout|burst_ingest]`: that bench's load once
 * more with the daemon under `node --cpu-prof`, then the heaviest frames by self time and the heaviest
 * modules by total self time. Not part of `npm run bench` (profiling slows the figure it explains).
 */
interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: Node[], samples: number[], timeDeltas: number[] }

const cleanup = new Cleanup()
try {
  const dir = tempDir(cleanup, 'harpoon-prof-')
  const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', dir]
  const bench = process.argv[2] ?? 'api_get_payment'
  let figure: string
  if (bench === 'api_get_payment') {
    const run = await runGetPayment(100_000, cleanup, { nodeArgs })
    await run.daemon.stop()
    figure = `${round(run.get.rps, 0)} req/s`
  } else if (bench === 'api_initialize') {
    // As `npm run bench api` loads it: new payments on the 100k database, after a second of warm-up.
    const run = await startGetPayment(100_000, cleanup, { nodeArgs })
    await runInitialize(run, 1)
    const init = await runInitialize(run)
    await run.daemon.stop()
    figure = `${round(init.rps, 0)} req/s`
  } else if (bench === 'webhook_fanout') {
    const run = await runFanout(cleanup, 5000, nodeArgs)
    figure = `${round(run.perSecond, 0)} deliveries/s (raw undici ${round(5000 / run.bareSeconds, 0)}/s)`
  } else if (bench === 'burst_ingest') {
    const run = await runBurst(cleanup, 500, nodeArgs)
    figure = `${round(run.perSecond, 1)} msg/s (bare client ${round(500 / run.bareSeconds, 1)} msg/s)`
  } else throw new Error(`no profile for ${bench}; known: api_get_payment, api_initialize, webhook_fanout, burst_ingest`)
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
  if (file === undefined) throw new Error('no .cpuprofile written')
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  const frames = new Map<string, number>()
  const modules = new Map<string, number>()
  for (const [id, us] of self) {
    const f = (byId.get(id) as Node).callFrame
    const where = f.url.replace(/^file:\/\//, '').replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/')
    frames.set(`${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`, (frames.get(`${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`) ?? 0) + us)
    const mod = where === '' ? `(${f.functionName})` : where.startsWith('dist/') ? where.split('/').slice(0, 2).join('/') : where.startsWith('node:') ? where : where.split('/')[0]?.startsWith('@') === true ? where.split('/').slice(0, 2).join('/') : where.split('/')[0] ?? where
    modules.set(mod, (modules.get(mod) ?? 0) + us)
  }
  const top = (m: Map<string, number>, n: number): string => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `${String(round((100 * us) / total, 1)).padStart(5)}%  ${k}`).join('\n')
  process.stdout.write(`${bench} under --cpu-prof: ${figure}\n\ntop frames by self time:\n${top(frames, 40)}\n\nby module:\n${top(modules, 20)}\n`)
} finally {
  await cleanup.run()
}
