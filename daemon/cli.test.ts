import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { testDatabase } from '../test/helpers/ledger.js'
import { tempDir } from '../test/helpers/temp-dir.js'
import { captureIo } from '../test/helpers/capture-io.js'
import pino from 'pino'
import { loadConfig } from '../config/load.js'
import { runCli } from './cli.js'
import { startDaemon } from './daemon.js'

const cleanups: Array<() => void> = []
afterEach(() => { while (cleanups.length > 0) cleanups.pop()?.() })

async function setup (extra: Record<string, unknown> = {}): Promise<string> {
  const dir = tempDir()
  cleanups.push(dir.cleanup)
  const config = join(dir.path, 'harpoon.json')
  writeFileSync(config, JSON.stringify({ database: await testDatabase(dir.path), log_level: 'silent', ...extra }))
  return config
}

async function cli (args: string[]): Promise<{ code: number, out: string, err: string }> {
  const { io, out, err } = captureIo()
  const code = await runCli(args, io)
  return { code, out: out(), err: err() }
}

describe('harpoon parse', () => {
  it('parses a pasted message with the network\'s trusted sender and prints the SPEC fields', async () => {
    const config = await setup()
    const res = await cli(['parse', '--config', config, '--network', 'telecel', '0000014535180494 Confirmed. You have received GHS15.00 from 233500000008 - ANSAH-KOFI YAW on 2026-09-19 at 21:37:35. Your Telecel Cash balance is GHS15.00. Reference: Spotify.'])
    expect(res.code).toBe(0)
    expect(JSON.parse(res.out)).toEqual({
      network: 'telecel', kind: 'credit', amount: '15.00', currency: 'GHS', payer_phone: '0500000008', payer_name: 'ANSAH-KOFI YAW',
      reference: 'Spotify', transaction_id: '0000014535180494', balance: '15.00', fee: null, time: '2026-09-19T21:37:35Z'
    })
  })

  it('calls a message from an ordinary number untrusted', async () => {
    const res = await cli(['parse', '--config', await setup(), '--network', 'mtn', '--sender', '+233241112233', 'Payment received for GHS 100.00 from Aaa'])
    expect(JSON.parse(res.out).kind).toBe('untrusted')
  })
})

describe('harpoon merchants and keys', () => {
  it('creates the default merchant first, then slugs, and lists them', async () => {
    const config = await setup()
    const first = await cli(['merchants', 'create', '--name', 'Kofi Shop', '--json', '--config', config])
    expect(first.code).toBe(0)
    expect(JSON.parse(first.out)).toEqual({ id: 'default', name: 'Kofi Shop' })
    const second = await cli(['merchants', 'create', '--name', "Ama's Kitchen Ltd.", '--json', '--config', config])
    expect(JSON.parse(second.out)).toEqual({ id: 'ama-s-kitchen-ltd', name: "Ama's Kitchen Ltd." })
    const third = await cli(['merchants', 'create', '--name', 'X', '--id', 'custom-1', '--json', '--config', config])
    expect(JSON.parse(third.out).id).toBe('custom-1')
    const dup = await cli(['merchants', 'create', '--name', 'X', '--id', 'custom-1', '--config', config])
    expect(dup.code).toBe(1)
    expect(dup.err).toContain('already exists')
    const list = await cli(['merchants', 'list', '--config', config])
    expect(list.out).toMatch(/ID\s+NAME\s+CREATED/)
    expect(list.out).toContain('ama-s-kitchen-ltd')
  })

  it('creates a key whose secret is printed once, lists it without the secret, and revokes it', async () => {
    const config = await setup()
    await cli(['merchants', 'create', '--name', 'Shop', '--config', config])
    const created = await cli(['keys', 'create', '--name', 'pos', '--mode', 'live', '--scopes', 'payments:read,payments:write', '--json', '--config', config])
    expect(created.code).toBe(0)
    const key = JSON.parse(created.out) as { id: string, key: string, mode: string, scopes: string[], merchant: string }
    expect(key).toMatchObject({ mode: 'live', scopes: ['payments:read', 'payments:write'], merchant: 'default' })
    expect(key.key).toMatch(/^hpn_live_sk_[0-9A-Za-z]{40}$/)
    const defaults = JSON.parse((await cli(['keys', 'create', '--name', 'all', '--json', '--config', config])).out) as { scopes: string[], mode: string }
    expect(defaults.scopes).toEqual(['payments:read', 'payments:write', 'webhooks:manage', 'keys:manage'])
    expect(defaults.mode).toBe('test')
    const list = await cli(['keys', 'list', '--config', config])
    expect(list.out).toContain(key.id)
    expect(list.out).not.toContain(key.key)
    expect((await cli(['keys', 'revoke', key.id, '--config', config])).code).toBe(0)
    expect((await cli(['keys', 'list', '--config', config])).out).toMatch(/revoked/)
  })

  it('keys create on an empty database makes the default merchant as the first start would, and that start then takes the key', async () => {
    const config = await setup({ api: { port: 0 } })
    const created = await cli(['keys', 'create', '--name', 'shop-server', '--mode', 'live', '--json', '--config', config])
    expect(created.code).toBe(0)
    const key = JSON.parse(created.out) as { key: string, merchant: string }
    expect(key.merchant).toBe('default')
    expect(JSON.parse((await cli(['merchants', 'list', '--json', '--config', config])).out)).toMatchObject([{ id: 'default', name: 'Default merchant' }])
    const second = await cli(['keys', 'create', '--name', 'ops', '--config', config])
    expect(second.out).not.toContain('Empty database')
    expect((await cli(['keys', 'create', '--name', 'x', '--merchant', 'elsewhere', '--config', config])).err).toContain('no merchant "elsewhere"')

    const printed: string[] = []
    const daemon = await startDaemon(loadConfig(config), { logger: pino({ level: 'silent' }), print: (text) => printed.push(text) })
    try {
      expect(daemon.firstKey).toBeNull()
      expect(printed).toEqual([])
      const res = await fetch(`${daemon.url}/v1/payments`, { headers: { authorization: `Bearer ${key.key}` } })
      expect(res.status).toBe(200)
    } finally {
      await daemon.stop()
    }
  })

  it('makes an agent key that holds the agent scope alone, and says how an agent uses it', async () => {
    const config = await setup()
    await cli(['merchants', 'create', '--name', 'Shop', '--config', config])
    const made = await cli(['keys', 'create', '--name', 'kumasi agent', '--mode', 'live', '--scopes', 'agent', '--config', config])
    expect(made.code).toBe(0)
    expect(made.out).toMatch(/"agent": \{"id": "SITE", "central_url": "https:\/\/THIS-DAEMON", "key": "hpn_live_sk_[0-9A-Za-z]{40}"\}/)
    expect(made.out).toContain('serve merchant default in live mode')
    const mixed = await cli(['keys', 'create', '--name', 'x', '--scopes', 'agent,payments:read', '--config', config])
    expect(mixed.code).toBe(1)
    expect(mixed.err).toContain('the agent scope stands alone')
  })

  it('makes publishable keys with allowed origins, sets IP allow-lists, and shows both', async () => {
    const config = await setup()
    await cli(['merchants', 'create', '--name', 'Shop', '--config', config])
    const pk = await cli(['keys', 'create', '--name', 'web', '--type', 'publishable', '--allowed-origins', 'https://shop.example, http://localhost:3000', '--json', '--config', config])
    expect(pk.code).toBe(0)
    const key = JSON.parse(pk.out) as { id: string, key: string }
    expect(key.key).toMatch(/^hpn_test_pk_[0-9A-Za-z]{40}$/)
    expect(JSON.parse(pk.out)).toMatchObject({ type: 'publishable', scopes: ['payments:read', 'payments:write'], allowed_origins: ['https://shop.example', 'http://localhost:3000'], allowed_ips: null })
    const updated = await cli(['keys', 'update', key.id, '--allowed-ips', '203.0.113.9/24,2001:db8::/32', '--json', '--config', config])
    expect(JSON.parse(updated.out)).toMatchObject({ allowed_ips: ['203.0.113.0/24', '2001:db8::/32'], allowed_origins: ['https://shop.example', 'http://localhost:3000'] })
    const list = (await cli(['keys', 'list', '--config', config])).out
    expect(list).toMatch(/publishable .*https:\/\/shop\.example,http:\/\/localhost:3000\s+203\.0\.113\.0\/24,2001:db8::\/32/)
    expect((await cli(['keys', 'update', key.id, '--allowed-ips', 'any', '--allowed-origins', 'none', '--config', config])).out).toMatch(/accepted from any address; browser origins none/)
    // What a key of its type cannot have is refused, naming the setting.
    const secret = await cli(['keys', 'create', '--name', 'srv', '--allowed-origins', 'https://shop.example', '--config', config])
    expect(secret.code).toBe(1)
    expect(secret.err).toContain('allowed_origins is for publishable keys only')
    expect((await cli(['keys', 'create', '--name', 'srv', '--allowed-ips', '10.0.0.0/33', '--config', config])).err).toContain('"10.0.0.0/33"')
    expect((await cli(['keys', 'create', '--name', 'x', '--type', 'public', '--config', config])).code).toBe(2)
    expect((await cli(['keys', 'update', key.id, '--config', config])).code).toBe(2)
  })

  it('says so when keys create made the default merchant', async () => {
    const res = await cli(['keys', 'create', '--name', 'first', '--config', await setup()])
    expect(res.code).toBe(0)
    expect(res.out).toMatch(/^Empty database: created the "default" merchant/)
  })

  it('explains mistakes with exit code 2', async () => {
    const config = await setup()
    await cli(['merchants', 'create', '--name', 'Shop', '--config', config])
    expect((await cli(['keys', 'create', '--config', config])).err).toContain('--name')
    expect((await cli(['keys', 'create', '--name', 'x', '--scopes', 'payments:rule', '--config', config])).err).toContain('unknown scope')
    expect((await cli(['keys', 'roll', '--config', config])).err).toContain('needs a key id')
    expect((await cli(['keys', 'roll', 'key_x', '--expires-in', '1.5', '--config', config])).err).toContain('--expires-in must be whole seconds from 0 to 2592000')
    expect((await cli(['keys', 'roll', 'key_x', '--expires-in', '', '--config', config])).code).toBe(2)
    expect((await cli(['keys', 'roll', 'key_x', '--config', config])).err).toContain('no key key_x')
    expect((await cli(['frobnicate', '--config', config])).code).toBe(2)
    expect((await cli(['keys', 'list', '--bogus'])).code).toBe(2)
  })

  it('refuses to start an agent that would send its key in clear over the internet, or has no agent section (exit 78)', async () => {
    const key = `hpn_test_sk_${'k'.repeat(40)}`
    const plain = await cli(['agent', '--config', await setup({ agent: { id: 'kumasi', central_url: 'http://8.8.8.8:8080', key } })])
    expect(plain.code).toBe(78)
    expect(plain.err).toMatch(/agent.central_url: plain http:\/\/ is allowed only to a loopback or private address.*use https:\/\//)
    const none = await cli(['agent', '--config', await setup()])
    expect(none.code).toBe(78)
    expect(none.err).toContain('agent: is required for harpoon agent')
    expect((await cli(['agent', 'status', '--config', await setup()])).err).toContain('has no agent section')
  })

  it('stops with exit code 78 and the key name on a bad config', async () => {
    const dir = tempDir()
    cleanups.push(dir.cleanup)
    const config = join(dir.path, 'bad.json')
    writeFileSync(config, JSON.stringify({ api: { port: 70000 } }))
    const res = await cli(['start', '--config', config])
    expect(res.code).toBe(78)
    expect(res.err).toContain('api.port')
  })
})
