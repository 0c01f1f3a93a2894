import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runGetPayment } from './api.js'
import { Cleanup, round, tempDir } from './harness.js'

/**
 * `node dist/bench/profile.js`: the api_get_payment load once more with the daemon under
 * `node --cpu-prof`, then the heaviest frames by self time and the heaviest modules by total self
 * time. Not part of `npm run bench` (profiling slows the figure it explains).
 */
interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: Node[], samples: number[], timeDeltas: number[] }

const cleanup = new Cleanup()
try {
  const dir = tempDir(cleanup, 'harpoon-prof-')
  const run = await runGetPayment(100_000, cleanup, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] })
  await run.daemon.stop()
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
  process.stdout.write(`api_get_payment under --cpu-prof: ${round(run.get.rps, 0)} req/s\n\ntop frames by self time:\n${top(frames, 25)}\n\nby module:\n${top(modules, 20)}\n`)
} finally {
  await cleanup.run()
}
