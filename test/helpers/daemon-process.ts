import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { onTestFinished } from 'vitest'
import { testDatabase } from './ledger.js'

export const CLI = resolve(import.meta.dirname, '../../dist/daemon/cli.js')

export interface DaemonProcess {
  child: ChildProcess
  url: string
  /** Everything printed so far, stdout and stderr. */
  output: () => string
  /** Parsed pino JSON lines from stdout. */
  logs: () => Array<Record<string, unknown>>
  exited: Promise<number | null>
}

export interface SpawnOptions {
  readonly timeoutMs?: number
  /** The daemon's environment instead of this process's (a PATH without socat, say). */
  readonly env?: NodeJS.ProcessEnv
  /** Started in one test for the suite's later tests: the suite's own hooks stop it. */
  readonly outlivesTest?: boolean
}

/** A built `harpoon` process: the readiness line's value, its output and its exit. */
export interface CliProcess<T> extends Omit<DaemonProcess, 'url'> {
  ready: T
  /** SIGKILL, and wait for the exit. */
  kill9: () => Promise<void>
  /** SIGTERM (the graceful stop), and wait for the exit. */
  stop: () => Promise<void>
}

/**
 * Runs `dist/daemon/cli.js <command> --config <dir>/<configName>` as an operator would, and resolves
 * once a log line makes `ready` return a value. `npm test` builds dist first.
 */
export async function spawnHarpoon<T> (dir: string, configName: string, command: string, config: Record<string, unknown>,
  ready: (line: Record<string, unknown>) => T | undefined, options: SpawnOptions = {}): Promise<CliProcess<T>> {
  const timeoutMs = options.timeoutMs ?? 20_000
  const configPath = join(dir, configName)
  writeFileSync(configPath, JSON.stringify(config))
  const child = spawn(process.execPath, [CLI, command, '--config', configPath], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env })
  let text = ''
  child.stdout?.on('data', (c: Buffer) => { text += c.toString() })
  child.stderr?.on('data', (c: Buffer) => { text += c.toString() })
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)))
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null
  // After the test's own clean-up, whatever it left running goes. A test that timed out while its
  // daemon was starting never got the handle to stop it: such a daemon was found still running half
  // an hour later, holding its port and CPU.
  if (options.outlivesTest !== true) {
    try {
      onTestFinished(() => { if (!gone()) child.kill('SIGKILL') })
    } catch { /* started outside a test (a beforeAll): the suite's own hooks stop it */ }
  }
  const logs = (): Array<Record<string, unknown>> => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
  const value = await new Promise<T>((res, rej) => {
    // A process that never says it is ready is killed, not left running after the test gave up on it.
    const timer = setTimeout(() => { child.kill('SIGKILL'); rej(new Error(`${command} did not start in time:\n${text}`)) }, timeoutMs)
    const check = (): void => {
      for (const line of logs()) {
        const v = ready(line)
        if (v !== undefined) { clearTimeout(timer); res(v); return }
      }
    }
    child.stdout?.on('data', check)
    child.once('exit', (code) => { clearTimeout(timer); rej(new Error(`${command} exited with ${String(code)} before it was ready:\n${text}`)) })
  })
  return {
    child,
    ready: value,
    output: () => text,
    logs,
    exited,
    kill9: async () => { if (!gone()) child.kill('SIGKILL'); await exited },
    stop: async () => { if (!gone()) child.kill('SIGTERM'); await exited }
  }
}

/**
 * Runs the built daemon (`dist/daemon/cli.js start`) as an operator would, with a config file in
 * `dir`; resolves once the API listens.
 */
export async function spawnDaemon (dir: string, config: Record<string, unknown>, options: SpawnOptions = {}): Promise<DaemonProcess> {
  const p = await spawnHarpoon(dir, 'harpoon.json', 'start', { api: { port: 0 }, database: await testDatabase(dir), ...config },
    (line) => line['msg'] === 'API listening' ? line['url'] as string : undefined, options)
  return { child: p.child, url: p.ready, output: p.output, logs: p.logs, exited: p.exited }
}
