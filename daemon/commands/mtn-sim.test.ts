import { spawn, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { MtnMomoClient, type MtnProductCredentials } from '../../channels/mtn-momo/client.js'
import { CLI } from '../../test/helpers/daemon-process.js'
import { tempDir } from '../../test/helpers/temp-dir.js'
import { CliError } from './cli-error.js'
import { mtnSimCommand } from './mtn-sim.js'

interface Started {
  facts: { url: string, control_url: string, base_url: string, target_environment: string, currency: string, collection: MtnProductCredentials, disbursement: MtnProductCredentials }
  stop: () => Promise<number | null>
  output: () => string
}

const cleanups: Array<() => unknown> = []
afterEach(async () => { while (cleanups.length > 0) await cleanups.pop()?.() })

/** Runs the built `harpoon mtn-sim` as an operator would, and reads its one-line JSON start-up facts. */
async function startSim (args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [CLI, 'mtn-sim', '--port', '0', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  child.stdout.on('data', (c: Buffer) => { text += c.toString() })
  child.stderr.on('data', (c: Buffer) => { text += c.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  cleanups.push(async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited } })
  const facts = await new Promise<Started['facts']>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`mtn-sim did not start:\n${text}`)) }, 45_000)
    child.stdout.on('data', () => {
      const line = text.split('\n').find((l) => l.includes('"control_url"'))
      if (line !== undefined) { clearTimeout(timer); resolve(JSON.parse(line) as Started['facts']) }
    })
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`mtn-sim exited with ${String(code)}:\n${text}`)) })
  })
  return { facts, output: () => text, stop: async () => { child.kill('SIGTERM'); return await exited } }
}

/** A run of the built CLI that must end by itself. */
function cli (args: string[]): { code: number | null, out: string, err: string } {
  const res = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 })
  return { code: res.status, out: res.stdout, err: res.stderr }
}

describe('harpoon mtn-sim', () => {
  // Two simulator processes started and stopped: give a loaded machine room.
  it('serves the environment asked for, prints a ready channel config, keeps its credentials across restarts, stops on SIGTERM', { timeout: 90_000 }, async () => {
    const dir = tempDir()
    cleanups.push(dir.cleanup)
    const credentials = join(dir.path, 'mtn-sim.json')
    const first = await startSim(['--environment', 'mtnghana', '--credentials', credentials, '--default-outcome', 'wait', '--log-level', 'info'])
    expect(first.facts).toMatchObject({ target_environment: 'mtnghana', currency: 'GHS', base_url: first.facts.url, control_url: `${first.facts.url}/_sim` })
    expect(JSON.parse(readFileSync(credentials, 'utf8'))).toMatchObject({ collection: first.facts.collection })
    expect(statSync(credentials).mode & 0o777).toBe(0o600)

    const client = new MtnMomoClient(first.facts)
    cleanups.push(async () => { await client.close() })
    const referenceId = randomUUID()
    await client.requestToPay({ referenceId, amount: '20', currency: 'GHS', externalId: 'p1', payer: { partyIdType: 'MSISDN', partyId: '233244123456' }, payerMessage: 'Order 7', payeeNote: 'Shop' })
    const approved = await fetch(`${first.facts.control_url}/requests/${referenceId}/approve`, { method: 'POST' })
    expect(await approved.json()).toMatchObject({ status: 'SUCCESSFUL', decidedBy: 'operator' })
    expect(await first.stop()).toBe(0)
    expect(first.output()).toContain('stopping the MTN simulator')
    // The operator's log carries no credentials.
    expect(first.output().split('\n').filter((l) => !l.includes('"control_url"')).join('\n')).not.toContain(first.facts.collection.subscription_key)

    const second = await startSim(['--environment', 'mtnghana', '--credentials', credentials, '--log-level', 'silent'])
    expect(second.facts.collection).toEqual(first.facts.collection)
    const again = new MtnMomoClient({ ...first.facts, base_url: second.facts.url })
    cleanups.push(async () => { await again.close() })
    expect(await again.accountBalance('collection')).toEqual({ availableBalance: '0', currency: 'GHS' })
    expect(await second.stop()).toBe(0)
  })

  it('refuses bad options with exit code 2 and a line naming the option', async () => {
    const res = cli(['mtn-sim', '--environment', 'nowhere'])
    expect(res.code).toBe(2)
    expect(res.err).toMatch(/^harpoon: unknown environment nowhere: add --currency/)
    // The rest in-process: the same command, without starting a Node process for each.
    const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() }
    for (const [args, message] of [
      [['--callback-method', 'GET'], /--callback-method must be PUT or POST/],
      [['--port', 'x'], /--port must be a whole number/],
      [['--default-outcome', 'maybe'], /--default-outcome must be approve or wait/],
      [['--settings', '{"callback":{"copies":0}}'], /callback\/copies/],
      [['--settings', '{"colour":"red"}'], /colour/],
      [['--bogus'], /Unknown option '--bogus'/]
    ] as const) {
      await expect(mtnSimCommand(args, io)).rejects.toThrow(CliError)
      await expect(mtnSimCommand(args, io)).rejects.toThrow(message)
    }
    let help = ''
    io.stdout.on('data', (c: Buffer) => { help += c.toString() })
    expect(await mtnSimCommand(['--help'], io)).toBe(0)
    expect(help).toContain('--drop-callbacks')
  })

  it('says so when its port is taken', { timeout: 60_000 }, async () => {
    const running = await startSim(['--log-level', 'silent'])
    const port = new URL(running.facts.url).port
    const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() }
    await expect(mtnSimCommand(['--port', port, '--log-level', 'silent'], io)).rejects.toMatchObject({ code: 'mtn_sim_listen', message: `cannot listen on 127.0.0.1:${port}: EADDRINUSE` })
  })
})
