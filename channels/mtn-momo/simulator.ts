import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyBaseLogger } from 'fastify'
import type { Logger } from 'pino'
import { HarpoonError } from '../../core/errors.js'
import { parseAmount } from '../../core/money.js'
import { randomHex } from '../../core/ids.js'
import type { MtnClientConfig, MtnProductCredentials } from './client.js'
import type { PartyBehaviour } from './sim/behaviour.js'
import { SimClock } from './sim/clock.js'
import { controlRoutes } from './sim/control-routes.js'
import { mtnRoutes } from './sim/mtn-routes.js'
import { applySettingsPatch, DEFAULT_SIM_SETTINGS, type SimSettingsPatch } from './sim/settings.js'
import { SimState } from './sim/state.js'
import { isUuidV4, MTN_ENVIRONMENT_CURRENCIES, MTN_PRODUCTS, type MtnProduct } from './wire.js'

export { SimClock } from './sim/clock.js'
export type { PartyBehaviour, CallbackBehaviour } from './sim/behaviour.js'
export type { SimSettings, SimSettingsPatch } from './sim/settings.js'
export type { FaultInput } from './sim/faults.js'

export interface MtnSimulatorOptions {
  /** Default 0 (any free port). */
  port?: number
  /** Default 127.0.0.1: the simulator and its control API are for this machine. */
  host?: string
  /** `X-Target-Environment` it serves: sandbox (EUR) or mtn<country>. Default sandbox. */
  environment?: string
  /** Needed only for an environment missing from the currency table. */
  currency?: string
  /** Default: a real clock. A manual `new SimClock({ manual: true })` stands still until advanced. Closing the simulator stops it. */
  clock?: SimClock
  /** Credentials of the ready-made API user per product; generated when absent. */
  credentials?: Partial<Record<MtnProduct, MtnProductCredentials>>
  /** providerCallbackHost of the ready-made API users. Default 127.0.0.1. */
  callbackHost?: string
  settings?: SimSettingsPatch
  /** Per-number behaviours on top of the sandbox table. */
  numbers?: Record<string, PartyBehaviour>
  /** Opening balances as decimal strings. Default collection 0, disbursement 1000000. */
  balances?: Partial<Record<MtnProduct, string>>
  /** Request logs (method, URL, status; never headers). Default: none. */
  logger?: Logger
}

export interface MtnSimulator {
  readonly url: string
  readonly port: number
  readonly environment: string
  readonly currency: string
  readonly clock: SimClock
  readonly credentials: Record<MtnProduct, MtnProductCredentials>
  /** In-process access to what the control API does (for an embedded simulator). */
  readonly state: SimState
  /** A client config pointing at this simulator with its ready-made credentials. */
  clientConfig: () => MtnClientConfig
  close: () => Promise<void>
}

/** Credentials as MTN shapes them: a 32-hex subscription key, a UUIDv4 user, a 32-hex key. */
export function generateMtnCredentials (): MtnProductCredentials {
  return { subscription_key: randomHex(16), api_user: randomUUID(), api_key: randomHex(16) }
}

const BODY_LIMIT = 64 * 1024

/**
 * Starts a simulated MTN MoMo Open API (Collection + Disbursement, sandbox provisioning) with its
 * `/_sim` control API, listening on loopback. See this folder's README for behaviour and controls.
 */
export async function startMtnSimulator (options: MtnSimulatorOptions = {}): Promise<MtnSimulator> {
  const environment = options.environment ?? 'sandbox'
  const currency = options.currency ?? MTN_ENVIRONMENT_CURRENCIES[environment]
  if (currency === undefined || !/^[A-Z]{3}$/.test(currency)) {
    throw new HarpoonError('mtn_sim_config', `unknown environment ${JSON.stringify(environment)}: give its currency, or use one of ${Object.keys(MTN_ENVIRONMENT_CURRENCIES).join(', ')}`)
  }
  const credentials = {} as Record<MtnProduct, MtnProductCredentials>
  for (const product of MTN_PRODUCTS) {
    const given = options.credentials?.[product]
    if (given !== undefined && !isUuidV4(given.api_user)) throw new HarpoonError('mtn_sim_config', `${product}.api_user must be a UUIDv4 (MTN's API user ids are)`)
    credentials[product] = given ?? generateMtnCredentials()
  }
  const balances = { collection: options.balances?.collection ?? '0', disbursement: options.balances?.disbursement ?? '1000000' }
  const opening = { collection: parseAmount(balances.collection), disbursement: parseAmount(balances.disbursement) }
  if (opening.collection === null || opening.disbursement === null) throw new HarpoonError('mtn_sim_config', 'balances must be decimal amounts with at most 2 decimals')
  const clock = options.clock ?? new SimClock()
  const state = new SimState({
    environment,
    currency,
    clock,
    settings: applySettingsPatch(DEFAULT_SIM_SETTINGS, options.settings ?? {}),
    credentials,
    callbackHost: options.callbackHost ?? '127.0.0.1',
    balances: { collection: opening.collection, disbursement: opening.disbursement }
  })
  for (const [partyId, behaviour] of Object.entries(options.numbers ?? {})) state.setNumber(partyId, behaviour)

  const app = Fastify({
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: options.logger as unknown as FastifyBaseLogger }),
    bodyLimit: BODY_LIMIT,
    forceCloseConnections: true,
    // Control bodies with unknown keys are mistakes to report, not keys to drop silently.
    ajv: { customOptions: { allErrors: true, removeAdditional: false } },
    routerOptions: { ignoreTrailingSlash: true }
  })
  // MTN is lenient about Content-Type: JSON is read whatever the label, an empty body is no body,
  // and anything else (a form-encoded token request) stays text for the route to judge.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body)
    if (text.trim() === '') { done(null, undefined); return }
    try { done(null, JSON.parse(text)) } catch { done(null, text) }
  })
  app.setErrorHandler(async (err: { statusCode?: number, message: string }, req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500
    await reply.code(status).send(req.url.startsWith('/_sim')
      ? { error: err.message }
      : { code: status === 500 ? 'INTERNAL_PROCESSING_ERROR' : 'BAD_REQUEST', message: err.message })
  })
  app.setNotFoundHandler(async (req, reply) => {
    await reply.code(404).send(req.url.startsWith('/_sim') ? { error: `no control route ${req.method} ${req.url}` } : { statusCode: 404, message: 'Resource not found' })
  })

  const hung = new Set<ServerResponse>()
  mtnRoutes(app, state, hung)
  controlRoutes(app, state, credentials)

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' })
  const port = (app.server.address() as AddressInfo).port
  const host = options.host ?? '127.0.0.1'
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  return {
    url,
    port,
    environment,
    currency,
    clock,
    credentials,
    state,
    clientConfig: () => ({ base_url: url, target_environment: environment, ...credentials }),
    close: async () => {
      // Hung answers are cut first, so close() never waits for a fault the test injected.
      for (const res of hung) res.destroy()
      hung.clear()
      await state.close()
      await app.close()
    }
  }
}
