import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../test/helpers/temp-dir.js'
import { ConfigError, loadConfig, resolveConfigPath, validateConfig } from './load.js'
import example from './harpoon.example.json' with { type: 'json' }
import agentExample from './agent.example.json' with { type: 'json' }

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
    expect(c.modems).toHaveLength(3)
    // A Kenyan wallet number is read as one: the modem says it is on M-PESA.
    expect(c.modems[2]).toMatchObject({ network: 'mpesa', msisdn: '0700000001' })
    expect(c.virtualModems).toBe(false)
    const defaults = validateConfig({}, 'd')
    const keys = (o: object, prefix = ''): string[] => Object.entries(o).flatMap(([k, v]) =>
      v !== null && typeof v === 'object' && !Array.isArray(v) ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`])
    const exampleKeys = new Set(keys(example))
    for (const k of keys(defaults).filter((k) => !['source', 'maxAmountMinor', 'virtualModems', 'embeddedSimulator', 'embeddedIpay', 'agent'].includes(k) && !k.startsWith('secretKey.'))) expect(exampleKeys).toContain(k)
  })

  it('takes a modem\'s wallet number in its network\'s country, and says which when it is not', () => {
    const modem = { id: 'm-1', port: '/dev/ttyUSB9' }
    expect(validateConfig({ modems: [{ ...modem, network: 'mpesa', msisdn: '254712345678' }] }, 'c').modems[0]?.msisdn).toBe('0712345678')
    expect(validateConfig({ modems: [{ ...modem, msisdn: '+254712345678' }] }, 'c').modems[0]?.msisdn).toBe('0712345678')
    expect(() => validateConfig({ modems: [{ ...modem, network: 'mpesa', msisdn: '0244123456' }] }, 'c')).toThrow(/modems\[0\]\.msisdn: must be a number of Kenya/)
    expect(() => validateConfig({ modems: [{ ...modem, network: 'safaricom' }] }, 'c')).toThrow(/modems\[0\]\.network/)
  })

  it('validates channels per type, fills currency and country from the MTN environment, and never echoes a credential', () => {
    const channel = {
      id: 'mtn-ug', type: 'mtn_momo', base_url: 'https://proxy.momoapi.mtn.com', target_environment: 'mtnuganda',
      collection: { subscription_key: 'k'.repeat(32), api_user: '6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b', api_key: 'a'.repeat(32) }
    }
    const c = validateConfig({ channels: [channel] }, 'c')
    expect(c.channels[0]).toMatchObject({ id: 'mtn-ug', merchant: 'default', mode: 'live', currency: 'UGX', country: 'UG', callback_url: null })
    expect(c.embeddedSimulator).toBe(false)
    expect(validateConfig({}, 'c').embeddedSimulator).toBe(true)

    let error: ConfigError | undefined
    try {
      validateConfig({
        channels: [
          { ...channel, collection: { ...channel.collection, api_key: 12345678 } },
          { ...channel, id: 'x', currency: 'GHS' },
          { ...channel, id: 'x', target_environment: 'mtnmars' },
          { type: 'carrier_pigeon' }
        ],
        momo_proxy: { enabled: true, channel: 'nope' }
      }, 'c')
    } catch (e) { error = e as ConfigError }
    const problems = Object.fromEntries(error?.details.map((d) => [d.field, d.message]) ?? [])
    expect(problems['channels[0].collection.api_key']).toBe('Expected string')
    expect(error?.message).not.toContain('12345678')
    expect(problems['channels[1].currency']).toMatch(/must be UGX/)
    expect(problems['channels[2].id']).toMatch(/duplicate channel id/)
    expect(problems['channels[2].currency']).toMatch(/is required/)
    expect(problems['channels[3].type']).toMatch(/must be one of mtn_momo, ipay/)
    expect(problems['momo_proxy.channel']).toMatch(/must name a configured channel/)
  })

  it('validates an ipay channel: KES by default, Kenya\'s numbers, the embedded iPay only without one, the hash key never echoed', () => {
    const ipay = {
      id: 'ipay-ke', type: 'ipay', base_url: 'https://apis.ipayafrica.com/payments/v2', ipn_url: 'https://www.ipayafrica.com/ipn/',
      vendor_id: 'shop1', hash_key: 'sEcReT-hash-key', callback_url: 'https://pay.example.co.ke/v1/channels/ipay-ke/callback'
    }
    const c = validateConfig({ channels: [ipay] }, 'c')
    expect(c.channels[0]).toEqual({ ...ipay, merchant: 'default', mode: 'live', live: true, currency: 'KES', country: 'KE' })
    expect([c.embeddedSimulator, c.embeddedIpay]).toEqual([false, false])
    expect(validateConfig({}, 'c').embeddedIpay).toBe(true)
    let error: ConfigError | undefined
    try {
      validateConfig({
        channels: [
          { ...ipay, currency: 'GHS', hash_key: 42 },
          { ...ipay, id: 'b', vendor_id: 'a b', callback_url: `https://example.com/${'x'.repeat(100)}` },
          { ...ipay, id: 'c', ipn_url: undefined }
        ]
      }, 'c')
    } catch (e) { error = e as ConfigError }
    const problems = Object.fromEntries(error?.details.map((d) => [d.field, d.message]) ?? [])
    expect(Object.keys(problems).sort()).toEqual(['channels[0].currency', 'channels[0].hash_key', 'channels[1].callback_url', 'channels[1].vendor_id', 'channels[2].ipn_url'])
    expect(error?.message).not.toContain('sEcReT')
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

  describe('for harpoon agent', () => {
    const key = (mode: string): string => `hpn_${mode}_sk_${'a'.repeat(40)}`
    const agent = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ agent: { id: 'kumasi', central_url: 'https://central.example.com', key: key('test'), ...over } })
    const problems = (raw: Record<string, unknown>, overrides = {}): string[] => {
      try {
        validateConfig(raw, 'agent.json', overrides)
        return []
      } catch (err) {
        return ((err as ConfigError).details ?? []).map((d) => `${d.field}: ${d.message}`)
      }
    }

    it('takes the shipped agent example with a real key, and fills the agent defaults', () => {
      const c = validateConfig({ ...agentExample, agent: { ...agentExample.agent, key: key('live') } }, 'example')
      expect(c.agent).toMatchObject({ id: 'kumasi', store_path: '/var/lib/harpoon-agent/agent.db', heartbeat_ms: 15_000, retry_max_ms: 60_000 })
      expect(validateConfig(agent(), 'a').agent?.store_path).toBe('./data/harpoon-agent.db')
      expect(validateConfig({}, 'd').agent).toBeNull()
      expect(validateConfig({}, 'd').central.agent_offline_after_ms).toBe(60_000)
    })

    it('lets plain http go only to a loopback or private address', () => {
      expect(problems(agent({ central_url: 'http://127.0.0.1:8080' }))).toEqual([])
      expect(problems(agent({ central_url: 'http://10.1.2.3:8080/harpoon/' }))).toEqual([])
      expect(problems(agent({ central_url: 'http://central.lan:8080' }))).toEqual([])
      expect(problems(agent({ central_url: 'http://8.8.8.8' })).join()).toMatch(/^agent.central_url: plain http:\/\/ is allowed only to a loopback or private address .*use https:\/\//)
      expect(problems(agent({ central_url: 'http://[2606:4700::1111]:80' }))).toHaveLength(1)
      expect(problems(agent({ central_url: 'http://169.254.169.254' }))).toHaveLength(1)
      expect(problems(agent({ central_url: 'ftp://x' })).join()).toContain('must be an https:// URL')
      expect(problems(agent({ central_url: 'https://user:pw@central.example.com' })).join()).toContain('must not hold credentials')
    })

    it('wants a key of the mode of its modems, and no merchant on them', () => {
      const modems = [{ id: 'mtn-1', port: '/dev/ttyUSB0', merchant: 'shop' }]
      expect(problems({ ...agent(), modems }).sort()).toEqual([
        'agent.key: is a test key, but real modems are configured (live): make a live one on the central (harpoon keys create --mode live --scopes agent)',
        'modems[0].merchant: is not used by an agent: its modems serve the merchant of agent.key (one agent key per merchant: harpoon keys create --merchant ID --scopes agent)'
      ])
      expect(problems(agent({ key: key('live') })).join()).toContain('is a live key, but this agent runs virtual modems')
      expect(problems(agent({ key: 'sk_nonsense' })).join()).toContain('agent.key')
      expect(problems(agent({ id: 'kumasi/1' })).join()).toContain('agent.id')
    })

    it('takes the key from HARPOON_AGENT_KEY over the file', () => {
      const { agent: a } = agent()
      const withoutKey = { agent: { ...(a as object), key: undefined } }
      expect(problems(withoutKey).join()).toContain('agent.key')
      expect(validateConfig(withoutKey, 'a', { agentKey: key('test') }).agent?.key).toBe(key('test'))
    })
  })
})
