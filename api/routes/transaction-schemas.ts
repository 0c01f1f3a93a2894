import { Type } from '@sinclair/typebox'
import { DIFFERENCE_TYPES } from '../../core/enums.js'
import { AmountInput, PaymentStatusSchema, literals, nullable } from '../schemas.js'

/**
 * `/v1/transactions` and `/v1/merchant/payment-methods` in the shapes of Harpoon's newer public
 * docs (harpoonsms.com/developers/docs/payments/…): the same payments as `/v1/payments`, named as
 * a merchant who integrated the hosted service already has them in code.
 */
const Amount = Type.String({ pattern: '^-?\\d+\\.\\d{2}$', examples: ['150.00'] })
const Time = Type.String({ format: 'date-time', examples: ['2026-04-29T12:00:00Z'] })
const DifferenceType = nullable(literals(DIFFERENCE_TYPES))

export const TransactionInitializeBody = Type.Object({
  amount: AmountInput('"150.00": greater than 0, at most 2 decimals, at most payments.max_amount'),
  phone_number: Type.String({ maxLength: 20, description: 'the customer\'s phone: 0XXXXXXXXX, +233XXXXXXXXX or 233XXXXXXXXX (with a channel: a number of its country)' }),
  channel: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'this daemon\'s extension: collect through this channel (GET /v1/channels), a prompt on phone_number; "sms" or absent: the customer pays with the HPN code' })),
  method: Type.Optional(Type.String({ minLength: 1, maxLength: 20, description: 'this daemon\'s extension: how the customer pays, on a channel with several ways (iPay: "mpesa" or "airtel"; default its first)' })),
  currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'default: the channel\'s currency with a channel, else GHS' })),
  customer_name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  description: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  webhook_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'this payment\'s events also go here, signed with the secret of the merchant\'s oldest active endpoint (secret keys only)' })),
  redirect_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'where the hosted checkout page returns the customer, with ?reference=' })),
  idempotency_key: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'as the Idempotency-Key header (send one, or the same in both)' })),
  client_reference: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  meta: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'at most 4 KiB of JSON' })),
  expires_in_hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 })),
  expires_in: Type.Optional(Type.Integer({ minimum: 60, maximum: 7 * 86400, description: 'seconds (this daemon\'s finer alternative to expires_in_hours)' }))
}, { additionalProperties: false })

/** Harpoon fields this daemon does not implement: refused by name, never silently ignored. */
export const UNSUPPORTED_FIELDS: Readonly<Record<string, string>> = {
  expected_telco_transaction_id: 'is not supported by this daemon: reconcile with the customer\'s transaction id instead',
  expected_payer_phone: 'is not supported by this daemon: send phone_number; a credit from another number still matches by code',
  send_sms_to_payer: 'is not supported by this daemon: it sends no SMS to customers'
}

export const PayToSchema = Type.Array(Type.Object({ network: Type.String(), msisdn: Type.String(), instructions: Type.String() }))

export const InitializedSchema = Type.Object({
  reference: Type.String({ examples: ['hpn_trx_a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6'] }),
  hpn_code: Type.String({ examples: ['K7M3F6'] }),
  amount: Amount,
  amount_to_pay: Amount,
  currency: Type.String(),
  status: PaymentStatusSchema,
  expires_at: Time,
  created_at: Time,
  checkout_url: Type.String({ description: 'the hosted checkout page for the customer; the link is the only key to it' }),
  client_reference: nullable(Type.String()),
  pay_to: PayToSchema
})

/** What both the transaction and a list item open with. */
const AMOUNTS = {
  reference: Type.String(),
  hpn_code: Type.String(),
  status: PaymentStatusSchema,
  expected_amount: Amount,
  amount_to_pay: Type.String({ pattern: '^-?\\d+\\.\\d{2}$', description: 'what the customer must send: expected_amount, or a unique amount a little above it where the wallet\'s receipts carry no reference (M-PESA)' }),
  actual_amount: nullable(Amount),
  difference: nullable(Amount),
  difference_type: DifferenceType,
  currency: Type.String(),
  phone_number: nullable(Type.String({ description: 'the customer\'s phone given at initialize' }))
}

export const TransactionSchema = Type.Object({
  ...AMOUNTS,
  customer_name: nullable(Type.String()),
  description: nullable(Type.String()),
  payer: Type.Object({ phone_number: nullable(Type.String()), name: nullable(Type.String()) }),
  telco: Type.Object({ provider: nullable(Type.String()), transaction_id: nullable(Type.String()), timestamp: nullable(Time) }),
  meta: Type.Record(Type.String(), Type.Unknown()),
  timeline: Type.Object({
    created_at: Time,
    pending_at: Time,
    processing_at: nullable(Time),
    completed_at: nullable(Time)
  }),
  processing_time_ms: nullable(Type.Integer({ minimum: 0, description: 'from the telco credit reaching the daemon to the payment being verified' })),
  client_reference: nullable(Type.String()),
  expires_at: Time,
  mode: Type.String(),
  sequence: Type.Integer({ minimum: 1 }),
  updated_at: Type.String({ format: 'date-time' })
})

export const TransactionListItemSchema = Type.Object({
  ...AMOUNTS,
  payer_phone: nullable(Type.String()),
  payer_name: nullable(Type.String()),
  client_reference: nullable(Type.String()),
  created_at: Time,
  completed_at: nullable(Time)
})

export const DateOrTime = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2}))?$', description: 'ISO 8601: a date (whole day, UTC) or a date-time with its offset' })

export const ListTransactionsQuery = Type.Object({
  page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
  per_page: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  status: Type.Optional(PaymentStatusSchema),
  from: Type.Optional(DateOrTime),
  to: Type.Optional(DateOrTime),
  phone_number: Type.Optional(Type.String({ minLength: 1, maxLength: 20, description: 'the customer\'s phone given at initialize, or the payer\'s' }))
}, { additionalProperties: false })

export const TransactionListSchema = Type.Object({
  success: Type.Literal(true),
  data: Type.Array(TransactionListItemSchema),
  pagination: Type.Object({
    page: Type.Integer(),
    per_page: Type.Integer(),
    total: Type.Integer(),
    total_pages: Type.Integer(),
    has_next: Type.Boolean(),
    has_prev: Type.Boolean()
  })
})

export const ReferenceParams = Type.Object({ reference: Type.String({ minLength: 1, maxLength: 200 }) })
export const HpnCodeParams = Type.Object({ hpn_code: Type.String({ minLength: 1, maxLength: 40 }) })
export const ClientRefParams = Type.Object({ client_ref: Type.String({ minLength: 1, maxLength: 100 }) })

export const TransactionCancelBody = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false })

export const CancelledSchema = Type.Object({
  success: Type.Literal(true),
  reference: Type.String(),
  status: PaymentStatusSchema,
  message: Type.String(),
  data: TransactionSchema
})

export const TransactionReconcileBody = Type.Object({
  transaction_id: Type.String({ minLength: 1, maxLength: 64, description: 'from the customer\'s own confirmation SMS (MTN 73012849466, Telecel 0000011528209461, AT PP260203.1254.C00772)' }),
  amount: Type.Optional(AmountInput('strict check: a credit of another amount answers AMOUNT_MISMATCH')),
  notes: Type.Optional(Type.String({ maxLength: 1000 }))
}, { additionalProperties: false })

export const ReconciledSchema = Type.Object({
  status: literals(['VERIFIED', 'ALREADY_CONFIRMED', 'NOT_FOUND', 'AMOUNT_MISMATCH'] as const),
  transaction_id: Type.String(),
  transaction_updated: Type.Boolean(),
  new_transaction_status: PaymentStatusSchema,
  matched_amount: nullable(Amount),
  expected_amount: Amount,
  difference: nullable(Amount),
  difference_type: nullable(literals(['exact', 'underpaid', 'overpaid'] as const)),
  message: Type.String(),
  transaction: TransactionSchema
})

export const PaymentMethodSchema = Type.Object({
  network: Type.String({ examples: ['mtn'] }),
  network_name: Type.String({ examples: ['MTN MoMo'] }),
  msisdn: Type.String({ examples: ['0244000000'] }),
  currency: Type.String(),
  ussd_code: Type.String({ examples: ['*170#'] })
})
