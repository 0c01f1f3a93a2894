import { describe, expect, it } from 'vitest'
import { cleanupAfterEach } from '../helpers/cleanup.js'
import { apiCall, firstKey } from '../helpers/http.js'
import { tempDir } from '../helpers/temp-dir.js'
import { spawnDaemon } from '../helpers/daemon-process.js'
import { startReceiver } from '../webhooks/receiver.js'

const track = cleanupAfterEach()

interface Payment { reference: string, hpn_code: string, status: string, sequence: number, updated_at: string }
interface Envelope { event: string, webhook_id: string, timestamp: string, sequence: number, data: Payment }

const MILLISECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

/**
 * Issue 11 D6: webhooks of one payment can arrive out of order (a retried `transaction.cancelled`
 * after the `transaction.disputed` that followed it), and both carried the same whole-second
 * timestamp. Every payment now has a `sequence` that grows with each change, in the payment object
 * and in the envelope, and `updated_at` with milliseconds: a receiver keeps the highest sequence.
 */
describe('ordering a payment\'s webhooks', () => {
  it('numbers every change of a payment, in the API and in each webhook, so the newest state can be kept', async () => {
    const dir = tempDir()
    track.later(dir.cleanup)
    const receiver = await startReceiver()
    track.later(receiver.close)
    const daemon = track.daemon(await spawnDaemon(dir.path, { virtual_modems: false, webhooks: { allow_private_targets: true } }))
    const key = firstKey(daemon.output())
    const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => await apiCall<T>(`${daemon.url}${path}`, key, method, body)
    await call('POST', '/v1/webhooks', { url: receiver.url })

    const created = await call<Payment>('POST', '/v1/payments/initialize', { amount: '20.00' })
    expect(created.sequence).toBe(1)
    expect(created.updated_at).toMatch(MILLISECONDS)
    const cancelled = await call<Payment>('POST', `/v1/payments/${created.reference}/cancel`)
    expect(cancelled.sequence).toBe(2)
    // Money for the cancelled payment's code: SPEC §6 rule 3 sends it to review (transaction.disputed).
    await call('POST', '/v1/test/sms', { network: 'mtn', amount: '20.00', reference: created.hpn_code })
    const resolved = await call<Payment>('POST', `/v1/payments/${created.reference}/resolve`, { status: 'SUCCESS', note: 'customer paid after cancelling' })
    expect(resolved.sequence).toBe(4)
    expect(resolved.updated_at).toMatch(MILLISECONDS)
    expect(resolved.updated_at > cancelled.updated_at).toBe(true)

    await receiver.waitFor(3)
    const envelopes = receiver.requests.map((r) => JSON.parse(r.body) as Envelope)
    expect(envelopes.map((e) => [e.event, e.sequence, e.data.sequence, e.data.status]).sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
      ['transaction.cancelled', 2, 2, 'CANCELLED'],
      ['transaction.disputed', 3, 3, 'MANUAL_REVIEW'],
      ['transaction.resolved', 4, 4, 'SUCCESS']
    ])
    for (const e of envelopes) expect(e.data.updated_at).toMatch(MILLISECONDS)

    // What the webhook docs tell a receiver to do: whatever order they arrive in, keep the highest sequence.
    for (const order of [envelopes, [...envelopes].reverse()]) {
      let kept: Payment | null = null
      for (const e of order) if (kept === null || e.sequence > kept.sequence) kept = e.data
      expect(kept?.status).toBe('SUCCESS')
    }
    expect((await call<Payment>('GET', `/v1/payments/${created.reference}`)).sequence).toBe(4)
  })
})
