import SerializerSelector from '@fastify/fast-json-stringify-compiler'
import { describe, expect, it } from 'vitest'
import { envelope, ErrorSchema, listEnvelope, PaymentSchema } from './schemas.js'
import { fastSerializers, forSerialization } from './serializers.js'

const TIME = '2026-04-10T12:00:00Z'
const pending = {
  reference: 'hpn_trx_a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6', hpn_code: 'K7M3F6', status: 'PENDING', expected_amount: '150.00', amount_to_pay: '150.00',
  actual_amount: null, difference: null, difference_type: null, currency: 'GHS', customer_phone: null, payer_phone: null, telco_provider: null,
  telco_transaction_id: null, meta: {}, client_reference: null, mode: 'test', expires_at: TIME, verified_at: null, created_at: TIME,
  updated_at: '2026-04-10T12:00:00.123Z', sequence: 1, credits: [], channel: null, failure_reason: null, refunds: [],
  pay_to: [{ network: 'mtn', msisdn: '0244000000', instructions: 'Pay GHS 150.00 to 0244000000 with MTN MoMo and enter K7M3F6 as the reference.' }]
}
const paid = {
  ...pending, status: 'OVERPAID', actual_amount: '200.00', difference: '50.00', difference_type: 'OVERPAID', customer_phone: '0244123456',
  payer_phone: '0244000001', telco_provider: 'mtn', telco_transaction_id: '91234567890', meta: { order: 'A-1', nested: { n: [1, 'two', null] } },
  client_reference: 'order_1', mode: 'live', verified_at: TIME, sequence: 3,
  credits: [{ telco_provider: 'mtn', telco_transaction_id: '91234567890', amount: '200.00', payer_phone: '0244000001', payer_name: 'AMA "Q" MENSAH', received_at: TIME, match_method: 'code', risk_flags: ['balance_break'] },
    { telco_provider: 'mtn', telco_transaction_id: '91234567891', amount: '1.00', payer_phone: null, payer_name: null, received_at: TIME, match_method: null, risk_flags: [] }],
  channel: { id: 'mtn-gh', type: 'mtn_momo', reference_id: null }, failure_reason: 'EXPIRED',
  refunds: [{ id: 'rfd_0a1b2c3d4e5f6a7b8c9d0e1f', amount: '50.00', currency: 'GHS', status: 'SUCCESSFUL', channel: 'mtn-gh', reference_id: 'r-1', payee_phone: null,
    provider_transaction_id: null, failure_reason: null, note: 'too much\n', created_at: TIME, updated_at: TIME }],
  pay_to: [{ network: 'mpesa', msisdn: '510800', paybill: '510800', account: 'K7M3F6', instructions: 'Pay KES 150.00 to paybill 510800 with M-PESA, account number K7M3F6.' }]
}

/** fast-json-stringify as Fastify uses it by default, and as the API uses it. */
function both (schema: unknown): Array<(doc: unknown) => string> {
  const route = { schema, method: 'GET', url: '/x', httpStatus: '200' }
  return [SerializerSelector()(undefined, undefined)(route), fastSerializers()(undefined, undefined)(route)]
}

describe('response serializers without anyOf (api/serializers.ts)', () => {
  it('write a payment byte for byte as the route schema does, with every nullable field null and set', () => {
    const [plain, fast] = both(envelope(PaymentSchema)) as [(d: unknown) => string, (d: unknown) => string]
    for (const data of [pending, paid, { ...paid, channel: { id: 'ipay', type: 'ipay', reference_id: 'x' }, status: 'SUCCESS', mode: 'test' }]) {
      expect(fast({ success: true, data })).toBe(plain({ success: true, data }))
    }
    const [plainList, fastList] = both(listEnvelope(PaymentSchema)) as [(d: unknown) => string, (d: unknown) => string]
    const page = { success: true, data: [pending, paid], has_more: true, next_cursor: null }
    expect(fastList(page)).toBe(plainList(page))
    expect(fastList({ ...page, next_cursor: 'cDoxMA' })).toBe(plainList({ ...page, next_cursor: 'cDoxMA' }))
    const [plainError, fastError] = both(ErrorSchema) as [(d: unknown) => string, (d: unknown) => string]
    const error = { success: false, error: { code: 'not_found', message: 'no payment', details: [{ field: 'id', message: 'x' }] } }
    expect(fastError(error)).toBe(plainError(error))
  })

  it('turn nullable fields and enums into plain types, leave other anyOf alone, and never change the route schema', () => {
    const schema = { type: 'object', properties: { a: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] }, s: { anyOf: [{ const: 'X', type: 'string' }, { const: 'Y', type: 'string' }] }, n: { anyOf: [{ type: 'number' }, { type: 'string' }] } } }
    const before = JSON.stringify(schema)
    expect(forSerialization(schema)).toEqual({ type: 'object', properties: { a: { type: 'string', format: 'date-time', nullable: true }, s: { type: 'string' }, n: { anyOf: [{ type: 'number' }, { type: 'string' }] } } })
    expect(JSON.stringify(schema)).toBe(before)
  })
})
