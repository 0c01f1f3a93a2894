/**
 * Every enumerated value the ledger stores, in one place: statuses, outcomes, modes, event types,
 * scopes. The API schemas, the stores' SQL (through `literal()`, ledger/sql.ts) and the domain code
 * all read them from here, so a value is spelt once. The migrations' CHECK constraints are history
 * and keep their own copies; a new value is a new migration as well as a line here.
 */

/** Live and test objects never see each other: every query filters on both merchant and mode. */
export const MODES = ['live', 'test'] as const
export type Mode = typeof MODES[number]
/** The mode an API key's secret names (`hpn_live_…`); the key's pattern (config, ledger) checks the rest. */
export function keyMode (key: string): Mode {
  return key.startsWith('hpn_live_') ? 'live' : 'test'
}

export const PAYMENT_STATUSES = ['PENDING', 'SUCCESS', 'PARTIAL', 'OVERPAID', 'FAILED', 'EXPIRED', 'CANCELLED', 'REFUNDED', 'MANUAL_REVIEW'] as const
export type PaymentStatus = typeof PAYMENT_STATUSES[number]
/** Statuses in which the payment has been paid (in full, in part or more). */
const COMPLETED = ['SUCCESS', 'PARTIAL', 'OVERPAID'] as const satisfies readonly PaymentStatus[]
export const COMPLETED_STATUSES: readonly PaymentStatus[] = COMPLETED
export type CompletedStatus = typeof COMPLETED[number]
/** What an operator may settle a MANUAL_REVIEW payment as (`POST /v1/payments/{id}/resolve`). */
export const RESOLVED_STATUSES = [...COMPLETED, 'FAILED'] as const satisfies readonly PaymentStatus[]
export type ResolvedStatus = typeof RESOLVED_STATUSES[number]
/** How the paid amount stands to the expected one (a payment's `difference_type`). */
export const DIFFERENCE_TYPES = ['EXACT', 'UNDERPAID', 'OVERPAID'] as const
export type DifferenceType = typeof DIFFERENCE_TYPES[number]
/** A channel refund's status, in the provider's words: PENDING until it says SUCCESSFUL or FAILED. */
export const REFUND_STATUSES = ['PENDING', 'SUCCESSFUL', 'FAILED'] as const
export type RefundStatus = typeof REFUND_STATUSES[number]
/**
 * Statuses whose code still pays the payment (SPEC §6 rule 2). The order is the one of PostgreSQL's
 * partial index `payments_open_code` and of SQLite's triggers in its place (migration 017): spelled
 * the same everywhere, so a planner matches a query's list to the index's.
 */
export const PAYABLE_STATUSES = ['PENDING', 'PARTIAL'] as const satisfies readonly PaymentStatus[]
/** Statuses whose code, when paid again, sends the money to review (SPEC §6 rule 3). */
export const CLOSED_STATUSES: readonly PaymentStatus[] = ['EXPIRED', 'CANCELLED', 'REFUNDED', 'FAILED']

export const CREDIT_STATUSES = ['unmatched', 'matched', 'duplicate'] as const
export type CreditStatus = typeof CREDIT_STATUSES[number]

/**
 * `channel`: the money was confirmed by the provider of the payment's channel (MTN's status answer).
 * `unique_amount`: a receipt without a payer's note (M-PESA) of exactly the payment's `amount_to_pay`.
 */
export const MATCH_METHODS = ['code', 'corrected_code', 'phone_amount', 'assigned', 'reconciled', 'channel', 'unique_amount'] as const
export type MatchMethod = typeof MATCH_METHODS[number]

/** What the parser makes of one SMS (parsers/ re-exports it). */
export const SMS_KINDS = ['credit', 'debit', 'other', 'unparsed', 'untrusted'] as const
export type SmsKind = typeof SMS_KINDS[number]

/** What the inbox records about one SMS once it is settled (SPEC §4 GET /v1/sms `outcome`): its kind, or a duplicate. */
export const SMS_OUTCOMES = [...SMS_KINDS, 'duplicate'] as const
export type SmsOutcome = typeof SMS_OUTCOMES[number]

/** What became of one raw PDU read from a SIM. */
export const PDU_STATUSES = ['message', 'part', 'duplicate_part', 'undecodable'] as const
export type PduStatus = typeof PDU_STATUSES[number]

export const EVENT_TYPES = [
  'transaction.completed', 'transaction.failed', 'transaction.expired', 'transaction.cancelled',
  'transaction.refunded', 'transaction.disputed', 'transaction.resolved', 'credit.unmatched', 'webhook.test'
] as const
export type EventType = typeof EVENT_TYPES[number]
/** An endpoint subscribed to this receives every event. */
export const ALL_EVENTS = '*'

export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const
export type DeliveryStatus = typeof DELIVERY_STATUSES[number]

export const ATTEMPT_OUTCOMES = ['delivered', 'failed', 'abandoned'] as const
export type AttemptOutcome = typeof ATTEMPT_OUTCOMES[number]

export const IDEMPOTENCY_STATES = ['in_flight', 'done'] as const
export type IdempotencyState = typeof IDEMPOTENCY_STATES[number]

/**
 * Ways to collect that call a provider's API (channels/). `sms`, the default, is not a channel type:
 * a payment without a channel is paid by SMS with its HPN code.
 */
export const CHANNEL_TYPES = ['mtn_momo', 'ipay'] as const
export type ChannelType = typeof CHANNEL_TYPES[number]

/** A provider transaction a channel runs for a payment: the collection itself, or money paid back. */
export const CHANNEL_TRANSACTION_KINDS = ['collection', 'refund'] as const
export type ChannelTransactionKind = typeof CHANNEL_TRANSACTION_KINDS[number]
/** `send`: the provider must be asked (again, same reference); `check`: it holds it, ask for the truth; `done`. */
export const CHANNEL_PHASES = ['send', 'check', 'done'] as const
export type ChannelPhase = typeof CHANNEL_PHASES[number]
export const CHANNEL_OUTCOMES = ['succeeded', 'failed', 'abandoned'] as const
export type ChannelOutcome = typeof CHANNEL_OUTCOMES[number]

/** One leg of a channel payment in its audit log; `forward` legs are read from the webhook attempts. */
export const AUDIT_LEG_KINDS = ['app_request', 'provider_call', 'callback', 'forward'] as const
export type AuditLegKind = typeof AUDIT_LEG_KINDS[number]

/** A webhook endpoint of a merchant, or the forward target of a MoMo proxy client (api/compat/). */
export const ENDPOINT_KINDS = ['webhook', 'momo_proxy'] as const
export type EndpointKind = typeof ENDPOINT_KINDS[number]

/** The scopes of the merchant-facing API: what keys made over the API can hold. */
export const SCOPES = ['payments:read', 'payments:write', 'webhooks:manage', 'keys:manage', 'operator'] as const
/**
 * The scope of a `harpoon agent`'s key: it may forward SMS and modem status to this daemon and do
 * nothing else, so it is never combined with another scope and only the CLI makes it.
 */
export const AGENT_SCOPE = 'agent'
/** Every scope a key can hold. */
export const KEY_SCOPES = [...SCOPES, AGENT_SCOPE] as const
export type Scope = typeof KEY_SCOPES[number]
/** What `harpoon keys create` grants when no --scopes are given: every API scope but `operator`. */
export const DEFAULT_SCOPES: readonly Scope[] = SCOPES.filter((s) => s !== 'operator')

/**
 * `secret` keys (hpn_…_sk_…) live on the merchant's server; `publishable` keys (hpn_…_pk_…) are
 * safe in a browser: they may only initialize payments and read back the ones they made.
 */
export const KEY_TYPES = ['secret', 'publishable'] as const
export type KeyType = typeof KEY_TYPES[number]
/** The most a publishable key can hold, and what it gets when none are named. */
export const PUBLISHABLE_SCOPES: readonly Scope[] = ['payments:read', 'payments:write']

/** True when `value` is one of `values` (narrows a string read from outside to the enum). */
export function isOneOf<T extends string> (values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value)
}
