import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sql } from '../ledger/testing.js'
import { startTestApi, type TestApi } from '../test/helpers/api-server.js'

let api: TestApi
beforeEach(async () => { api = await startTestApi() })
afterEach(async () => { await api.close() })

const fieldsOf = (body: { error?: { details?: Array<{ field: string }> } }): string[] => (body.error?.details ?? []).map((d) => d.field)

/**
 * Issue 11 D2: JSON bodies were type-coerced before they were read (`amount: true` became 1.00,
 * `"0x10"` 16.00, `[5]` 5.00). An amount is a JSON number or a string matching ^\d+(\.\d{1,2})?$ and
 * nothing else; no body field changes type on its way in.
 */
describe('money and types in JSON bodies are taken as sent', () => {
  it.each([
    ['a boolean', true],
    ['false', false],
    ['an array', [5]],
    ['an array of a string', ['5.00']],
    ['an object', { value: 5 }],
    ['null', null],
    ['a hex string', '0x10'],
    ['a binary string', '0b101'],
    ['an octal string', '0o17'],
    ['an exponent string', '1e1'],
    ['a trailing newline', '12\n'],
    ['padding', ' 150.00 '],
    ['a plus sign', '+150'],
    ['a leading point', '.5'],
    ['a trailing point', '5.'],
    ['three decimals', '1.005'],
    ['a comma', '1,000.00'],
    ['Arabic-Indic digits', '١٢٣'],
    ['an empty string', ''],
    ['Infinity text', 'Infinity'],
    ['a negative string', '-5']
  ])('refuses an amount that is %s with a 422 naming amount', async (_label, amount) => {
    const res = await api.request('POST', '/v1/payments/initialize', { body: { amount } })
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe('validation_failed')
    expect(fieldsOf(res.body)).toEqual(['amount'])
    expect(await api.rows.value(sql`SELECT count(*) FROM payments`)).toBe(0)
  })

  it.each([
    [150, '150.00'],
    [150.5, '150.50'],
    [0.01, '0.01'],
    ['150', '150.00'],
    ['150.5', '150.50'],
    ['0150.25', '150.25']
  ])('takes the amount %j as %s', async (amount, expected) => {
    const res = await api.request('POST', '/v1/payments/initialize', { body: { amount } })
    expect(res.status).toBe(201)
    expect(res.body.data.expected_amount).toBe(expected)
  })

  it.each([
    ['client_reference', true],
    ['client_reference', 1234],
    ['reference', ['order-1']],
    ['customer_phone', 244123456],
    ['expires_in', '3600'],
    ['expires_in', true],
    ['currency', ['GHS']],
    ['meta', '{"order":1}'],
    ['meta', [1, 2]]
  ])('refuses %s given as %j rather than converting it', async (field, value) => {
    const res = await api.request('POST', '/v1/payments/initialize', { body: { amount: '10.00', [field]: value } })
    expect(res.status).toBe(422)
    expect(fieldsOf(res.body)).toEqual([field])
  })

  it('refuses a scalar where a list belongs and a string where a boolean belongs in other bodies', async () => {
    const key = await api.request('POST', '/v1/keys', { body: { name: 'x', scopes: 'payments:read' } })
    expect(key.status).toBe(422)
    expect(fieldsOf(key.body)).toEqual(['scopes'])
    const roll = await api.request('POST', `/v1/keys/${(await api.ledger.apiKeys.list())[0]?.id as string}/roll`, { body: { expires_in: '60' } })
    expect(roll.status).toBe(422)
    expect(fieldsOf(roll.body)).toEqual(['expires_in'])
  })

  it('still reads numbers in query strings', async () => {
    const res = await api.request('GET', '/v1/payments?limit=5')
    expect(res.status).toBe(200)
    const bad = await api.request('GET', '/v1/payments?limit=five')
    expect(bad.status).toBe(422)
    expect(fieldsOf(bad.body)).toEqual(['limit'])
  })

  it('refuses a currency no wallet of the merchant can be paid in', async () => {
    const usd = await api.request('POST', '/v1/payments/initialize', { body: { amount: '10.00', currency: 'USD' } })
    expect(usd.status).toBe(422)
    expect(fieldsOf(usd.body)).toEqual(['currency'])
    expect(usd.body.error.details[0].message).toContain('GHS')
    const ghs = await api.request('POST', '/v1/payments/initialize', { body: { amount: '10.00', currency: 'GHS' } })
    expect(ghs.status).toBe(201)
  })
})

/**
 * Issue 11 D3 and the `__proto__` finding: free JSON (`meta`) nested 4,200 levels deep crashed
 * JSON.stringify with a 500, and a valid body with a `__proto__` key was called malformed JSON.
 * Both are refused with a 422 that names the field and says what is refused.
 */
describe('nesting and prototype keys in JSON bodies', () => {
  const nested = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels)

  it('refuses meta nested thousands of levels deep with a 422 naming meta', async () => {
    const res = await api.request('POST', '/v1/payments/initialize', { raw: `{"amount":1,"meta":{"d":${nested(4200)}}}` })
    expect(res.status).toBe(422)
    expect(fieldsOf(res.body)).toEqual(['meta'])
    expect(res.body.error.details[0].message).toContain('32 levels')
    expect(await api.rows.value(sql`SELECT count(*) FROM payments`)).toBe(0)
  })

  it('takes meta nested as deep as the limit, and refuses one level more', async () => {
    // meta itself is one level: 31 more inside it make 32.
    const ok = await api.request('POST', '/v1/payments/initialize', { raw: `{"amount":1,"meta":{"d":${nested(31)}}}` })
    expect(ok.status).toBe(201)
    const deeper = await api.request('POST', '/v1/payments/initialize', { raw: `{"amount":1,"meta":{"d":${nested(32)}}}` })
    expect(deeper.status).toBe(422)
    expect(fieldsOf(deeper.body)).toEqual(['meta'])
  })

  it('names the field that nests too deep on any route, and the body when it is the body itself', async () => {
    const key = await api.request('POST', '/v1/keys', { raw: `{"name":"x","scopes":["payments:read"],"mode":${nested(500)}}` })
    expect(key.status).toBe(422)
    expect(fieldsOf(key.body)).toEqual(['mode'])
    expect(key.body.error.details[0].message).toContain('32 levels')
    const body = await api.request('POST', '/v1/payments/initialize', { raw: nested(5000) })
    expect(body.status).toBe(422)
    expect(fieldsOf(body.body)).toEqual(['body'])
  })

  it.each([
    ['{"amount":1,"__proto__":{"admin":true}}', '__proto__'],
    ['{"amount":1,"meta":{"a":[{"__proto__":{}}]}}', 'meta.a.0.__proto__'],
    ['{"amount":1,"meta":{"constructor":{"prototype":{"admin":true}}}}', 'meta.constructor.prototype']
  ])('refuses %s with a 422 naming %s and saying why', async (raw, field) => {
    const res = await api.request('POST', '/v1/payments/initialize', { raw })
    expect(res.status).toBe(422)
    expect(res.body.error.code).toBe('validation_failed')
    expect(fieldsOf(res.body)).toEqual([field])
    expect(res.body.error.details[0].message).toMatch(/prototype/)
  })

  it('still calls JSON that does not parse malformed', async () => {
    const res = await api.request('POST', '/v1/payments/initialize', { raw: '{"amount":1,' })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('malformed_json')
  })
})
