import { afterAll, describe, expect, it } from 'vitest'
import { SimClock, startMtnSimulator, type MtnSimulator } from '../../channels/mtn-momo/simulator.js'
import { apiCall, firstKey } from '../helpers/http.js'
import { tempDir } from '../helpers/temp-dir.js'
import { simControl } from '../helpers/mtn-sim.js'
import { startKillable, waitFor, writeConfig, type Killable } from './support.js'

interface Payment { reference: string, status: string, actual_amount: string | null, channel: { reference_id: string } | null, credits: unknown[] }
interface Lookup { payment: Payment, events: Array<{ type: string }> }

/**
 * Issue 14: the request to pay is written in the payment's transaction and sent after the commit
 * from the durable outbox. Killed with SIGKILL between that commit and the call to MTN (here: while
 * the token request the call needs hangs), the restarted daemon sends the request with the same
 * reference: MTN receives exactly one, and the payment settles once. Killed after MTN took the
 * request but before its answer arrived, the resend meets 409 (already held): still one transaction
 * at MTN, settled once.
 */
describe('SIGKILL between the payment\'s commit and the call to MTN', () => {
  const dir = tempDir('harpoon-mtn-kill9-')
  const clock = new SimClock({ manual: true })
  let sim: MtnSimulator | null = null
  let daemon: Killable | null = null
  afterAll(async () => {
    await daemon?.kill9()
    await sim?.close()
    dir.cleanup()
  })

  it('sends the same reference after the restart: one request at MTN, one settlement', async () => {
    sim = await startMtnSimulator({ environment: 'mtnghana', clock, settings: { defaultOutcome: 'wait' } })
    const s = sim
    const control = async (method: string, path: string, body?: unknown): Promise<number> => (await simControl(s.url)(method, path, body)).status
    const configPath = await writeConfig(dir.path, {
      channel_calls: { timeout_ms: 1_000, retry_schedule: [0.1, 0.2], status_schedule: [0.2, 0.5], poll_interval_ms: 50 },
      channels: [{ id: 'mtn-gh', type: 'mtn_momo', mode: 'test', base_url: s.url, target_environment: 'mtnghana', collection: s.credentials.collection, callback_url: null }]
    })
    const requestsTo = (reference: string): Array<number | string> => s.state.received().filter((c) => c.operation === 'requesttopay' && c.referenceId === reference).map((c) => c.status)

    // Every token request hangs: the daemon commits the payment and stops short of the request to pay.
    expect(await control('POST', '/_sim/faults', { operation: 'token', kind: 'hang', times: 0 })).toBe(201)
    daemon = startKillable(configPath)
    const url = await daemon.url
    const key = firstKey(daemon.output())
    const created = await apiCall<Payment>(`${url}/v1/payments/initialize`, key, 'POST', { amount: '150.00', channel: 'mtn-gh', customer_phone: '0240000100' })
    const reference = created.channel?.reference_id ?? ''
    await waitFor(() => s.state.received().some((c) => c.operation === 'token' && c.status === 'hang') ? true : undefined, 'the daemon to be inside its call')
    await daemon.kill9()
    expect(requestsTo(reference)).toEqual([])

    await control('DELETE', '/_sim/faults')
    daemon = startKillable(configPath)
    const again = await daemon.url
    // The row's lease lapses (the dead process held it), then the same reference goes out.
    await waitFor(() => s.state.find('collection', reference), 'the request to pay after the restart')
    expect(requestsTo(reference)).toEqual([202])
    expect(s.state.list('collection')).toHaveLength(1)

    // Killed again after MTN took the second payment's request but before its answer came back.
    expect(await control('POST', '/_sim/faults', { operation: 'requesttopay', kind: 'hang', times: 1, processed: true })).toBe(201)
    const second = await apiCall<Payment>(`${again}/v1/payments/initialize`, key, 'POST', { amount: '75.00', channel: 'mtn-gh', customer_phone: '0240000200' })
    const secondRef = second.channel?.reference_id ?? ''
    await waitFor(() => s.state.find('collection', secondRef), 'MTN to take the second request')
    await daemon.kill9()
    daemon = startKillable(configPath)
    const third = await daemon.url
    await waitFor(() => requestsTo(secondRef).includes(409) ? true : undefined, 'the resend after the restart')
    expect(requestsTo(secondRef)).toEqual(['hang', 409])
    expect(s.state.list('collection')).toHaveLength(2)

    // Both customers approve; each payment is paid exactly once.
    for (const ref of [reference, secondRef]) expect(await control('POST', `/_sim/requests/${ref}/approve`)).toBe(200)
    for (const [p, amount] of [[created, '150.00'], [second, '75.00']] as const) {
      const found = await waitFor(async () => {
        const l = await apiCall<Lookup>(`${third}/v1/operator/payments/${p.reference}`, key)
        return l.payment.status === 'SUCCESS' ? l : undefined
      }, `payment ${p.reference} to settle`)
      expect([found.payment.actual_amount, found.payment.credits.length]).toEqual([amount, 1])
      expect(found.events.map((e) => e.type)).toEqual(['transaction.completed'])
    }
    await daemon.stop()
  })
})
