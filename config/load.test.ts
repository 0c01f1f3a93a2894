import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../test/helpers/temp-dir.js'
import { ConfigError, loadConfig, resolveConfigPath, validateConfig } from './load.js'
import example from './harpoon.example.json' with { type: 'json' }

const cleanups: Array<() => void> = []
afterEach(() => { while (cleanups.length > 0) cleanups.pop()?.() })

function file (content: string): string {
  const dir = tempDir()
  cleanups.push(dir.cleanup)
  const path = join(dir.path, 'harpoon.json')
  writeFileSync(path, content)
  return path
}

describe('configuration', () => {
  it('starts from built-in defaults with virtual modems when nothing is configured', () => {
    const c = validateConfig({}, 'defaults')
    expect(c.api).toEqual({ host: '127.0.0.1', port: 8080, rate_limit: { max: 100, window_ms: 1000 }, trust_proxy: false, public_url: null, access_log: { reads: false, slow_ms: 500 } })
    expect(c.database.path).toBe('./data/harpoon.db')
    expect(c.webhooks.retry_schedule).toEqual([300, 900, 3600, 14400, 28800, 43200, 86400, 86400])
    expect(c.virtualModems).toBe(true)
    expect(c.maxAmountMinor).toBe(10_000_000)
    expect(Object.isFrozen(c.api)).toBe(true)
  })

  it('accepts the shipped example, which covers every key', () => {
    const c = validateConfig(example, 'example')
    expect(c.modems).toHaveLength(2)
    expect(c.virtualModems).toBe(false)
    const defaults = validateConfig({}, 'd')
    const keys = (o: object, prefix = ''): string[] => Object.entries(o).flatMap(([k, v]) =>
      v !== null && typeof v === 'object' && !Array.isArray(v) ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`])
    const exampleKeys = new Set(keys(example))
    for (const k of keys(defaults).filter((k) => !['source', 'maxAmountMinor', 'virtualModems'].includes(k))) expect(exampleKeys).toContain(k)
  })

  it('names every unknown key and bad value in one error', () => {
    let error: ConfigError | undefined
    try {
      validateConfig({ api: { prot: 1, port: 'x' }, webhooks: { retry_schedul: [1] }, modems: [{ id: 'm' }], log_level: 'loud' }, 'cfg.json')
    } catch (e) { error = e as ConfigError }
    expect(error).toBeInstanceOf(ConfigError)
    const fields = error?.details.map((d) => d.field)
    expect(fields).toEqual(expect.arrayContaining(['api.prot', 'api.port', 'webhooks.retry_schedul', 'modems[0].port', 'log_level']))
    expect(error?.message).toContain('cfg.json')
    expect(error?.message).toContain('webhooks.retry_schedul: is not a known key')
  })

  it('refuses two modems on one port or with one id', () => {
    expect(() => validateConfig({ modems: [{ id: 'a', port: '/dev/x' }, { id: 'a', port: '/dev/x' }] }, 'c')).toThrow(/modems\[1\]\.id.*\n.*modems\[1\]\.port/s)
  })

  it('refuses a configured (live) modem on a virtual modem\'s port', () => {
    expect(() => validateConfig({ modems: [{ id: 'a', port: 'virtual:mtn' }] }, 'c')).toThrow(/modems\[0\]\.port: virtual:mtn is a virtual modem's port/)
  })

  it('normalises modem wallet numbers to 0XXXXXXXXX', () => {
    const c = validateConfig({ modems: [{ id: 'a', port: '/dev/x', msisdn: '+233244000000' }] }, 'c')
    expect(c.modems[0]?.msisdn).toBe('0244000000')
  })

  it('reports unreadable and non-JSON files clearly', () => {
    expect(() => loadConfig(file('{ "api": '))).toThrow(/not valid JSON/)
    expect(() => loadConfig('/nonexistent/harpoon.json')).toThrow(/cannot read config file \/nonexistent\/harpoon.json: ENOENT/)
    expect(() => loadConfig(file('[]'))).toThrow(/must be a JSON object/)
  })

  it('prefers --config, then HARPOON_CONFIG, then ./config/harpoon.json', () => {
    expect(resolveConfigPath('a.json', { HARPOON_CONFIG: 'b.json' })).toBe('a.json')
    expect(resolveConfigPath(undefined, { HARPOON_CONFIG: 'b.json' })).toBe('b.json')
    const path = file(JSON.stringify({ api: { port: 9999 } }))
    expect(loadConfig(undefined, { HARPOON_CONFIG: path }).api.port).toBe(9999)
  })

  it('chooses PostgreSQL by database.url or HARPOON_DATABASE_URL (which wins), and refuses other schemes without echoing the URL', () => {
    expect(validateConfig({}, 'd').database.url).toBeNull()
    const url = 'postgres://harpoon:s3cret@db.internal:5432/harpoon'
    expect(validateConfig({ database: { url } }, 'c').database.url).toBe(url)
    expect(validateConfig({ database: { url: 'postgresql:///harpoon?host=/run/postgresql' } }, 'c').database.url).toMatch(/^postgresql:/)
    const path = file(JSON.stringify({ database: { url: 'postgres://file@h/db' } }))
    expect(loadConfig(path, { HARPOON_DATABASE_URL: url }).database.url).toBe(url)
    expect(loadConfig(undefined, { HARPOON_DATABASE_URL: url }).database.url).toBe(url)
    let error: ConfigError | undefined
    try { validateConfig({ database: { url: 'mysql://root:hunter2@h/db' } }, 'c') } catch (e) { error = e as ConfigError }
    expect(error?.details).toEqual([{ field: 'database.url', message: 'must start with postgres:// or postgresql://' }])
    expect(error?.message).not.toContain('hunter2')
    expect(() => loadConfig(undefined, { HARPOON_DATABASE_URL: 'sqlite:///x.db' })).toThrow(/database\.url: must start with postgres:\/\/ or postgresql:\/\/ \(from HARPOON_DATABASE_URL\)/)
  })
})
