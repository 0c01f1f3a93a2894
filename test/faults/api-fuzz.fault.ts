import { connect } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SCOPES } from '../../ledger/api-keys.js'
import type { Executor } from '../../ledger/engine.js'
import { sql } from '../../ledger/testing.js'
import { openTestLedger, type TestLedger } from '../helpers/ledger.js'
import { tempDir } from '../helpers/temp-dir.js'
import { startKillable, writeConfig, type Killable } from './support.js'

const RUNS = Number(process.env['HARPOON_FUZZ_RUNS'] ?? 2500)
// Test SMS that pass go through a virtual modem's AT/PDU round trip: fewer of them.
const SMS_RUNS = Math.ceil(RUNS / 8)
const TRANSACTION_RUNS = Math.ceil(RUNS / 2)
/** Rows in every table a request could write to. */
async function tableCounts (rows: Executor): Promise<Record<string, number>> {
  const counted = await rows.all<{ t: string, n: number }>(sql`SELECT 'payments' AS t, count(*) AS n FROM payments
    UNION ALL SELECT 'credits', count(*) FROM credits UNION ALL SELECT 'events', count(*) FROM events
    UNION ALL SELECT 'idempotency_keys', count(*) FROM idempotency_keys UNION ALL SELECT 'api_keys', count(*) FROM api_keys
    UNION ALL SELECT 'merchants', count(*) FROM merchants UNION ALL SELECT 'webhook_endpoints', count(*) FROM webhook_endpoints
    UNION ALL SELECT 'webhook_secrets', count(*) FROM webhook_secrets UNION ALL SELECT 'webhook_deliveries', count(*) FROM webhook_deliveries
    UNION ALL SELECT 'sms_messages', count(*) FROM sms_messages UNION ALL SELECT 'payment_details', count(*) FROM payment_details
    UNION ALL SELECT 'checkout_tokens', count(*) FROM checkout_tokens`)
  return Object.fromEntries(counted.map((c) => [c.t, Number(c.n)]))
}

interface Raw { method: string, path: string, headers: Array<[string, string]>, body: Buffer }

/**
 * One request written byte for byte on its own connection, so paths, header values and bodies can
 * hold anything (fetch and undici refuse non-Latin-1 headers and raw Unicode paths). Resolves with
 * the status code, or null when the server closed without answering.
 */
async function send (port: number, r: Raw): Promise<number | null> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    socket.setTimeout(10_000, () => { socket.destroy(); reject(new Error(`no answer to ${r.method} ${r.path}`)) })
    socket.on('data', (c: Buffer) => { text += c.toString('latin1') })
    socket.on('error', () => {})
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text)
      resolve(m === null ? null : Number(m[1]))
    })
    const head = [`${r.method} ${r.path} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close', ...r.headers.map(([k, v]) => `${k}: ${v}`), `content-length: ${r.body.length}`, '', '']
    // Written, not ended: a half-closed socket makes Node's server drop a request whose handler is
    // still working (a test SMS waiting for its modem); `connection: close` ends it after the answer.
    socket.write(Buffer.concat([Buffer.from(head.join('\r\n'), 'utf8'), r.body]))
  })
}

const ROUTES = [
  '/v1/payments/initialize', '/v1/payments', '/v1/payments/HKMVR2', '/v1/payments/hpn_trx_0000/cancel', '/v1/payments/x/refund',
  '/v1/payments/x/resolve', '/v1/payments/x/reconcile', '/v1/credits', '/v1/credits/x/assign', '/v1/keys', '/v1/keys/key_x/roll',
  '/v1/webhooks', '/v1/webhooks/x', '/v1/webhooks/x/test', '/v1/webhooks/x/rotate-secret', '/v1/webhooks/deliveries/x/replay',
  '/v1/sms', '/v1/modems', '/v1/test/sms', '/healthz', '/metrics', '/openapi.json',
  // Issue 16: Harpoon's newer API, key access, the hosted checkout.
  '/v1/transactions/initialize', '/v1/transactions', '/v1/transactions/hpn_trx_0000', '/v1/transactions/by-hpn/HKMVR2',
  '/v1/transactions/by-client-ref/x', '/v1/transactions/hpn_trx_0000/reconcile', '/v1/transactions/hpn_trx_0000/cancel',
  '/v1/merchant/payment-methods', '/v1/keys/key_x', '/checkout/x', '/checkout/x/status', '/checkout/assets/checkout.js'
]

const unicode = fc.string({ unit: 'binary', maxLength: 40 })
const weird = fc.oneof(unicode, fc.constantFrom('', ' ', '\u0000', '\u202e', '😀', 'é', '%00', '%ZZ', '../../etc/passwd', '\\', '"', '{', 'NaN', '1e309', '-0', '0.001', '١٢٣'), fc.string({ maxLength: 300 }))
const path = fc.oneof(
  fc.constantFrom(...ROUTES),
  fc.tuple(fc.constantFrom(...ROUTES), weird).map(([r, w]) => `${r}/${w}`),
  fc.tuple(fc.constantFrom(...ROUTES), weird).map(([r, w]) => `${r}?${w}=${w}&limit=${w}&cursor=${w}&status=${w}`),
  weird.map((w) => `/v1/payments/${w}`),
  weird.map((w) => `/${w}`)
).map((p) => p.replace(/[\r\n ]/g, '%20'))
// Money in every shape a careless or hostile client sends (issue 11 D2): booleans, arrays, hex,
// binary, octal and exponent strings, padding, signs and stray points, besides numbers and junk.
const digits = fc.stringMatching(/^\d{1,6}(\.\d{1,3})?$/)
const pad = fc.constantFrom(' ', '  ', '\t', '\n', '\r\n', '\u00a0', '\u2003', '0', '+', '-', '.')
const amount = fc.oneof(
  fc.string(), fc.double(), fc.integer(), fc.bigInt().map(String), digits,
  fc.constantFrom(null, true, false, [], {}, [5], ['5.00'], [[1]], { amount: 5 }, '0.1', '1e3', '1e1', '1E2', '100000000000', '-5', ' 5 ', '5.005', '0x10', '0X1f', '0b101', '0o17', '12\n', ' 150.00 ', '+150', '.5', '5.', '١٢٣', 'Infinity', 'NaN'),
  fc.boolean(),
  fc.array(fc.oneof(fc.integer(), digits), { maxLength: 3 }),
  fc.nat().map((n) => `0x${n.toString(16)}`),
  fc.nat().map((n) => `0b${n.toString(2)}`),
  fc.tuple(fc.nat(99_999), fc.integer({ min: -5, max: 400 })).map(([m, e]) => `${m}e${e}`),
  fc.tuple(pad, digits, pad).map(([a, d, b]) => `${a}${d}${b}`)
)
const initializeBody = fc.record({
  amount, currency: weird, client_reference: weird, reference: weird, customer_phone: weird,
  meta: fc.oneof(fc.object(), fc.jsonValue()), expires_in: fc.oneof(fc.integer(), fc.double(), weird), unknown_field: fc.jsonValue()
}, { requiredKeys: [] })
/** `POST /v1/transactions/initialize` in Harpoon's names, with this daemon's refusals (unsupported fields, both expiries). */
const transactionBody = fc.record({
  amount, phone_number: weird, currency: weird, customer_name: weird, description: weird, client_reference: weird, meta: fc.oneof(fc.object(), fc.jsonValue()),
  webhook_url: fc.oneof(weird, fc.constantFrom('https://198.41.0.4/hook', 'http://127.0.0.1:9/x', 'javascript:alert(1)', 'http://u:p@shop.example/')),
  redirect_url: fc.oneof(weird, fc.constantFrom('https://shop.example/done?x=1', 'javascript:alert(1)', 'data:text/html,hi', '//shop.example')),
  idempotency_key: weird, expires_in_hours: fc.oneof(fc.integer(), weird), expires_in: fc.oneof(fc.integer(), weird), send_sms_to_payer: fc.boolean()
}, { requiredKeys: [] })
const body = fc.oneof(
  transactionBody.map((b) => JSON.stringify(b)),
  initializeBody.map((b) => JSON.stringify(b)),
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  unicode,
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.constantFrom('', '{', '{"amount":', 'null', '[]', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{}}}', `{"amount":"${'9'.repeat(400)}"}`),
  fc.integer({ min: 1, max: 3 }).map((n) => JSON.stringify({ meta: 'x'.repeat(n * 40_000) })),
  fc.integer({ min: 1, max: 200 }).map((n) => '['.repeat(n * 50) + ']'.repeat(n * 50)),
  // Free JSON nested deep (issue 11 D3): arrays and objects, around the 32-level limit and far past it.
  fc.integer({ min: 1, max: 5000 }).map((n) => `{"amount":1,"meta":{"d":${'['.repeat(n)}${']'.repeat(n)}}}`),
  fc.integer({ min: 1, max: 3000 }).map((n) => `{"amount":1,"meta":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`),
  fc.integer({ min: 28, max: 36 }).map((n) => `{"amount":"5.00","meta":${'{"a":'.repeat(n)}[]${'}'.repeat(n)}}`)
)

// Test SMS (issue 11 D4): senders and texts an SMS can and cannot carry, through the virtual modems.
const nonGsm = fc.constantFrom('😀', '\u202e', '\u0000', '\ud800', '\udfff', '中文', 'Ω≈ç', '\u200b', '\ufeff', '\u0007', '€€€€€€', '`', 'ĀĒ')
const sender = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9 ]{1,14}$/),
  fc.stringMatching(/^\+?\d{1,24}$/),
  fc.tuple(fc.stringMatching(/^[A-Za-z]{0,6}$/), nonGsm).map(([a, b]) => `${a}${b}`),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 14 }),
  fc.constantFrom('MobileMoney', 'T-CASH', 'AT Money', 'ABCDEFGHIJK', 'ABCDEFGHIJKL', 'Shop€[1]', 'MobileMoney€')
)
const smsText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }),
  fc.tuple(fc.string({ maxLength: 40 }), nonGsm, fc.string({ maxLength: 40 })).map(([a, b, c]) => `${a}${b}${c}`)
)
const testSmsBody = fc.oneof(
  fc.record({ network: fc.constantFrom('mtn', 'telecel', 'at', 'vodafone'), text: smsText, sender }, { requiredKeys: ['network'] }),
  fc.record({ network: fc.constantFrom('mtn', 'telecel', 'at'), amount, reference: fc.oneof(weird, smsText), payer_phone: weird }, { requiredKeys: ['network'] })
)

describe('API fuzzing against the real daemon process', () => {
  const dir = tempDir('harpoon-fuzz-')
  let daemon: Killable | null = null
  let watch: TestLedger | null = null
  let port = 0
  let key = ''
  let testKey = ''
  let publishableKey = ''
  afterAll(async () => { await watch?.close(); await daemon?.stop(); dir.cleanup() })

  beforeAll(async () => {
    const { ledger, close } = await openTestLedger({ dir: dir.path })
    await ledger.merchants.create({ id: 'default', name: 'Shop' })
    key = (await ledger.apiKeys.create({ merchantId: 'default', name: 'fuzz', mode: 'live', scopes: [...SCOPES] })).secret
    testKey = (await ledger.apiKeys.create({ merchantId: 'default', name: 'fuzz-test', mode: 'test', scopes: [...SCOPES] })).secret
    publishableKey = (await ledger.apiKeys.create({ merchantId: 'default', name: 'fuzz-web', mode: 'live', type: 'publishable', scopes: ['payments:read', 'payments:write'], allowedOrigins: ['https://shop.example'] })).secret
    await close()
    // Virtual modems on: test SMS take the AT/PDU path, where a sender SMS cannot carry was a 500.
    daemon = startKillable(await writeConfig(dir.path, { virtual_modems: true }))
    port = Number(new URL(await daemon.url).port)
    // Only reads, while the daemon writes.
    watch = await openTestLedger({ dir: dir.path })
  })

  const counts = async (): Promise<Record<string, number>> => await tableCounts((watch as TestLedger).rows)

  it(`answers ${RUNS * 2 + TRANSACTION_RUNS + SMS_RUNS} malformed requests without a 5xx, a crash, or a write for any rejected one`, async () => {
    const problems: string[] = []
    let answered = 0
    const check = async (r: Raw): Promise<void> => {
      const before = await counts()
      const status = await send(port, r)
      const after = await counts()
      const what = `${r.method} ${JSON.stringify(r.path)} ${JSON.stringify(r.headers)} ${JSON.stringify(r.body.toString('utf8').slice(0, 200))}`
      if (status === null) { problems.push(`no answer: ${what}`); return }
      answered++
      if (status >= 500) problems.push(`${status}: ${what}`)
      if (status >= 400) {
        // A replayable business conflict (409) stores its answer under the Idempotency-Key, and nothing else.
        const changed = Object.keys(before).filter((t) => before[t] !== after[t] && !(status === 409 && t === 'idempotency_keys'))
        if (changed.length > 0) problems.push(`${status} but wrote ${changed.join(', ')}: ${what}`)
      }
    }
    const authHeader = fc.oneof(
      fc.constant(`Bearer ${key}`), fc.constant(`bearer   ${key}  `), fc.constant(`Bearer ${key}x`), fc.constant(`Basic ${key}`), fc.constant(`Bearer ${publishableKey}`),
      weird.map((w) => `Bearer ${w}`), weird, fc.constant(`Bearer ${key.replace('live', 'test')}`)
    ).map((v) => v.replace(/[\r\n]/g, ''))
    const headerValue = weird.map((v) => v.replace(/[\r\n]/g, ''))
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
      path,
      auth: fc.option(authHeader, { nil: undefined }),
      contentType: fc.option(fc.oneof(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded'), headerValue), { nil: undefined }),
      idempotencyKey: fc.option(headerValue, { nil: undefined }),
      extra: fc.array(fc.oneof(
        fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), headerValue),
        // CORS and proxy headers: a preflight, an origin, a forwarded address.
        fc.tuple(fc.constantFrom('origin', 'access-control-request-method', 'access-control-request-headers', 'x-forwarded-for'),
          fc.oneof(headerValue, fc.constantFrom('https://shop.example', 'null', 'POST', 'GET', '2001:db8::1', '::ffff:10.0.0.1', '1.2.3.4, 5.6.7.8')))
      ), { maxLength: 3 }),
      body
    })
    const raw: fc.Arbitrary<Raw> = request.map((q) => ({
      method: q.method,
      path: q.path.startsWith('/') ? q.path : `/${q.path}`,
      headers: [
        ...(q.auth === undefined ? [] : [['authorization', q.auth] as [string, string]]),
        ...(q.contentType === undefined ? [] : [['content-type', q.contentType] as [string, string]]),
        ...(q.idempotencyKey === undefined ? [] : [['idempotency-key', q.idempotencyKey] as [string, string]]),
        ...q.extra.filter(([k]) => !['content-length', 'transfer-encoding', 'host', 'connection'].includes(k))
      ],
      body: Buffer.from(q.body, 'utf8')
    }))
    await fc.assert(fc.asyncProperty(raw, async (r) => { await check(r) }), { numRuns: RUNS })

    // The same again, all aimed at the route that writes most: initialize, with a valid key.
    await fc.assert(fc.asyncProperty(fc.tuple(initializeBody, fc.option(headerValue, { nil: undefined })), async ([b, idem]) => {
      await check({
        method: 'POST',
        path: '/v1/payments/initialize',
        headers: [['authorization', `Bearer ${key}`], ['content-type', 'application/json'], ...(idem === undefined ? [] : [['idempotency-key', idem] as [string, string]])],
        body: Buffer.from(JSON.stringify(b), 'utf8')
      })
    }), { numRuns: RUNS })

    // Harpoon's initialize (issue 16), with the secret key and the publishable one.
    await fc.assert(fc.asyncProperty(fc.tuple(transactionBody, fc.boolean(), fc.option(headerValue, { nil: undefined })), async ([b, browser, idem]) => {
      await check({
        method: 'POST',
        path: '/v1/transactions/initialize',
        headers: [['authorization', `Bearer ${browser ? publishableKey : key}`], ['content-type', 'application/json'],
          ...(browser ? [['origin', 'https://shop.example'] as [string, string]] : []), ...(idem === undefined ? [] : [['idempotency-key', idem] as [string, string]])],
        body: Buffer.from(JSON.stringify(b), 'utf8')
      })
    }), { numRuns: TRANSACTION_RUNS })

    // And test SMS with the senders and texts an SMS can and cannot carry, with a test key.
    await fc.assert(fc.asyncProperty(testSmsBody, async (b) => {
      await check({
        method: 'POST',
        path: '/v1/test/sms',
        headers: [['authorization', `Bearer ${testKey}`], ['content-type', 'application/json']],
        body: Buffer.from(JSON.stringify(b), 'utf8')
      })
    }), { numRuns: SMS_RUNS })

    expect(problems.slice(0, 20)).toEqual([])
    expect(answered).toBe(RUNS * 2 + TRANSACTION_RUNS + SMS_RUNS)
    expect(daemon?.child.exitCode).toBeNull()
    expect(await send(port, { method: 'GET', path: '/healthz', headers: [], body: Buffer.alloc(0) })).toBe(200)
  }, 400_000)
})
