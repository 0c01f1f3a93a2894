import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import autocannon from 'autocannon'
import type { DatabaseSettings } from '../ledger/open.js'

/** One line of bench/results.json. `ratio` is ours / baseline (for latencies: higher is worse). */
export interface BenchResult {
  name: string
  value: number
  unit: string
  baseline: string | null
  baseline_value: number | null
  ratio: number | null
  notes: string
}

export const DIST = resolve(import.meta.dirname, '..')
export const CLI = join(DIST, 'daemon/cli.js')

/** Everything a bench started, undone in reverse order even when the bench throws. */
export class Cleanup {
  readonly #steps: Array<() => Promise<void> | void> = []
  push (step: () => Promise<void> | void): void { this.#steps.push(step) }
  async run (): Promise<void> {
    while (this.#steps.length > 0) {
      try { await this.#steps.pop()?.() } catch (err) { process.stderr.write(`cleanup: ${String(err)}\n`) }
    }
  }
}

export function tempDir (cleanup: Cleanup, prefix = 'harpoon-bench-'): string {
  const path = mkdtempSync(join(tmpdir(), prefix))
  cleanup.push(() => rmSync(path, { recursive: true, force: true }))
  return path
}

export async function sleep (ms: number): Promise<void> { await new Promise((r) => setTimeout(r, ms)) }

export async function waitUntil<T> (check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 60_000, everyMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}

export interface Child {
  child: ChildProcess
  pid: number
  url: string
  output: () => string
  exited: Promise<number | null>
  /** SIGTERM, then SIGKILL if it lingers; resolves once it is gone. */
  stop: () => Promise<void>
}

async function stopChild (child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(t)
}

/**
 * A node child whose stdout and stderr go to a file, as under a service manager (not through a pipe
 * into the bench process, which would bill the bench for the daemon's logging). Resolves once a
 * line of its output yields a URL.
 */
async function spawnLogged (args: string[], logPath: string, cleanup: Cleanup, urlOf: (line: string) => string | undefined, timeoutMs: number, cwd?: string): Promise<Child> {
  // Truncated: a second daemon on the same directory must not find the first one's "API listening".
  const fd = openSync(logPath, 'w')
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', fd, fd] })
  closeSync(fd)
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)))
  const stop = async (): Promise<void> => { await stopChild(child, exited) }
  cleanup.push(stop)
  const output = (): string => readFileSync(logPath, 'utf8')
  let dead = false
  child.once('exit', () => { dead = true })
  const url = await waitUntil(() => {
    if (dead) throw new Error(`${args.join(' ')} exited before listening:\n${output().slice(-2000)}`)
    for (const line of output().split('\n')) {
      const u = urlOf(line)
      if (u !== undefined) return u
    }
    return undefined
  }, `${args[0] ?? 'child'} to listen`, timeoutMs, 25)
  return { child, pid: child.pid as number, url, output, exited, stop }
}

/** Where a bench keeps its ledger: `harpoon.db` in its folder, or the PostgreSQL database at `url`. */
export function benchDatabase (dir: string, url?: string): DatabaseSettings {
  return url === undefined ? { path: join(dir, 'harpoon.db') } : { path: join(dir, 'harpoon.db'), url }
}

/**
 * The built daemon (`dist/daemon/cli.js start`) with a config file in `dir`, as an operator runs it,
 * on `options.database` (default: `harpoon.db` in `dir`).
 */
export async function spawnDaemon (dir: string, config: Record<string, unknown>, cleanup: Cleanup, options: { nodeArgs?: string[], timeoutMs?: number, database?: DatabaseSettings } = {}): Promise<Child> {
  const configPath = join(dir, 'harpoon.json')
  const database = options.database ?? benchDatabase(dir)
  writeFileSync(configPath, JSON.stringify({ api: { port: 0, rate_limit: { max: 1_000_000, window_ms: 1000 } }, database, ...config }))
  const listening = (line: string): string | undefined => {
    if (!line.startsWith('{')) return undefined
    try {
      const l = JSON.parse(line) as { msg?: unknown, url?: unknown }
      return l.msg === 'API listening' && typeof l.url === 'string' ? l.url : undefined
    } catch { return undefined }
  }
  return await spawnLogged([...(options.nodeArgs ?? []), CLI, 'start', '--config', configPath], join(dir, 'daemon.log'), cleanup, listening, options.timeoutMs ?? 120_000, dir)
}

/** `harpoon agent` with a config file in `dir`; `url` is the central it reports to, once it runs. */
export async function spawnAgent (dir: string, config: Record<string, unknown>, cleanup: Cleanup, nodeArgs: readonly string[] = []): Promise<Child> {
  const configPath = join(dir, 'agent.json')
  writeFileSync(configPath, JSON.stringify(config))
  const running = (line: string): string | undefined => line.includes('"msg":"agent running"') ? 'running' : undefined
  return await spawnLogged([...nodeArgs, CLI, 'agent', '--config', configPath], join(dir, 'agent.log'), cleanup, running, 60_000, dir)
}

/** webhook_fanout's counting receiver as its own process (bench/receiver-server.ts); `url` is its origin. */
export async function spawnReceiver (dir: string, cleanup: Cleanup): Promise<Child> {
  return await spawnLogged([join(DIST, 'bench/receiver-server.js')], join(dir, 'receiver.log'), cleanup, (line) => /^LISTENING (\S+)$/.exec(line)?.[1], 20_000)
}

/** The baseline server: bare Fastify, no logger, constant JSON (bench/bare-server.ts). */
export async function spawnBare (dir: string, cleanup: Cleanup): Promise<Child> {
  return await spawnLogged([join(DIST, 'bench/bare-server.js')], join(dir, 'bare.log'), cleanup, (line) => /^LISTENING (\S+)$/.exec(line)?.[1], 20_000)
}

export interface LoadOptions {
  url: string
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  /** A fresh path per request (autocannon calls it for every request it sends). */
  path?: () => string
  connections?: number
  durationS?: number
  /** The server's process: its CPU time over the run, per request answered, goes in `cpuUs`. */
  pid?: number
}

export interface LoadResult {
  rps: number
  p50: number
  p99: number
  requests: number
  errors: number
  non2xx: number
  /** The server's CPU time (user + system, all its threads) per request, in µs; null when its pid was not given. */
  cpuUs: number | null
}

/** A process's CPU time so far (user + system, all threads), in µs, from /proc (Linux). */
export function cpuTimeUs (pid: number): number {
  // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14th and 15th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) * (1_000_000 / CLOCK_TICKS)
}

/** Linux's USER_HZ, what /proc/<pid>/stat counts CPU time in: 100 on every architecture Node runs on. */
const CLOCK_TICKS = 100

/** autocannon against one URL; the caller decides whether errors or non-2xx answers spoil the figure. */
export async function load (o: LoadOptions): Promise<LoadResult> {
  const base = new URL(o.url)
  const pathOf = o.path
  const cpuBefore = o.pid === undefined ? 0 : cpuTimeUs(o.pid)
  const result = await autocannon({
    url: base.origin,
    connections: o.connections ?? 10,
    duration: o.durationS ?? 5,
    requests: [{
      method: o.method ?? 'GET',
      path: base.pathname,
      headers: o.headers ?? {},
      ...(o.body === undefined ? {} : { body: o.body }),
      ...(pathOf === undefined ? {} : { setupRequest: (req) => ({ ...req, path: pathOf() }) })
    }]
  })
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    cpuUs: o.pid === undefined || result.requests.total === 0 ? null : (cpuTimeUs(o.pid) - cpuBefore) / result.requests.total
  }
}

/** Resident set size of a process in MB, from /proc (Linux). */
export function rssMb (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (m === null) throw new Error(`no VmRSS for ${pid}`)
  return Number(m[1]) / 1024
}

export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number
}

export const round = (n: number, digits = 2): number => Number(n.toFixed(digits))

export function result (name: string, value: number, unit: string, baseline: { name: string, value: number } | null, notes: string): BenchResult {
  const ratio = baseline === null || baseline.value === 0 ? null : round(value / baseline.value, 3)
  return { name, value: round(value), unit, baseline: baseline?.name ?? null, baseline_value: baseline === null ? null : round(baseline.value), ratio, notes }
}
