import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CLI } from '../helpers/daemon-process.js'
import { testDatabase } from '../helpers/ledger.js'
import { encodeMultipart } from '../../modem/pdu/encode.js'
import { telcoCreditText } from '../../ingest/telco-wording.js'
import { waitFor as pollFor } from '../helpers/wait-for.js'

/**
 * A daemon process that may be killed at any moment, even before it listens: `url` resolves when
 * it listens and rejects if it dies first.
 */
export interface Killable {
  child: ChildProcess
  url: Promise<string>
  output: () => string
  exited: Promise<void>
  kill9: () => Promise<void>
  /** SIGTERM and wait: the graceful stop. */
  stop: () => Promise<void>
}

export async function writeConfig (dir: string, config: Record<string, unknown>): Promise<string> {
  const path = join(dir, 'harpoon.json')
  writeFileSync(path, JSON.stringify({ api: { port: 0, rate_limit: { max: 100_000, window_ms: 1000 } }, database: await testDatabase(dir), virtual_modems: false, ...config }))
  return path
}

export function startKillable (configPath: string): Killable {
  const child = spawn(process.execPath, [CLI, 'start', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      text += c.toString()
      const m = /"url":"(http:\/\/[^"]+)","msg":"API listening"/.exec(text)
      if (m !== null) resolve(m[1] as string)
    })
    child.stderr?.on('data', (c: Buffer) => { text += c.toString() })
    child.once('exit', () => reject(new Error(`daemon exited before listening:\n${text.slice(-3000)}`)))
  })
  url.catch(() => {})
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null
  return {
    child,
    url,
    output: () => text,
    exited,
    kill9: async () => { if (!gone()) child.kill('SIGKILL'); await exited },
    stop: async () => { if (!gone()) child.kill('SIGTERM'); await exited }
  }
}

/** The 2-part MTN credit SMS a customer's payment produces, as PDUs. */
export function mtnCreditPdus (p: { amountMinor: number, reference: string, transactionId: string, balanceMinor: number, ref: number }): string[] {
  const text = telcoCreditText({
    network: 'mtn', amountMinor: p.amountMinor, reference: p.reference, payerPhone: '0244111222', payerName: 'KOFI MENSAH',
    transactionId: p.transactionId, balanceMinor: p.balanceMinor, at: new Date()
  })
  return encodeMultipart({ sender: 'MobileMoney', text, sentAt: `${new Date().toISOString().slice(0, 19)}+00:00`, ref: p.ref % 256 })
}

export async function sleep (ms: number): Promise<void> { await new Promise((r) => setTimeout(r, ms)) }

/**
 * Fault runs restart the daemon under load: allow a minute. `describe` says what is still outstanding
 * when the wait times out, and its text goes into the error.
 */
export async function waitFor<T> (fn: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 60_000,
  describe?: () => string | Promise<string>): Promise<T> {
  return await pollFor(fn, what, timeoutMs, undefined, describe)
}
