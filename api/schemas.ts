import { Type, type TNull, type TNumber, type TSchema, type TString, type TUnion } from '@sinclair/typebox'
import { literals, ModeSchema } from '../core/enum-schema.js'
import { NETWORKS } from '../core/networks.js'
import { AUDIT_LEG_KINDS, DIFFERENCE_TYPES, KEY_SCOPES, KEY_TYPES, MATCH_METHODS, PAYMENT_STATUSES, REFUND_STATUSES, RESOLVED_STATUSES, SCOPES } from '../core/enums.js'
import { ERROR_KEYWORD } from './validators.js'

/** Route schemas: they validate requests, and the OpenAPI document is generated from them. */
export { literals }
/** A field that may be null: one helper for every route schema. */
export const nullable = <S extends TSchema>(schema: S): TUnion<[S, TNull]> => Type.Union([schema, Type.Null()])
const Amount = Type.String({ pattern: '^-?\\d+\\.\\d{2}$', examples: ['150.00'] })
export const AMOUNT_RULE = 'must be a JSON number greater than 0 or a decimal string such as "150.00": digits, at most 2 decimals, no sign, spaces or exponent'
/** An amount a client sends: a JSON number, or a decimal string and nothing else (core/money.ts reads it). */
export const AmountInput = (description: string): TUnion<[TNumber, TString]> => Type.Union(
  [Type.Number({ exclusiveMinimum: 0 }), Type.String({ pattern: '^\\d+(\\.\\d{1,2})?$', examples: ['150.00'] })],
  { description, [ERROR_KEYWORD]: AMOUNT_RULE }
)
const Time = Type.String({ format: 'date-time', examples: ['2026-04-10T12:00:00Z'] })

export const PaymentStatusSchema = literals(PAYMENT_STATUSES)
/** What a key made over the API may hold: the agent scope is the CLI's alone (`harpoon keys create --scopes agent`). */
export const ScopeSchema = literals(SCOPES)

export const ErrorSchema = Type.Object({
  success: Type.Literal(false),
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))
  })
})

export const PaymentSchema = Type.Object({
  reference: Type.String({ examples: ['hpn_trx_a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6'] }),
  hpn_code: Type.String({ examples: ['K7M3F6'] }),
  status: PaymentStatusSchema,
  expected_amount: Amount,
  amount_to_pay: Type.String({ pattern: '^-?\\d+\\.\\d{2}$', description: 'what the customer must send: expected_amount, or a unique amount a little above it where the wallet\'s receipts carry no reference (M-PESA)' }),
  actual_amount: nullable(Amount),
  difference: nullable(Amount),
  difference_type: nullable(literals(DIFFERENCE_TYPES)),
  currency: Type.String(),
  customer_phone: nullable(Type.String()),
  payer_phone: nullable(Type.String()),
  telco_provider: nullable(literals(NETWORKS)),
  telco_transaction_id: nullable(Type.String()),
  meta: Type.Record(Type.String(), Type.Unknown(), { description: 'as sent; {} when none was' }),
  client_reference: nullable(Type.String()),
  mode: ModeSchema(),
  expires_at: Time,
  verified_at: nullable(Time),
  created_at: Time,
  updated_at: Type.String({ format: 'date-time', description: 'with milliseconds', examples: ['2026-04-10T12:00:00.123Z'] }),
  sequence: Type.Integer({ minimum: 1, description: '1 at creation, one more with every change; webhooks carry it too: keep the state with the highest' }),
  credits: Type.Array(Type.Object({
    telco_provider: Type.String(),
    telco_transaction_id: Type.String(),
    amount: Amount,
    payer_phone: nullable(Type.String()),
    payer_name: nullable(Type.String()),
    received_at: Time,
    match_method: nullable(literals(MATCH_METHODS)),
    risk_flags: Type.Array(Type.String(), { description: 'soft signs for a second look (never a rejection on their own): balance_break, incomplete_sms, mpesa_code_date_mismatch, payer_name_mismatch, …' })
  })),
  channel: nullable(Type.Object({
    id: Type.String({ examples: ['mtn-gh'] }),
    type: Type.String({ examples: ['mtn_momo'] }),
    reference_id: nullable(Type.String({ description: 'the provider\'s reference (MTN\'s X-Reference-Id)' }))
  }, { description: 'null: paid by SMS with the HPN code' })),
  failure_reason: nullable(Type.String({ description: 'why a FAILED payment failed: the provider\'s reason (APPROVAL_REJECTED, EXPIRED, NOT_ENOUGH_FUNDS, …)' })),
  refunds: Type.Array(Type.Object({
    id: Type.String({ examples: ['rfd_0a1b2c3d4e5f6a7b8c9d0e1f'] }),
    amount: Amount,
    currency: Type.String(),
    status: literals(REFUND_STATUSES),
    channel: Type.String(),
    reference_id: Type.String(),
    payee_phone: nullable(Type.String()),
    provider_transaction_id: nullable(Type.String()),
    failure_reason: nullable(Type.String()),
    note: nullable(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' })
  }), { description: 'money paid back through a channel; the payment is REFUNDED once the whole amount is' }),
  pay_to: Type.Array(Type.Object({
    network: Type.String(),
    msisdn: Type.String({ description: 'the number to pay to (for a paybill: the paybill number)' }),
    paybill: Type.Optional(Type.String({ description: 'a channel\'s paybill (iPay: 510800), for paying by hand' })),
    account: Type.Optional(Type.String({ description: 'the account number to quote at the paybill' })),
    instructions: Type.String()
  }))
})

export const InitializeBody = Type.Object({
  amount: AmountInput('greater than 0, at most 2 decimals, at most payments.max_amount'),
  currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'default: the channel\'s currency with a channel, else GHS' })),
  client_reference: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  reference: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'alias of client_reference' })),
  customer_phone: Type.Optional(Type.String({ maxLength: 20, description: '0XXXXXXXXX, +233XXXXXXXXX or 233XXXXXXXXX; with a channel, a number of its country (required: the number the provider prompts)' })),
  channel: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'collect through this channel (GET /v1/channels); "sms" or absent: the customer pays by SMS with the HPN code' })),
  method: Type.Optional(Type.String({ minLength: 1, maxLength: 20, description: 'how the customer pays, on a channel with several ways (iPay: "mpesa" or "airtel"; default its first)' })),
  meta: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'at most 4 KiB of JSON' })),
  expires_in: Type.Optional(Type.Integer({ minimum: 60, maximum: 7 * 86400 }))
}, { additionalProperties: false })

export const AuditLegSchema = Type.Object({
  kind: literals(AUDIT_LEG_KINDS),
  channel: nullable(Type.String()),
  operation: nullable(Type.String({ examples: ['initialize', 'collection-token', 'requesttopay', 'requesttopay-status', 'callback (collection)', 'transaction.completed'] })),
  reference_id: nullable(Type.String()),
  method: Type.String(),
  url: Type.String(),
  status_code: nullable(Type.Integer()),
  duration_ms: nullable(Type.Integer()),
  started_at: Type.String({ format: 'date-time' }),
  request_headers: nullable(Type.Record(Type.String(), Type.String())),
  request_body: nullable(Type.String()),
  response_body: nullable(Type.String()),
  error: nullable(Type.String())
})

export const AuditSchema = Type.Object({
  payment: Type.String(),
  channel: nullable(Type.String()),
  legs: Type.Array(AuditLegSchema)
})

export const PaymentIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) })

export const ListPaymentsQuery = Type.Object({
  status: Type.Optional(PaymentStatusSchema),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 }))
}, { additionalProperties: false })


export const RefundBody = Type.Object({
  note: Type.Optional(Type.String({ maxLength: 1000 })),
  amount: Type.Optional(AmountInput('pay this much back through a channel that can (its disbursement credentials); without amount, or without such a channel for the whole amount, the refund is only recorded'))
}, { additionalProperties: false })

export const SettleRefundBody = Type.Object({
  status: literals(['SUCCESSFUL', 'FAILED'] as const),
  note: Type.String({ minLength: 1, maxLength: 1000, description: 'what the provider\'s own records showed, for the audit trail' }),
  provider_transaction_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'the provider\'s id of the refund, when its portal shows one' }))
}, { additionalProperties: false })

export const RefundIdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200 }),
  refund: Type.String({ minLength: 1, maxLength: 64 })
})

export const ResolveBody = Type.Object({
  status: literals(RESOLVED_STATUSES),
  note: Type.Optional(Type.String({ maxLength: 1000 }))
}, { additionalProperties: false })

export const KeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  mode: ModeSchema(),
  scopes: Type.Array(literals(KEY_SCOPES)),
  hint: Type.String(),
  merchant: Type.String(),
  created_at: Time,
  expires_at: nullable(Time),
  revoked_at: nullable(Time),
  last_used_at: nullable(Time),
  rolled_from: nullable(Type.String()),
  type: literals(KEY_TYPES),
  allowed_origins: Type.Array(Type.String(), { description: 'browser origins a publishable key answers with CORS; [] for none, and always for secret keys' }),
  allowed_ips: nullable(Type.Array(Type.String(), { description: 'addresses or CIDR ranges the key is accepted from, normalised; null for any' })),
  key: Type.Optional(Type.String({ description: 'the secret, present only in the response that created the key' }))
})

/** `POST /v1/keys/{id}/roll`: the new key as `POST /v1/keys` gives it, with the key it replaces beside it. */
export const RolledKeySchema = Type.Object({
  ...KeySchema.properties,
  previous: KeySchema
})

const AllowedOrigins = Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: 50, description: 'publishable keys only: scheme, host and port, like https://shop.example' })
const AllowedIps = nullable(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 100, description: 'IPv4/IPv6 addresses or CIDR ranges; null for any address' }))

export const CreateKeyBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  scopes: Type.Optional(Type.Array(ScopeSchema, { minItems: 1, uniqueItems: true, description: 'required for a secret key; a publishable key holds payments:read and payments:write at most (the default)' })),
  mode: Type.Optional(ModeSchema()),
  type: Type.Optional(literals(KEY_TYPES)),
  allowed_origins: Type.Optional(AllowedOrigins),
  allowed_ips: Type.Optional(AllowedIps)
}, { additionalProperties: false })

export const UpdateKeyBody = Type.Object({
  allowed_origins: Type.Optional(AllowedOrigins),
  allowed_ips: Type.Optional(AllowedIps)
}, { additionalProperties: false, minProperties: 1 })

export const RollKeyBody = Type.Object({
  expires_in: Type.Integer({ minimum: 0, maximum: 30 * 86400, default: 86400 })
}, { additionalProperties: false })

export const KeyIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) })

/** Success envelope around a data schema, for the OpenAPI document. */
export function envelope (data: TSchema): TSchema {
  return Type.Object({ success: Type.Literal(true), data })
}

export function listEnvelope (item: TSchema): TSchema {
  return Type.Object({ success: Type.Literal(true), data: Type.Array(item), has_more: Type.Boolean(), next_cursor: nullable(Type.String()) })
}
