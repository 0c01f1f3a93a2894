import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import { HarpoonError } from '../core/errors.js'
import { parseAmount } from '../core/money.js'
import { normaliseGhanaPhone } from '../core/phone.js'
import { VIRTUAL_PORT_PREFIX } from '../modem/virtual/binding.js'
import { checkFormats } from '../parsers/format-schema.js'
import { checkCentralUrl } from '../agent/central-url.js'
import { ConfigSchema, NETWORKS, type ConfigFile } from './schema.js'

export interface Config extends Omit<ConfigFile, 'agent'> {
  /** The `agent` section: set for `harpoon agent`, null otherwise. */
  readonly agent: NonNullable<ConfigFile['agent']> | null
  /** Where the configuration came from, for the start-up log ("defaults" when no file). */
  readonly source: string
  /** `payments.max_amount` in minor units. */
  readonly maxAmountMinor: number
  /** `virtual_modems` resolved: true when not set and no modem is configured. */
  readonly virtualModems: boolean
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

/**
 * Picks the configuration file: `--config`, else `HARPOON_CONFIG`, else ./config/harpoon.json when
 * present, else none (built-in defaults). This and `loadConfig` (HARPOON_DATABASE_URL,
 * HARPOON_AGENT_KEY) are the only readers of the environment.
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
  const fromEnv = {
    ...(databaseUrl === undefined || databaseUrl === '' ? {} : { databaseUrl }),
    ...(agentKey === undefined || agentKey === '' ? {} : { agentKey })
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
export function validateConfig (raw: unknown, source: string, overrides: { databaseUrl?: string, agentKey?: string } = {}): Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`config ${source} must be a JSON object`)
  }
  const given = structuredClone(raw) as Record<string, unknown>
  if (overrides.agentKey !== undefined && isObject(given['agent'])) given['agent']['key'] = overrides.agentKey
  const withDefaults = Value.Default(ConfigSchema, given)
  const details: Array<{ field: string, message: string }> = []
  for (const e of Value.Errors(ConfigSchema, withDefaults)) {
    // TypeBox reports an unexpected key on the key's own path.
    const field = keyName(e.path) || '(root)'
    const message = e.message === 'Unexpected property'
      ? 'is not a known key'
      : e.value === undefined ? 'is required' : `${e.message} (got ${JSON.stringify(e.value)?.slice(0, 60)})`
    if (!details.some((d) => d.field === field)) details.push({ field, message })
  }
  const file = withDefaults as ConfigFile
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
      if (m.msisdn !== null) m.msisdn = normaliseGhanaPhone(m.msisdn)
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
    agent: file.agent ?? null,
    source,
    maxAmountMinor: maxAmountMinor as number,
    virtualModems: file.virtual_modems ?? file.modems.length === 0
  }
  return deepFreeze(config)
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
  const keyMode = agent.key.startsWith('hpn_live_') ? 'live' : 'test'
  const virtual = file.virtual_modems ?? file.modems.length === 0
  if (file.modems.length > 0 && keyMode === 'test') problems.push({ field: 'agent.key', message: 'is a test key, but real modems are configured (live): make a live one on the central (harpoon keys create --mode live --scopes agent)' })
  if (virtual && keyMode === 'live') problems.push({ field: 'agent.key', message: 'is a live key, but this agent runs virtual modems (test mode): give it a test key, or configure its real modems and "virtual_modems": false' })
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
