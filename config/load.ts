import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import { HarpoonError } from '../core/errors.js'
import { parseAmount } from '../core/money.js'
import { networkCountryNames, normaliseNetworkPhone } from '../core/networks.js'
import { VIRTUAL_PORT_PREFIX } from '../modem/virtual/binding.js'
import { checkFormats } from '../parsers/format-schema.js'
import { keyMode } from '../core/enums.js'
import { NUMBERING } from '../core/phone.js'
import { MTN_ENVIRONMENT_COUNTRIES, MTN_ENVIRONMENT_CURRENCIES } from '../channels/mtn-momo/wire.js'
import { checkCentralUrl } from '../agent/central-url.js'
import { CHANNEL_SCHEMAS, ConfigSchema, NETWORKS, type ChannelConfig, type ConfigFile, type IpayChannelConfig, type MtnChannelConfig } from './schema.js'

/** A channel entry as validated, with `currency` and `country` filled in from its environment. */
export type ChannelSettings =
  | (MtnChannelConfig & { readonly currency: string, readonly country: string | null })
  | (IpayChannelConfig & { readonly country: 'KE' })

/** The id of the embedded simulator's channel (test mode, `channel: "mtn_momo"`). */
export const EMBEDDED_CHANNEL_ID = 'mtn_momo'
/** The id of the embedded iPay simulator's channel (test mode, `channel: "ipay"`), when no iPay channel is configured. */
export const EMBEDDED_IPAY_CHANNEL_ID = 'ipay'

export interface Config extends Omit<ConfigFile, 'channels' | 'agent'> {
  readonly channels: readonly ChannelSettings[]
  /** `embedded_simulator` resolved: true when not set and no channel is configured. */
  readonly embeddedSimulator: boolean
  /** The embedded iPay simulator runs: embedded simulators are on and no iPay channel is configured. */
  readonly embeddedIpay: boolean
  /** The `agent` section: set for `harpoon agent`, null otherwise. */
  readonly agent: NonNullable<ConfigFile['agent']> | null
  /** Where the configuration came from, for the start-up log ("defaults" when no file). */
  readonly source: string
  /** `payments.max_amount` in minor units. */
  readonly maxAmountMinor: number
  /** `virtual_modems` resolved: true when not set and no modem is configured. */
  readonly virtualModems: boolean
  /**
   * Where the key that seals secrets at rest comes from (daemon/secret-key.ts): HARPOON_SECRET_KEY
   * when set, else `file`, next to the config file (./config without one), made on first start.
   */
  readonly secretKey: { readonly fromEnv: string | null, readonly file: string }
}

export class ConfigError extends HarpoonError {
  constructor (message: string, details: ReadonlyArray<{ field: string, message: string }> = []) {
    super('config_invalid', message, details)
    this.name = 'ConfigError'
  }
}

export const DEFAULT_CONFIG_PATH = './config/harpoon.json'
/** Set, it is `database.url`, over whatever the file says (a secret kept out of the config file). */
export const DATABASE_URL_ENV = 'HARPOON_DATABASE_URL'
/** Set, it is `agent.key`, over whatever the file says (the same reason). */
export const AGENT_KEY_ENV = 'HARPOON_AGENT_KEY'
/** Set, it is the key that seals secrets at rest (64 hex digits or base64 of 32 bytes) instead of the key file. */
export const SECRET_KEY_ENV = 'HARPOON_SECRET_KEY'
/** The key file's name, in the config file's folder. */
export const SECRET_KEY_FILE = 'harpoon.key'

/**
 * Picks the configuration file: `--config`, else `HARPOON_CONFIG`, else ./config/harpoon.json when
 * present, else none (built-in defaults). This and `loadConfig` (HARPOON_DATABASE_URL,
 * HARPOON_AGENT_KEY, HARPOON_SECRET_KEY) are the only readers of the environment.
 */
export function resolveConfigPath (flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  if (flag !== undefined && flag !== '') return flag
  const fromEnv = env['HARPOON_CONFIG']
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  return existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : null
}

export function loadConfig (flag?: string, env: NodeJS.ProcessEnv = process.env): Config {
  const path = resolveConfigPath(flag, env)
  const databaseUrl = env[DATABASE_URL_ENV]
  const agentKey = env[AGENT_KEY_ENV]
  const secretKey = env[SECRET_KEY_ENV]
  const fromEnv = {
    ...(databaseUrl === undefined || databaseUrl === '' ? {} : { databaseUrl }),
    ...(agentKey === undefined || agentKey === '' ? {} : { agentKey }),
    ...(secretKey === undefined || secretKey === '' ? {} : { secretKey })
  }
  if (path === null) return validateConfig({}, 'defaults', fromEnv)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`)
  }
  return validateConfig(raw, resolve(path), fromEnv)
}

/** Keys whose values are credentials: an error names them but never shows what was there. */
const SECRET_KEYS = new Set(['subscription_key', 'api_key', 'api_user', 'pin', 'secret', 'key', 'password'])

function problemOf (path: string, message: string, value: unknown): { field: string, message: string } {
  const field = keyName(path) || '(root)'
  const last = field.split('.').pop()?.replace(/\[\d+\]$/, '') ?? ''
  const shown = SECRET_KEYS.has(last) ? '' : ` (got ${JSON.stringify(value)?.slice(0, 60)})`
  return {
    field,
    message: message === 'Unexpected property' ? 'is not a known key' : value === undefined ? 'is required' : `${message}${shown}`
  }
}

/** "/webhooks/retry_schedule/2" → "webhooks.retry_schedule[2]" */
function keyName (path: string): string {
  return path.split('/').filter((p) => p !== '').reduce((acc, part) => /^\d+$/.test(part) ? `${acc}[${part}]` : acc === '' ? part : `${acc}.${part}`, '')
}

const DATABASE_URL = /^postgres(?:ql)?:\/\//

/** Why `url` cannot name a PostgreSQL database, or null when it can. */
function databaseUrlProblem (url: string): string | null {
  if (!DATABASE_URL.test(url)) return 'must start with postgres:// or postgresql://'
  try {
    const parsed = new URL(url)
    if (parsed.hostname === '' && !parsed.searchParams.has('host')) return 'must name a host (postgres://user:pass@host:port/db)'
  } catch {
    return 'is not a valid URL (postgres://user:pass@host:port/db; percent-encode special characters in the password)'
  }
  return null
}

/**
 * Validates a parsed configuration object, fills defaults and returns it frozen. Every problem is
 * reported at once, each naming the key. `overrides.databaseUrl` (HARPOON_DATABASE_URL) replaces
 * `database.url`.
 */
export function validateConfig (raw: unknown, source: string, overrides: { databaseUrl?: string, agentKey?: string, secretKey?: string } = {}): Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`config ${source} must be a JSON object`)
  }
  const given = structuredClone(raw) as Record<string, unknown>
  if (overrides.agentKey !== undefined && isObject(given['agent'])) given['agent']['key'] = overrides.agentKey
  const withDefaults = Value.Default(ConfigSchema, given)
  const details: Array<{ field: string, message: string }> = []
  for (const e of Value.Errors(ConfigSchema, withDefaults)) {
    // TypeBox reports an unexpected key on the key's own path.
    const problem = problemOf(e.path, e.message, e.value)
    if (!details.some((d) => d.field === problem.field)) details.push(problem)
  }
  const file = withDefaults as ConfigFile
  const channels = details.length === 0 ? validateChannels(file, details) : []
  if (details.length === 0 && overrides.databaseUrl !== undefined) file.database.url = overrides.databaseUrl
  if (details.length === 0 && file.database.url !== null) {
    const problem = databaseUrlProblem(file.database.url)
    if (problem !== null) details.push({ field: 'database.url', message: overrides.databaseUrl === undefined ? problem : `${problem} (from ${DATABASE_URL_ENV})` })
  }
  if (details.length === 0) {
    const ids = new Set<string>()
    const ports = new Set<string>()
    file.modems.forEach((m, i) => {
      if (ids.has(m.id)) details.push({ field: `modems[${i}].id`, message: `duplicate modem id ${JSON.stringify(m.id)}` })
      if (ports.has(m.port)) details.push({ field: `modems[${i}].port`, message: `port ${m.port} is already used by another modem` })
      // A configured modem is live: on a virtual port, simulated SMS would pay live payments.
      if (m.port.startsWith(VIRTUAL_PORT_PREFIX)) details.push({ field: `modems[${i}].port`, message: `${m.port} is a virtual modem's port (test mode only); use "virtual_modems": true instead` })
      ids.add(m.id)
      ports.add(m.port)
      if (m.msisdn !== null) {
        const msisdn = normaliseNetworkPhone(m.msisdn, m.network)
        if (msisdn === null) details.push({ field: `modems[${i}].msisdn`, message: `must be a number of ${networkCountryNames(m.network)}` })
        m.msisdn = msisdn
      }
    })
    // `raw`, not `given`: filling defaults gave every modem a merchant.
    if (file.agent !== undefined) details.push(...agentProblems(file, raw as Record<string, unknown>))
    // Operator formats: a bad regex or a credit format without amount and transaction id stops
    // start-up here, not at the first SMS.
    for (const net of NETWORKS) {
      details.push(...checkFormats(net, file.networks[net].formats, `networks.${net}.formats`).problems)
    }
  }
  const maxAmountMinor = details.length === 0 ? parseAmount(file.payments.max_amount) : null
  if (details.length === 0 && (maxAmountMinor === null || maxAmountMinor <= 0)) {
    details.push({ field: 'payments.max_amount', message: 'must be a positive amount' })
  }
  if (details.length > 0) {
    const list = details.map((d) => `  - ${d.field}: ${d.message}`).join('\n')
    throw new ConfigError(`invalid configuration in ${source}:\n${list}`, details)
  }
  const config: Config = {
    ...file,
    channels,
    embeddedSimulator: file.embedded_simulator ?? channels.length === 0,
    embeddedIpay: (file.embedded_simulator ?? channels.length === 0) && !channels.some((c) => c.type === 'ipay'),
    agent: file.agent ?? null,
    source,
    maxAmountMinor: maxAmountMinor as number,
    virtualModems: file.virtual_modems ?? file.modems.length === 0,
    secretKey: {
      fromEnv: overrides.secretKey ?? null,
      file: join(dirname(resolve(source === 'defaults' ? DEFAULT_CONFIG_PATH : source)), SECRET_KEY_FILE)
    }
  }
  return deepFreeze(config)
}

/**
 * `channels`: each entry against its type's schema (so errors name `channels[0].collection.api_key`,
 * never its value), unique ids, currency and country from the MTN environment, and the MoMo proxy's
 * channel. Problems are added to `details`.
 */
function validateChannels (file: ConfigFile, details: Array<{ field: string, message: string }>): ChannelSettings[] {
  const out: ChannelSettings[] = []
  const ids = new Set<string>()
  const embedded = file.embedded_simulator ?? file.channels.length === 0
  file.channels.forEach((raw, i) => {
    const at = `channels[${i}]`
    const schema = CHANNEL_SCHEMAS[raw.type as keyof typeof CHANNEL_SCHEMAS] as typeof CHANNEL_SCHEMAS[keyof typeof CHANNEL_SCHEMAS] | undefined
    if (schema === undefined) {
      details.push({ field: `${at}.type`, message: `must be one of ${Object.keys(CHANNEL_SCHEMAS).join(', ')} (got ${JSON.stringify(raw.type)?.slice(0, 40)})` })
      return
    }
    const entry = Value.Default(schema, structuredClone(raw)) as ChannelConfig
    const before = details.length
    for (const e of Value.Errors(schema, entry)) {
      const problem = problemOf(`/channels/${i}${e.path}`, e.message, e.value)
      if (!details.some((d) => d.field === problem.field)) details.push(problem)
    }
    if (details.length > before) return
    if (ids.has(entry.id)) details.push({ field: `${at}.id`, message: `duplicate channel id ${JSON.stringify(entry.id)}` })
    if (entry.id === 'sms') details.push({ field: `${at}.id`, message: '"sms" names the SMS way to pay (no channel); choose another id' })
    if (embedded && entry.id === EMBEDDED_CHANNEL_ID) details.push({ field: `${at}.id`, message: `"${EMBEDDED_CHANNEL_ID}" is the embedded simulator's channel; choose another id or set "embedded_simulator": false` })
    if (embedded && entry.id === EMBEDDED_IPAY_CHANNEL_ID && entry.type !== 'ipay') details.push({ field: `${at}.id`, message: `"${EMBEDDED_IPAY_CHANNEL_ID}" is the embedded iPay simulator's channel; choose another id or set "embedded_simulator": false` })
    ids.add(entry.id)
    if (entry.type === 'ipay') {
      for (const key of ['base_url', 'ipn_url', 'callback_url'] as const) {
        if (!URL.canParse(entry[key])) details.push({ field: `${at}.${key}`, message: 'is not a valid URL' })
      }
      if (details.length === before) out.push({ ...entry, country: 'KE' })
      return
    }
    const envCurrency = MTN_ENVIRONMENT_CURRENCIES[entry.target_environment]
    const currency = entry.currency ?? envCurrency
    if (currency === undefined) details.push({ field: `${at}.currency`, message: `is required: ${entry.target_environment} is not an environment this release knows the currency of` })
    else if (envCurrency !== undefined && currency !== envCurrency) details.push({ field: `${at}.currency`, message: `must be ${envCurrency}, the only currency MTN takes in ${entry.target_environment}` })
    const envCountry = MTN_ENVIRONMENT_COUNTRIES[entry.target_environment]
    const country = entry.country === undefined ? envCountry : entry.country
    if (country === undefined) details.push({ field: `${at}.country`, message: `is required: the ISO country whose numbers ${entry.target_environment} serves (or null for any international number)` })
    else if (country !== null && NUMBERING[country] === undefined) details.push({ field: `${at}.country`, message: `must be one of ${Object.keys(NUMBERING).join(', ')} or null` })
    for (const key of ['base_url', 'callback_url'] as const) {
      const url = entry[key]
      if (url !== null && !URL.canParse(url)) details.push({ field: `${at}.${key}`, message: 'is not a valid URL' })
    }
    if (details.length === before) out.push({ ...entry, currency: currency as string, country: country ?? null })
  })
  const proxy = file.momo_proxy
  if (proxy.enabled) {
    if (proxy.channel === null) details.push({ field: 'momo_proxy.channel', message: 'is required when momo_proxy.enabled is true' })
    else if (!ids.has(proxy.channel) && !(embedded && proxy.channel === EMBEDDED_CHANNEL_ID)) {
      details.push({ field: 'momo_proxy.channel', message: `must name a configured channel (${[...ids, ...(embedded ? [EMBEDDED_CHANNEL_ID] : [])].join(', ') || 'none configured'})` })
    }
  }
  return out
}

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * The `agent` section against the rest: a URL the key may travel to, and a key whose mode fits the
 * modems (real modems are live; an agent without modems runs virtual ones, in test mode). An agent's
 * modems serve its key's merchant, so a modem naming one would be a promise the central breaks.
 */
function agentProblems (file: ConfigFile, given: Record<string, unknown>): Array<{ field: string, message: string }> {
  const agent = file.agent as NonNullable<ConfigFile['agent']>
  const problems: Array<{ field: string, message: string }> = []
  try {
    checkCentralUrl(agent.central_url)
  } catch (err) {
    problems.push({ field: 'agent.central_url', message: (err as Error).message })
  }
  const mode = keyMode(agent.key)
  const virtual = file.virtual_modems ?? file.modems.length === 0
  if (file.modems.length > 0 && mode === 'test') problems.push({ field: 'agent.key', message: 'is a test key, but real modems are configured (live): make a live one on the central (harpoon keys create --mode live --scopes agent)' })
  if (virtual && mode === 'live') problems.push({ field: 'agent.key', message: 'is a live key, but this agent runs virtual modems (test mode): give it a test key, or configure its real modems and "virtual_modems": false' })
  const modems = Array.isArray(given['modems']) ? given['modems'] : []
  modems.forEach((m, i) => {
    if (isObject(m) && 'merchant' in m) problems.push({ field: `modems[${i}].merchant`, message: 'is not used by an agent: its modems serve the merchant of agent.key (one agent key per merchant: harpoon keys create --merchant ID --scopes agent)' })
  })
  return problems
}

function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
