import { execFile } from 'node:child_process'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SimClock, startMtnSimulator, type MtnSimulator } from '../../channels/mtn-momo/simulator.js'
import { CLI, spawnDaemon, type DaemonProcess } from '../helpers/daemon-process.js'
import { freePort } from '../helpers/ports.js'
import { tempDir } from '../helpers/temp-dir.js'
import { apiCall, firstKey } from '../helpers/http.js'
import { waitFor } from '../helpers/wait-for.js'
import { startReceiver, type Receiver } from '../webhooks/receiver.js'

const run = promisify(execFile)
const EXAMPLES = resolve(import.meta.dirname, '../../api/compat/examples')

/**
 * api/compat/examples/verify-signature.php ported line by line: the raw body, the header PHP calls
 * HTTP_X_MOMO_PROXY_SIGNATURE, hash_hmac('sha256', $payload, $apiKey), hash_equals.
 */
function phpVerify (apiKey: string, payload: Buffer, headers: Record<string, string | string[] | undefined>): 200 | 401 {
  const header = headers['x-momo-proxy-signature']
  const received = typeof header === 'string' ? header : '' // $_SERVER['HTTP_X_MOMO_PROXY_SIGNATURE'] ?? ''
  const expected = createHmac('sha256', apiKey).update(payload).digest('hex') // hash_hmac('sha256', $payload, $apiKey)
  const hashEquals = expected.length === received.length && timingSafeEqual(Buffer.from(expected), Buffer.from(received)) // hash_equals
  return hashEquals ? 200 : 401
}

interface Client { id: string, name: string, api_key: string, callback_url: string, merchant: string }
interface ProxyTransaction { referenceId: string, externalId: string, status: string, amount: string, currency: string, payer: unknown, financialTxId: string | null, failureReason: string | null, callbackForwarded?: boolean }

describe('the MoMo proxy\'s API served by the daemon: its documented examples work unchanged', () => {
  const dir = tempDir('harpoon-proxy-e2e-')
  const clock = new SimClock({ manual: true })
  let sim: MtnSimulator
  let daemon: DaemonProcess
  let shop: Client
  let other: Client
  let receiver: Receiver
  /** What the ported PHP check answered for each forward, in order. */
  const verdicts: number[] = []

  const cli = async (...args: string[]): Promise<string> => (await run(process.execPath, [CLI, ...args, '--config', join(dir.path, 'harpoon.json')])).stdout
  /** Runs one of the documented example scripts as it is, with the environment it names. */
  const example = async <T>(script: string, env: Record<string, string>): Promise<T> => {
    const { stdout } = await run('sh', [join(EXAMPLES, script)], { env: { ...process.env, PROXY_URL: daemon.url, ...env } })
    return JSON.parse(stdout) as T
  }
  const status = async (referenceId: string, key = shop.api_key): Promise<ProxyTransaction & { error?: string }> =>
    await example('status.sh', { PROXY_API_KEY: key, REFERENCE_ID: referenceId })
  const requestToPay = async (callbackUrl: string): Promise<{ referenceId: string, status: string }> =>
    await example('request-to-pay.sh', { PROXY_API_KEY: shop.api_key, CALLBACK_URL: callbackUrl })

  beforeAll(async () => {
    receiver = await startReceiver((req, res) => {
      const body = Buffer.from(receiver.requests.at(-1)?.body ?? '', 'utf8')
      const verdict = phpVerify(shop.api_key, body, req.headers)
      verdicts.push(verdict)
      res.statusCode = verdict
      res.end(verdict === 200 ? 'ok' : 'invalid signature')
    })
    sim = await startMtnSimulator({ environment: 'mtnghana', clock, settings: { defaultOutcome: 'wait' } })
    const port = await freePort()
    daemon = await spawnDaemon(dir.path, {
      api: { port },
      virtual_modems: false,
      webhooks: { allow_private_targets: true, retry_schedule: [0.2, 0.5, 1], poll_interval_ms: 50 },
      channel_calls: { timeout_ms: 2_000, retry_schedule: [0.05, 0.1], status_schedule: [0.2, 0.5, 1], poll_interval_ms: 50 },
      // MTN calls back at the proxy's own listener path.
      channels: [{ id: 'mtn-gh', type: 'mtn_momo', mode: 'test', base_url: sim.url, target_environment: 'mtnghana', collection: sim.credentials.collection, callback_url: `http://127.0.0.1:${port}/callback` }],
      momo_proxy: { enabled: true, channel: 'mtn-gh' }
    })
    shop = JSON.parse(await cli('proxy-clients', 'create', '--name', 'shop', '--callback-url', `${receiver.url}/default`, '--json')) as Client
    other = JSON.parse(await cli('proxy-clients', 'create', '--name', 'other app', '--callback-url', `${receiver.url}/other`, '--json')) as Client
  })

  afterAll(async () => {
    if (daemon !== undefined && daemon.child.exitCode === null) { daemon.child.kill('SIGTERM'); await daemon.exited }
    await sim?.close()
    await receiver?.close()
    dir.cleanup()
  })

  it('makes clients with `harpoon proxy-clients create --json`: one object {id, name, api_key, callback_url, merchant}', async () => {
    expect(Object.keys(shop).sort()).toEqual(['api_key', 'callback_url', 'id', 'merchant', 'name'])
    expect(shop).toMatchObject({ name: 'shop', merchant: 'default', callback_url: `${receiver.url}/default` })
    expect(shop.api_key).not.toBe(other.api_key)
    expect(await cli('proxy-clients', 'list')).toContain('other app')
    // The PHP example checks what this test's port checks.
    const php = readFileSync(join(EXAMPLES, 'verify-signature.php'), 'utf8')
    expect(php).toContain("$_SERVER['HTTP_X_MOMO_PROXY_SIGNATURE'] ?? ''")
    expect(php).toContain("hash_hmac('sha256', $payload, $apiKey)")
    expect(php).toContain('hash_equals($expected, $received)')
  })

  it('the curl request, the status poll, the callback smoke test (settles nothing), and a signed forward of SUCCESSFUL', async () => {
    const accepted = await requestToPay(`${receiver.url}/order-1001`)
    expect(accepted).toEqual({ referenceId: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'PENDING' })
    const { referenceId } = accepted
    expect(await status(referenceId)).toMatchObject({ referenceId, externalId: 'order-1001', status: 'PENDING', amount: '100.00', currency: 'GHS', payer: { partyIdType: 'MSISDN', partyId: '233241234567' }, financialTxId: null, callbackForwarded: false })
    await waitFor(() => sim.state.find('collection', referenceId), 'MTN to receive the request')
    expect(sim.state.find('collection', referenceId)?.request).toMatchObject({ externalId: 'order-1001', payerMessage: 'Payment for order 1001', payeeNote: 'Order 1001' })

    // Another client's key sees nothing of it; no key is no entry.
    expect(await status(referenceId, other.api_key)).toMatchObject({ error: 'forbidden' })
    expect(await status(referenceId, 'mpk_not-a-key')).toMatchObject({ error: 'unauthorized' })

    // The smoke test: an unsigned POST claiming SUCCESSFUL is recorded, makes the daemon ask MTN, and settles nothing.
    const checksBefore = sim.state.received().filter((c) => c.operation === 'requesttopay-status' && c.referenceId === referenceId).length
    expect(await example('callback-smoke-test.sh', { REFERENCE_ID: referenceId })).toEqual({ received: true })
    await waitFor(() => sim.state.received().filter((c) => c.operation === 'requesttopay-status' && c.referenceId === referenceId).length > checksBefore ? true : undefined, 'a status check after the smoke test')
    expect((await status(referenceId)).status).toBe('PENDING')
    expect(receiver.requests).toHaveLength(0)

    // The customer approves; MTN's callback (to /callback) wakes the check; the final state is forwarded, signed.
    await fetch(`${sim.url}/_sim/requests/${referenceId}/approve`, { method: 'POST' })
    await receiver.waitFor(1)
    const forward = receiver.requests[0]
    expect(forward?.url).toBe('/hook/order-1001')
    expect(verdicts).toEqual([200])
    const forwarded = JSON.parse(forward?.body ?? '{}') as ProxyTransaction
    const mtn = sim.state.find('collection', referenceId)
    expect(forwarded).toMatchObject({ referenceId, externalId: 'order-1001', status: 'SUCCESSFUL', financialTxId: mtn?.financialTransactionId, failureReason: null })
    // The ported check refuses the same forward with one byte changed.
    expect(phpVerify(shop.api_key, Buffer.from((forward?.body ?? '').replace('SUCCESSFUL', 'SUCCESSFUl')), forward?.headers ?? {})).toBe(401)
    expect(phpVerify(other.api_key, Buffer.from(forward?.body ?? ''), forward?.headers ?? {})).toBe(401)
    await waitFor(async () => (await status(referenceId)).callbackForwarded === true ? true : undefined, 'callbackForwarded')
    expect(await status(referenceId)).toMatchObject({ status: 'SUCCESSFUL', financialTxId: mtn?.financialTransactionId, callbackForwarded: true })
    // It is a payment like any other (dashboard, webhooks, audit): the app's request, MTN's calls, the
    // smoke test and MTN's callback, and the forward are all in its audit log.
    const key = firstKey(daemon.output())
    const payments = await apiCall<Array<{ reference: string, status: string, channel: { reference_id: string } | null }>>(`${daemon.url}/v1/payments`, key)
    const payment = payments.find((p) => p.channel?.reference_id === referenceId)
    expect(payment?.status).toBe('SUCCESS')
    const legs = (await apiCall<{ legs: Array<{ kind: string, operation: string | null, url: string }> }>(`${daemon.url}/v1/payments/${payment?.reference ?? ''}/audit`, key)).legs
    expect(legs.filter((l) => l.kind === 'app_request').map((l) => [l.operation, l.url])).toEqual([['request-to-pay', '/request-to-pay']])
    expect(legs.filter((l) => l.kind === 'callback').map((l) => l.url)).toEqual(['/callback', `/callback?reference=${referenceId}`])
    expect(legs.some((l) => l.kind === 'forward' && l.operation === 'momo_proxy_callback' && l.url === `${receiver.url}/order-1001`)).toBe(true)
    expect(JSON.stringify(legs)).not.toContain(shop.api_key)
  })

  it('forwards FAILED with MTN\'s reason to the client\'s default URL when the request named none, and refuses bad requests naming the field', async () => {
    const res = await fetch(`${daemon.url}/request-to-pay`, {
      method: 'POST',
      headers: { 'x-proxy-api-key': shop.api_key, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 25, currency: 'GHS', externalId: 'order-1002', payer: { partyIdType: 'MSISDN', partyId: '233241234568' } })
    })
    expect(res.status).toBe(202)
    const { referenceId } = await res.json() as { referenceId: string }
    await waitFor(() => sim.state.find('collection', referenceId), 'MTN to receive the request')
    await fetch(`${sim.url}/_sim/requests/${referenceId}/reject`, { method: 'POST' })
    await receiver.waitFor(2)
    expect(receiver.requests[1]?.url).toBe('/hook/default')
    expect(JSON.parse(receiver.requests[1]?.body ?? '{}')).toMatchObject({ referenceId, externalId: 'order-1002', status: 'FAILED', failureReason: 'APPROVAL_REJECTED', financialTxId: null })
    expect(verdicts).toEqual([200, 200])

    const bad = await fetch(`${daemon.url}/request-to-pay`, {
      method: 'POST',
      headers: { 'x-proxy-api-key': shop.api_key, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: '-1', currency: 'EUR', payer: { partyIdType: 'EMAIL', partyId: 'a@b.c' }, callbackUrl: 'http://169.254.169.254/latest' })
    })
    expect(bad.status).toBe(400)
    const body = await bad.json() as { error: string, details: Array<{ field: string }> }
    expect(body.error).toBe('invalid_request')
    expect(body.details.map((d) => d.field).sort()).toEqual(['amount', 'callbackUrl', 'currency', 'payer.partyId', 'payer.partyIdType'])
    expect((await fetch(`${daemon.url}/request-to-pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401)
  })
})
