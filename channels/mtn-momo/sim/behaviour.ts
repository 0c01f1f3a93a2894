import { Type, type Static } from '@sinclair/typebox'

/** How the simulator delivers the callback of a request that reached a final state. */
export const CallbackBehaviourSchema = Type.Object({
  /** MTN's docs say both; the 2018 doc says PUT (README, decision D4). */
  method: Type.Union([Type.Literal('PUT'), Type.Literal('POST')]),
  /** false: never sent (as in MTN's sandbox and for hosts MTN has not allow-listed). */
  deliver: Type.Boolean(),
  delayMs: Type.Integer({ minimum: 0 }),
  /** More than one: the same callback is sent that many times (duplicates). */
  copies: Type.Integer({ minimum: 1, maximum: 20 }),
  /** "none": sent once whatever happens; "mtn": on failure, MTN's documented retry schedule. */
  retry: Type.Union([Type.Literal('none'), Type.Literal('mtn')]),
  /** MTN gives a callback listener 2 s. */
  timeoutMs: Type.Integer({ minimum: 1, maximum: 60_000 })
}, { additionalProperties: false })
export type CallbackBehaviour = Static<typeof CallbackBehaviourSchema>

/**
 * What a payer (request to pay) or payee (transfer) number does. `approve` and `fail` happen by
 * themselves `afterMs` after the request; `wait` leaves it to the operator (approve/reject control),
 * else the approval window closes it. `refuse` answers the POST itself with an error and creates
 * nothing, as MTN's production does for some failures.
 */
export const PartyBehaviourSchema = Type.Object({
  label: Type.Optional(Type.String({ maxLength: 80 })),
  outcome: Type.Union([Type.Literal('approve'), Type.Literal('fail'), Type.Literal('wait')]),
  reason: Type.Optional(Type.String({ pattern: '^[A-Z_]{2,60}$' })),
  afterMs: Type.Optional(Type.Integer({ minimum: 0 })),
  refuse: Type.Optional(Type.Object({
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.String({ pattern: '^[A-Z_]{2,60}$' })
  }, { additionalProperties: false })),
  callback: Type.Optional(Type.Partial(CallbackBehaviourSchema))
}, { additionalProperties: false })
export type PartyBehaviour = Static<typeof PartyBehaviourSchema>

const fail = (label: string, reason: string): PartyBehaviour => ({ label, outcome: 'fail', reason })

/**
 * MTN's sandbox test numbers (official table, README §Sandbox numbers) and the simulator's own
 * additions from 46733123465 on, for cases the official table has no number for. Any other number
 * follows the `defaultOutcome` setting (sandbox: approve).
 */
export const SANDBOX_NUMBERS: Readonly<Record<string, PartyBehaviour>> = {
  46733123450: fail('PayerFailed', 'INTERNAL_PROCESSING_ERROR'),
  46733123451: fail('PayerRejected', 'APPROVAL_REJECTED'),
  46733123452: fail('PayerExpired', 'EXPIRED'),
  // The 2018 doc: "answers pending first, and after 30 seconds success".
  46733123453: { label: 'PayerOngoing', outcome: 'approve', afterMs: 30_000 },
  // "Delayed": the payer has not acted; the operator decides, or the approval window closes it.
  46733123454: { label: 'PayerDelayed', outcome: 'wait' },
  46733123455: fail('PayerNotFound', 'PAYER_NOT_FOUND'),
  46733123456: fail('PayeeNotAllowedToReceive', 'PAYEE_NOT_ALLOWED_TO_RECEIVE'),
  46733123457: fail('NotAllowed', 'NOT_ALLOWED'),
  46733123458: fail('NotAllowedTargetEnvironment', 'NOT_ALLOWED_TARGET_ENVIRONMENT'),
  46733123459: fail('InvalidCallbackUrlHost', 'INVALID_CALLBACK_URL_HOST'),
  46733123460: fail('InvalidCurrency', 'INVALID_CURRENCY'),
  46733123461: fail('InternalProcessingError', 'INTERNAL_PROCESSING_ERROR'),
  46733123462: fail('ServiceUnavailable', 'SERVICE_UNAVAILABLE'),
  46733123463: fail('CouldNotPerformTransaction', 'COULD_NOT_PERFORM_TRANSACTION'),
  // Simulator additions (not MTN's).
  46733123465: fail('NotEnoughFunds (simulator)', 'NOT_ENOUGH_FUNDS'),
  46733123466: fail('PayerLimitReached (simulator)', 'PAYER_LIMIT_REACHED'),
  46733123467: { label: 'NotEnoughFunds refused at request time (simulator; MTN production)', outcome: 'fail', reason: 'NOT_ENOUGH_FUNDS', refuse: { status: 500, code: 'NOT_ENOUGH_FUNDS' } },
  46733123468: { label: 'Approves, callback never sent (simulator)', outcome: 'approve', callback: { deliver: false } },
  46733123469: { label: 'Approves, callback sent three times (simulator)', outcome: 'approve', callback: { copies: 3 } }
}

/** Account-holder check (`…/accountholder/msisdn/{id}/active`) by the official table's numbers. */
export const ACCOUNTHOLDER_NUMBERS: Readonly<Record<string, { status: number, body: unknown }>> = {
  46733123450: { status: 404, body: { code: 'RESOURCE_NOT_FOUND', message: 'Requested resource was not found.' } },
  46733123451: { status: 200, body: { result: false } },
  46733123452: { status: 500, body: { code: 'NOT_ALLOWED', message: 'Authorization failed. User does not have permission.' } },
  46733123453: { status: 500, body: { code: 'NOT_ALLOWED_TARGET_ENVIRONMENT', message: 'Access to target environment is forbidden.' } },
  46733123454: { status: 500, body: { code: 'INTERNAL_PROCESSING_ERROR', message: 'An internal error occurred while processing.' } },
  46733123455: { status: 503, body: { code: 'SERVICE_UNAVAILABLE', message: 'Service temporarily unavailable, try again later.' } },
  'notfound@email.com': { status: 404, body: { code: 'RESOURCE_NOT_FOUND', message: 'Requested resource was not found.' } },
  'notactive@email.com': { status: 200, body: { result: false } }
}
