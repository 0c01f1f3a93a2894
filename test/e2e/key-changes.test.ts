import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../config/load.js'
import { runCli } from '../../daemon/cli.js'
import { startDaemon, type RunningDaemon } from '../../daemon/daemon.js'
import { captureIo } from '../helpers/capture-io.js'
import { CLI } from '../helpers/daemon-process.js'
import { testDatabase } from '../helpers/ledger.js'
import { tempDir } from '../helpers/temp-dir.js'

const run = promisify(execFile)
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

interface CreatedKey { id: string, key: string }
type Harpoon = (...args: string[]) => Promise<string>

/**
 * Authentication answers from a cache of API keys (ledger/api-key-cache.ts), with no database read
 * per request. These tests are why that is safe: a key revoked or rolled, by the daemon's own API or
 * by `harpoon keys` in another process, is refused on the daemon's very next request (no waiting).
 */
describe('a changed API key is refused on the daemon\'s next request', () => {
  /** A daemon in this process over a fresh ledger holding live keys made first: `keys` names each with its `keys create` flags. */
  async function setup (keys: Record<string, string[]>): Promise<{ daemon: RunningDaemon, harpoon: Harpoon, made: Record<string, CreatedKey> }> {
    const dir = tempDir()
    cleanups.push(dir.cleanup)
    const config = join(dir.path, 'harpoon.json')
    writeFileSync(config, JSON.stringify({ database: await testDatabase(dir.path), log_level: 'silent', api: { port: 0 } }))
    // The CLI as an operator runs it: another process, with its own connection to the ledger.
    const harpoon = async (...args: string[]): Promise<string> => (await run(process.execPath, [CLI, ...args, '--config', config])).stdout
    // Keys are made in this process (a CLI start costs seconds on a busy machine), before the daemon
    // starts (the in-process CLI would block the event loop waiting for the daemon's write lock).
    const create = async (name: string, ...flags: string[]): Promise<CreatedKey> => {
      const { io, out } = captureIo()
      expect(await runCli(['keys', 'create', '--name', name, '--mode', 'live', '--json', ...flags, '--config', config], io)).toBe(0)
      return JSON.parse(out()) as CreatedKey
    }
    const made: Record<string, CreatedKey> = {}
    for (const [name, flags] of Object.entries(keys)) made[name] = await create(name, ...flags)
    const daemon = await startDaemon(loadConfig(config), { logger: pino({ level: 'silent' }), print: () => {} })
    cleanups.push(async () => { await daemon.stop() })
    return { daemon, harpoon, made }
  }

  const status = async (daemon: RunningDaemon, key: string): Promise<number> =>
    (await fetch(`${daemon.url}/v1/payments`, { headers: { authorization: `Bearer ${key}` } })).status

  // Three CLI processes: each start takes seconds on a shared machine.
  it('when the CLI in another process revokes or rolls it', { timeout: 120_000 }, async () => {
    const { daemon, harpoon, made } = await setup({ revoke: [], roll: [], grace: [] })
    const [revoked, rolled, graced] = [made['revoke'], made['roll'], made['grace']] as [CreatedKey, CreatedKey, CreatedKey]
    // Twice each: the second answer comes from the cache.
    for (const k of [revoked, rolled, graced, revoked, rolled, graced]) expect(await status(daemon, k.key)).toBe(200)

    await harpoon('keys', 'revoke', revoked.id)
    expect(await status(daemon, revoked.key)).toBe(401)
    expect(await status(daemon, rolled.key)).toBe(200)

    const successor = JSON.parse(await harpoon('keys', 'roll', rolled.id, '--expires-in', '0', '--json')) as CreatedKey
    expect(await status(daemon, rolled.key)).toBe(401)
    expect(await status(daemon, successor.key)).toBe(200)

    // A roll with a grace period leaves the old key working until its expires_at, beside the new one.
    const next = JSON.parse(await harpoon('keys', 'roll', graced.id, '--expires-in', '3600', '--json')) as CreatedKey & { previous: { expires_at: string } }
    expect(Date.parse(next.previous.expires_at)).toBeGreaterThan(Date.now())
    expect(await status(daemon, graced.key)).toBe(200)
    expect(await status(daemon, next.key)).toBe(200)
  })

  it('when the daemon\'s own API revokes or rolls it', async () => {
    const { daemon, made } = await setup({ manager: ['--scopes', 'keys:manage,payments:read'] })
    const manager = made['manager'] as CreatedKey
    const api = async (method: string, path: string, body?: unknown): Promise<{ status: number, body: { data: CreatedKey } }> => {
      const res = await fetch(`${daemon.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${manager.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body)
      })
      return { status: res.status, body: await res.json() as { data: CreatedKey } }
    }
    const viaApi = async (name: string): Promise<CreatedKey> => (await api('POST', '/v1/keys', { name, scopes: ['payments:read'] })).body.data
    const revoked = await viaApi('to revoke')
    const rolled = await viaApi('to roll')
    for (const k of [revoked, rolled, revoked, rolled]) expect(await status(daemon, k.key)).toBe(200)

    expect((await api('DELETE', `/v1/keys/${revoked.id}`)).status).toBe(200)
    expect(await status(daemon, revoked.key)).toBe(401)

    const roll = await api('POST', `/v1/keys/${rolled.id}/roll`, { expires_in: 0 })
    expect(roll.status).toBe(201)
    expect(await status(daemon, rolled.key)).toBe(401)
    expect(await status(daemon, roll.body.data.key)).toBe(200)

    // The manager's own key, rolled by itself, stops on its next request too.
    const self = await api('POST', `/v1/keys/${manager.id}/roll`, { expires_in: 0 })
    expect(self.status).toBe(201)
    expect(await status(daemon, manager.key)).toBe(401)
  })
})
