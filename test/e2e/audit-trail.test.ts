import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../config/load.js'
import { runCli } from '../../daemon/cli.js'
import { startDaemon } from '../../daemon/daemon.js'
import { openLedger } from '../../ledger/open.js'
import { sql, testExecutor } from '../../ledger/testing.js'
import { captureIo } from '../helpers/capture-io.js'
import { testDatabase } from '../helpers/ledger.js'
import { tempDir } from '../helpers/temp-dir.js'
import { testSecretKey } from '../secret-key.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

interface Listed { success: boolean, data: Array<Record<string, any>>, has_more: boolean, next_cursor: string | null }

/**
 * Issue 16's audit trail through the front door: API calls and CLI actions recorded with who, from
 * where, before and after; `GET /v1/audit`; and `harpoon audit verify` naming the exact record a
 * test edits or deletes in the database.
 */
describe('audit trail', () => {
  async function setup (): Promise<{ config: string, cli: (...args: string[]) => Promise<{ code: number, out: string }> }> {
    const dir = tempDir()
    cleanups.push(dir.cleanup)
    const config = join(dir.path, 'harpoon.json')
    writeFileSync(config, JSON.stringify({ database: await testDatabase(dir.path), log_level: 'silent', api: { port: 0 }, webhooks: { allow_private_targets: true } }))
    const cli = async (...args: string[]): Promise<{ code: number, out: string }> => {
      const { io, out } = captureIo()
      const code = await runCli([...args, '--config', config], io)
      return { code, out: out() }
    }
    return { config, cli }
  }

  it('records API calls and CLI actions, serves them on GET /v1/audit, and verify names an edited or deleted record', { timeout: 60_000 }, async () => {
    const { config, cli } = await setup()
    const made = await cli('keys', 'create', '--name', 'ops', '--mode', 'test', '--scopes', 'payments:read,payments:write,webhooks:manage,keys:manage,operator', '--json')
    expect(made.code).toBe(0)
    const ops = JSON.parse(made.out) as { id: string, key: string }

    const daemon = await startDaemon(loadConfig(config), { logger: pino({ level: 'silent' }), print: () => {} })
    cleanups.push(async () => { await daemon.stop() })
    const call = async (method: string, path: string, body?: unknown): Promise<{ status: number, json: any }> => {
      const res = await fetch(`${daemon.url}${path}`, {
        method, headers: { authorization: `Bearer ${ops.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body)
      })
      return { status: res.status, json: await res.json() }
    }
    const created = await call('POST', '/v1/payments/initialize', { amount: '25.00', client_reference: 'order-1' })
    expect(created.status).toBe(201)
    const reference = created.json.data.reference as string
    expect((await call('POST', `/v1/payments/${created.json.data.hpn_code as string}/cancel`)).status).toBe(200)
    // A refused change is no change: nothing recorded.
    expect((await call('POST', `/v1/payments/${reference}/cancel`)).status).toBe(409)
    const hook = await call('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook' })
    expect(hook.status).toBe(201)
    expect((await call('POST', `/v1/webhooks/${hook.json.data.id as string}/rotate-secret`, { expires_in: 0 })).status).toBe(200)
    const extra = await call('POST', '/v1/keys', { name: 'reader', scopes: ['payments:read'] })
    expect(extra.status).toBe(201)
    expect((await call('DELETE', `/v1/keys/${extra.json.data.id as string}`)).status).toBe(200)

    const trail = (await call('GET', '/v1/audit')).json as Listed
    expect(trail.data.map((r) => r.action)).toEqual(['key.revoke', 'key.create', 'webhook.rotate_secret', 'webhook.create', 'payment.cancel', 'payment.initialize', 'key.create'])
    const cancel = trail.data.find((r) => r.action === 'payment.cancel') as Record<string, any>
    expect(cancel).toMatchObject({
      actor: { type: 'key', id: ops.id, address: '127.0.0.1' }, merchant: 'default', mode: 'test',
      target: { type: 'payment', id: reference }, before: { status: 'PENDING' }, after: { status: 'CANCELLED' }
    })
    const cliCreate = trail.data.at(-1) as Record<string, any>
    expect(cliCreate).toMatchObject({ actor: { type: 'cli', address: null }, target: { type: 'key', id: ops.id }, before: null })
    // No secret in the trail: the new key's and the endpoint's secrets are redacted.
    const text = JSON.stringify(trail)
    expect(text).not.toContain(extra.json.data.key as string)
    expect(text).not.toContain(hook.json.data.secret as string)
    expect(text).toContain('[redacted]')
    // Filters: by target, by key, by time; and pages.
    expect(((await call('GET', `/v1/audit?target=${reference}`)).json as Listed).data.map((r) => r.action)).toEqual(['payment.cancel', 'payment.initialize'])
    expect(((await call('GET', `/v1/audit?target_type=key&key=${ops.id}`)).json as Listed).data.map((r) => r.action)).toEqual(['key.revoke', 'key.create'])
    expect(((await call('GET', '/v1/audit?from=2000-01-01&to=2000-01-02')).json as Listed).data).toEqual([])
    const first = (await call('GET', '/v1/audit?limit=4')).json as Listed
    const second = (await call('GET', `/v1/audit?limit=4&cursor=${first.next_cursor as string}`)).json as Listed
    expect([...first.data, ...second.data].map((r) => r.seq)).toEqual([7, 6, 5, 4, 3, 2, 1])
    expect((await call('GET', '/v1/audit?from=2026-02-30')).status).toBe(422)
    await daemon.stop()

    expect(await cli('audit', 'verify')).toEqual({ code: 0, out: expect.stringMatching(/^Audit trail intact: 7 records, head [0-9a-f]{64}\.\n$/) })

    // An operator edits record 5 directly in the database: verify names it and fails.
    const ledger = await openLedger(loadConfig(config).database, { secretKey: testSecretKey() })
    cleanups.push(async () => { await ledger.close() })
    const rows = testExecutor(ledger)
    await rows.run(sql`UPDATE audit_trail SET after_state = ${'{"status":"SUCCESS"}'} WHERE seq = 5`)
    const edited = await cli('audit', 'verify', '--json')
    expect(edited.code).toBe(1)
    expect(JSON.parse(edited.out)).toMatchObject({ ok: false, broken_at: 5, records_intact: 4 })
    expect((await cli('audit', 'verify')).out).toMatch(/^Audit trail BROKEN at record 5: /)

    // Deleting record 3 instead: verify names the gap first.
    await rows.run(sql`DELETE FROM audit_trail WHERE seq = 3`)
    const deleted = await cli('audit', 'verify', '--json')
    expect(deleted.code).toBe(1)
    expect(JSON.parse(deleted.out)).toMatchObject({ ok: false, broken_at: 3, reason: expect.stringMatching(/missing/) })
  })

  it('records keys update, roll and revoke and merchants create from the CLI, as the OS user', async () => {
    const { config, cli } = await setup()
    const k = JSON.parse((await cli('keys', 'create', '--name', 'a', '--json')).out) as { id: string }
    expect((await cli('keys', 'update', k.id, '--allowed-ips', '10.0.0.0/8')).code).toBe(0)
    const rolled = JSON.parse((await cli('keys', 'roll', k.id, '--expires-in', '0', '--json')).out) as { id: string }
    expect((await cli('keys', 'revoke', rolled.id)).code).toBe(0)
    expect((await cli('merchants', 'create', '--name', 'Ama Kitchen', '--id', 'ama')).code).toBe(0)
    const ledger = await openLedger(loadConfig(config).database, { secretKey: testSecretKey() })
    cleanups.push(async () => { await ledger.close() })
    const records = (await ledger.auditTrail.list({ merchantId: 'default', mode: 'test', limit: 10 })).items
    expect(records.map((r) => [r.action, r.targetId])).toEqual([
      ['merchant.create', 'ama'], ['key.revoke', rolled.id], ['key.roll', k.id], ['key.update_access', k.id], ['key.create', k.id]
    ])
    expect(new Set(records.map((r) => `${r.actorType}:${r.actorId}`)).size).toBe(1)
    expect(records.every((r) => r.actorType === 'cli' && r.address === null)).toBe(true)
    const update = records[3]
    expect(JSON.parse(update?.beforeState ?? 'null')).toMatchObject({ allowed_ips: null })
    expect(JSON.parse(update?.afterState ?? 'null')).toMatchObject({ allowed_ips: ['10.0.0.0/8'] })
    expect(await ledger.auditTrail.verify()).toMatchObject({ ok: true, records: 5 })
  })
})

describe('secrets at rest at start-up', () => {
  it('makes an owner-only key file next to the config on first start, and refuses another key with a clear error', { timeout: 60_000 }, async () => {
    const dir = tempDir()
    cleanups.push(dir.cleanup)
    const config = join(dir.path, 'harpoon.json')
    const database = await testDatabase(dir.path)
    writeFileSync(config, JSON.stringify({ database, log_level: 'silent', api: { port: 0 } }))
    const lines: string[] = []
    const logger = pino({ level: 'info' }, { write: (line: string) => { lines.push(line) } })
    // No HARPOON_SECRET_KEY: the key file is made next to the config.
    const daemon = await startDaemon(loadConfig(config, {}), { logger, print: () => {} })
    await daemon.stop()
    const keyFile = join(dir.path, 'harpoon.key')
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    const key = readFileSync(keyFile, 'utf8').trim()
    expect(lines.some((l) => l.includes('made a new secret key') && l.includes(keyFile))).toBe(true)
    expect(lines.join('\n')).not.toContain(key)
    // Started again with another key: refused before anything else runs, naming what to do.
    await expect(startDaemon(loadConfig(config, { HARPOON_SECRET_KEY: 'ab'.repeat(32) }), { logger, print: () => {} }))
      .rejects.toMatchObject({ code: 'secret_key_wrong', message: expect.stringMatching(/HARPOON_SECRET_KEY or the key file/) })
    // And with its own key file again: starts.
    const again = await startDaemon(loadConfig(config, {}), { logger, print: () => {} })
    await again.stop()
  })
})
