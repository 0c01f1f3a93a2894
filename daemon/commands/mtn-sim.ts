import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { Value } from '@sinclair/typebox/value'
import pino from 'pino'
import { HarpoonError } from '../../core/errors.js'
import type { MtnProductCredentials } from '../../channels/mtn-momo/client.js'
import { generateMtnCredentials, startMtnSimulator } from '../../channels/mtn-momo/simulator.js'
import { SimSettingsPatchSchema, type SimSettingsPatch } from '../../channels/mtn-momo/sim/settings.js'
import { isUuidV4, MTN_ENVIRONMENT_CURRENCIES, MTN_PRODUCTS, type MtnProduct } from '../../channels/mtn-momo/wire.js'
import { createLogger } from '../logger.js'
import { CliError } from './cli-error.js'
import { printLine, type CommandIo } from './io.js'

export const MTN_SIM_USAGE = `usage: harpoon mtn-sim [options]   a local MTN MoMo Open API (Collection + Disbursement)

  --port N                  listen port (default 8090; 0 = any free port)
  --host H                  listen address (default 127.0.0.1)
  --environment E           X-Target-Environment served: sandbox (EUR) or ${Object.keys(MTN_ENVIRONMENT_CURRENCIES).filter((e) => e !== 'sandbox').join(', ')}
  --currency C              currency for an environment not in that list
  --credentials PATH        keep the API users in PATH (created on first run) so configs survive restarts
  --callback-host H         providerCallbackHost of the ready-made API users (default 127.0.0.1)
  --callback-method M       PUT (default) or POST
  --drop-callbacks          never send callbacks (as MTN's sandbox often does)
  --decision-delay MS       how long test numbers take to approve or fail (default 3000)
  --default-outcome O       approve (default: any other number succeeds) or wait (you approve/reject)
  --strict                  production quirks: body on /token 400, empty notes 500, numeric amount 400
  --settings JSON           any other setting, e.g. '{"callback":{"copies":2},"statusRateLimit":10}'
  --log-level L             info (default), debug, warn, silent
  --json                    print the start-up facts as one JSON line

Control API at /_sim (approve/reject requests, faults, numbers, clock, log): channels/mtn-momo/README.md`

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  environment: { type: 'string' },
  currency: { type: 'string' },
  credentials: { type: 'string' },
  'callback-host': { type: 'string' },
  'callback-method': { type: 'string' },
  'drop-callbacks': { type: 'boolean', default: false },
  'decision-delay': { type: 'string' },
  'default-outcome': { type: 'string' },
  strict: { type: 'boolean', default: false },
  settings: { type: 'string' },
  'log-level': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false }
} as const

function integer (value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new CliError(`--${flag} must be a whole number from ${min} to ${max}`)
  return Number(value)
}

function settingsFrom (values: { settings?: string | undefined, 'callback-method'?: string | undefined, 'drop-callbacks': boolean, 'decision-delay'?: string | undefined, 'default-outcome'?: string | undefined, strict: boolean }): SimSettingsPatch {
  let patch: Record<string, unknown> = {}
  if (values.settings !== undefined) {
    try { patch = JSON.parse(values.settings) as Record<string, unknown> } catch { throw new CliError('--settings must be a JSON object') }
  }
  const method = values['callback-method']?.toUpperCase()
  if (method !== undefined && method !== 'PUT' && method !== 'POST') throw new CliError('--callback-method must be PUT or POST')
  const outcome = values['default-outcome']
  if (outcome !== undefined && outcome !== 'approve' && outcome !== 'wait') throw new CliError('--default-outcome must be approve or wait')
  const callback = { ...(patch['callback'] as Record<string, unknown> | undefined), ...(method === undefined ? {} : { method }), ...(values['drop-callbacks'] ? { deliver: false } : {}) }
  const delay = integer(values['decision-delay'], 'decision-delay', 0, 86_400_000)
  patch = {
    ...patch,
    ...(Object.keys(callback).length > 0 ? { callback } : {}),
    ...(delay === undefined ? {} : { decisionDelayMs: delay }),
    ...(outcome === undefined ? {} : { defaultOutcome: outcome }),
    ...(values.strict ? { strict: true } : {})
  }
  const problems = [...Value.Errors(SimSettingsPatchSchema, patch)].map((e) => `${e.path === '' ? '(settings)' : e.path} ${e.message}`)
  if (problems.length > 0) throw new CliError(`bad simulator settings: ${problems.join('; ')}`)
  return patch as SimSettingsPatch
}

/** Reads the kept API users, or makes and keeps new ones. */
function credentialsFrom (path: string | undefined): Record<MtnProduct, MtnProductCredentials> | undefined {
  if (path === undefined) return undefined
  if (existsSync(path)) {
    let raw: unknown
    try { raw = JSON.parse(readFileSync(path, 'utf8')) } catch (err) { throw new CliError(`cannot read --credentials ${path}: ${(err as Error).message}`) }
    const out = {} as Record<MtnProduct, MtnProductCredentials>
    for (const product of MTN_PRODUCTS) {
      const c = (raw as Record<string, Record<string, unknown> | undefined>)[product]
      if (typeof c?.['subscription_key'] !== 'string' || typeof c['api_key'] !== 'string' || typeof c['api_user'] !== 'string' || !isUuidV4(c['api_user'])) {
        throw new CliError(`--credentials ${path}: ${product} needs subscription_key, api_user (a UUIDv4) and api_key`)
      }
      out[product] = { subscription_key: c['subscription_key'], api_user: c['api_user'], api_key: c['api_key'] }
    }
    return out
  }
  const made = { collection: generateMtnCredentials(), disbursement: generateMtnCredentials() }
  writeFileSync(path, `${JSON.stringify(made, null, 2)}\n`, { mode: 0o600 })
  return made
}

/**
 * `harpoon mtn-sim`: runs the MTN simulator in the foreground until SIGTERM/SIGINT. It needs no
 * Harpoon config; it prints the URL and ready-made credentials to paste into a channel's config.
 */
export async function mtnSimCommand (argv: readonly string[], io: CommandIo): Promise<number> {
  let values
  try {
    values = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true }).values
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n${MTN_SIM_USAGE}`)
  }
  if (values.help) { printLine(io.stdout, MTN_SIM_USAGE); return 0 }
  const environment = values.environment ?? 'sandbox'
  if (!/^[a-z]{3,40}$/.test(environment)) throw new CliError('--environment must be a word such as sandbox or mtnghana')
  if (values.currency !== undefined && !/^[A-Z]{3}$/.test(values.currency)) throw new CliError('--currency must be an ISO 4217 code such as GHS')
  if (values.currency === undefined && MTN_ENVIRONMENT_CURRENCIES[environment] === undefined) throw new CliError(`unknown environment ${environment}: add --currency, or use one of ${Object.keys(MTN_ENVIRONMENT_CURRENCIES).join(', ')}`)
  const level = values['log-level'] ?? 'info'
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) throw new CliError('--log-level must be one of info, debug, warn, error, silent')
  const settings = settingsFrom(values)
  const logger = createLogger(level, pino.destination({ dest: 1, sync: true }))
  const sim = await startMtnSimulator({
    port: integer(values.port, 'port', 0, 65535) ?? 8090,
    host: values.host ?? '127.0.0.1',
    environment,
    ...(values.currency === undefined ? {} : { currency: values.currency }),
    ...(values['callback-host'] === undefined ? {} : { callbackHost: values['callback-host'] }),
    credentials: credentialsFrom(values.credentials),
    settings,
    logger: logger.child({ component: 'mtn-sim' })
  }).catch((err: unknown) => {
    const code = (err as { code?: string }).code
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new HarpoonError('mtn_sim_listen', `cannot listen on ${values.host ?? '127.0.0.1'}:${values.port ?? 8090}: ${code}`)
    throw err
  })
  const channel = { base_url: sim.url, target_environment: sim.environment, currency: sim.currency, ...sim.credentials }
  // A whole `channels` entry, test mode, calling back to a daemon on its default address.
  const entry = { id: 'mtn-sim', type: 'mtn_momo', mode: 'test', ...channel, callback_url: 'http://127.0.0.1:8080/v1/channels/mtn-sim/callback' }
  if (values.json) {
    printLine(io.stdout, JSON.stringify({ url: sim.url, control_url: `${sim.url}/_sim`, ...channel, channel: entry }))
  } else {
    printLine(io.stdout, [
      `MTN MoMo simulator (${sim.environment}, ${sim.currency}) listening on ${sim.url}`,
      `control API: ${sim.url}/_sim   (approve: POST ${sim.url}/_sim/requests/<referenceId>/approve, or harpoon simulate --channel mtn-sim --approve)`,
      'a channel for "channels" in harpoon.json (these are the simulator\'s own credentials; set callback_url to your daemon\'s address, or null to poll):',
      JSON.stringify(entry, null, 2)
    ].join('\n'))
  }
  return await new Promise<number>((resolve) => {
    let stopping = false
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) { process.exit(130) }
      stopping = true
      logger.info({ signal }, 'signal received: stopping the MTN simulator')
      sim.close().then(() => { logger.flush(); resolve(0) }, (err: unknown) => { logger.error({ err }, 'error while stopping'); resolve(1) })
    }
    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
  })
}
