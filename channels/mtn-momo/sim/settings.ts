import { Type, type Static } from '@sinclair/typebox'
import { CallbackBehaviourSchema } from './behaviour.js'

/** Everything about the simulator an operator may change while it runs (`PATCH /_sim/settings`). */
export const SimSettingsSchema = Type.Object({
  /** What a number outside the table does: sandbox "any other number results in Success", or wait for the operator. */
  defaultOutcome: Type.Union([Type.Literal('approve'), Type.Literal('wait')]),
  /** The same for a transfer's payee (refunds); null: as defaultOutcome. The embedded simulator approves refunds by itself while its customers decide. */
  transferOutcome: Type.Union([Type.Literal('approve'), Type.Literal('wait'), Type.Null()]),
  /** How long an automatic payer takes to approve or fail. */
  decisionDelayMs: Type.Integer({ minimum: 0 }),
  /** The payer has this long to approve (MTN: 5 minutes), then the request fails with `approvalTimeoutReason`. */
  approvalWindowMs: Type.Integer({ minimum: 1 }),
  approvalTimeoutReason: Type.String({ pattern: '^[A-Z_]{2,60}$' }),
  tokenLifetimeSeconds: Type.Integer({ minimum: 1 }),
  /** MTN's docs say 401 for bad token credentials; integrators see 500. */
  badCredentialsStatus: Type.Union([Type.Literal(401), Type.Literal(500)]),
  /** Production quirks: a body on /token → 400, empty payerMessage/payeeNote → 500, a numeric amount → 400. */
  strict: Type.Boolean(),
  /** X-Callback-Url's host must be the API user's providerCallbackHost, else 500 INVALID_CALLBACK_URL_HOST. */
  checkCallbackHost: Type.Boolean(),
  /** Status reads per second per API user before 429; null: unlimited (MTN's documented cap is 10). */
  statusRateLimit: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  callback: CallbackBehaviourSchema
}, { additionalProperties: false })
export type SimSettings = Static<typeof SimSettingsSchema>

export const SimSettingsPatchSchema = Type.Partial(Type.Object({
  ...SimSettingsSchema.properties,
  callback: Type.Partial(CallbackBehaviourSchema)
}), { additionalProperties: false })
export type SimSettingsPatch = Static<typeof SimSettingsPatchSchema>

export const DEFAULT_SIM_SETTINGS: SimSettings = {
  defaultOutcome: 'approve',
  transferOutcome: null,
  decisionDelayMs: 3_000,
  approvalWindowMs: 5 * 60_000,
  approvalTimeoutReason: 'EXPIRED',
  tokenLifetimeSeconds: 3600,
  badCredentialsStatus: 401,
  strict: false,
  checkCallbackHost: true,
  statusRateLimit: null,
  callback: { method: 'PUT', deliver: true, delayMs: 0, copies: 1, retry: 'none', timeoutMs: 2_000 }
}

/** Settings with a patch applied (the callback block merged key by key). */
export function applySettingsPatch (settings: SimSettings, patch: SimSettingsPatch): SimSettings {
  return { ...settings, ...patch, callback: { ...settings.callback, ...patch.callback } }
}
