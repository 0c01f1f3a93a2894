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
}

/**
 * Runs the built daemon (`dist/daemon/cli.js start`) as an operator would, with a config file in
 * `dir`; resolves once the API listens. `npm test` builds dist first.
 */
export async function spawnDaemon (dir: string, config: Record<string, unknown>, options: SpawnOptions = {}): Promise<DaemonProcess> {
  const timeoutMs = options.timeoutMs ?? 20_000
  const configPath = join(dir, 'harpoon.json')
  writeFileSync(configPath, JSON.stringify({ api: { port: 0 }, database: await testDatabase(dir), ...config }))
  const child = spawn(process.execPath, [CLI, 'start', '--config', configPath], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env })
  let text = ''
  child.stdout?.on('data', (c: Buffer) => { text += c.toString() })
  child.stderr?.on('data', (c: Buffer) => { text += c.toString() })
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)))
  // After the test's own clean-up, whatever it left running goes. A test that timed out while its
  // daemon was starting never got the handle to stop it: such a daemon was found still running half
  // an hour later, holding its port and CPU.
  try {
    onTestFinished(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  } catch { /* started outside a test (a beforeAll): the suite's own hooks stop it */ }
  const logs = (): Array<Record<string, unknown>> => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
  const url = await new Promise<string>((res, rej) => {
    // A daemon that never says it listens is killed, not left running after the test gave up on it.
    const timer = setTimeout(() => { child.kill('SIGKILL'); rej(new Error(`daemon did not start in time:\n${text}`)) }, timeoutMs)
    const check = (): void => {
      const line = logs().find((l) => l['msg'] === 'API listening')
      if (line !== undefined) { clearTimeout(timer); res(line['url'] as string) }
    }
    child.stdout?.on('data', check)
    void exited.then((code) => { clearTimeout(timer); rej(new Error(`daemon exited with ${String(code)} before listening:\n${text}`)) })
  })
  return { child, url, output: () => text, logs, exited }
}
