import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { cleanupAfterEach } from '../helpers/cleanup.js'
import { CLI, spawnDaemon } from '../helpers/daemon-process.js'
import { apiCall, firstKey } from '../helpers/http.js'
import { tempDir } from '../helpers/temp-dir.js'
import { freePort } from '../helpers/ports.js'
import { waitFor } from '../helpers/wait-for.js'

const run = promisify(execFile)
const track = cleanupAfterEach()

interface Payment { reference: string, status: string, failure_reason: string | null, telco_transaction_id: string | null, channel: { id: string, reference_id: string } | null }

describe('npm start without channels: the embedded MTN simulator in test mode', () => {
  it('collects a test payment with channel "mtn_momo", and `harpoon simulate --channel mtn_momo` plays the customer', async () => {
    const dir = tempDir()
    track.later(dir.cleanup)
    // `harpoon simulate` finds the daemon by the config's port, so it is a fixed one.
    const daemon = track.daemon(await spawnDaemon(dir.path, { api: { port: await freePort() }, virtual_modems: false, channel_calls: { status_schedule: [0.5, 1], poll_interval_ms: 50 } }))
    expect(daemon.logs().some((l) => l['msg'] === 'EMBEDDED MTN simulator for test-mode payments with channel "mtn_momo"')).toBe(true)
    const key = firstKey(daemon.output())
    const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => await apiCall<T>(`${daemon.url}${path}`, key, method, body)
    const simulate = async (...flags: string[]): Promise<Payment> =>
      JSON.parse((await run(process.execPath, [CLI, 'simulate', '--channel', 'mtn_momo', ...flags, '--config', join(dir.path, 'harpoon.json')])).stdout) as Payment

    expect(await call<Array<{ id: string, embedded: boolean, mode: string }>>('GET', '/v1/channels')).toEqual([
      expect.objectContaining({ id: 'mtn_momo', embedded: true, mode: 'test', currency: 'GHS' }),
      expect.objectContaining({ id: 'ipay', type: 'ipay', embedded: true, mode: 'test', currency: 'KES', country: 'KE' })
    ])
    const approved = await call<Payment>('POST', '/v1/payments/initialize', { amount: '150.00', channel: 'mtn_momo', customer_phone: '0244123456' })
    expect(approved.channel?.id).toBe('mtn_momo')
    const rejected = await call<Payment>('POST', '/v1/payments/initialize', { amount: '20.00', channel: 'mtn_momo', customer_phone: '+233 24 412 3457', client_reference: 'order-2' })
    // The newest pending payment is the default; another is named by its reference.
    expect(await simulate('--reject')).toMatchObject({ reference: rejected.reference, status: 'FAILED', failure_reason: 'APPROVAL_REJECTED' })
    const paid = await simulate('--approve', '--reference', approved.reference)
    expect(paid).toMatchObject({ reference: approved.reference, status: 'SUCCESS' })
    expect(paid.telco_transaction_id).toMatch(/^\d{10}$/)
    // The simulator called back to the daemon's own URL: that callback is in the audit log too.
    const legs = await waitFor(async () => {
      const l = (await call<{ legs: Array<{ kind: string, url: string }> }>('GET', `/v1/payments/${approved.reference}/audit`)).legs
      return l.some((x) => x.kind === 'callback') ? l : undefined
    }, 'the embedded simulator\'s callback')
    expect(legs.find((x) => x.kind === 'callback')?.url).toBe(`/v1/channels/mtn_momo/callback?reference=${approved.channel?.reference_id ?? ''}`)

    // Harpoon's /v1/transactions takes the same channel: its hosted checkout page then says to
    // approve the prompt on the phone instead of giving USSD steps, and the customer's approval settles it.
    const viaCheckout = await call<{ reference: string, checkout_url: string }>('POST', '/v1/transactions/initialize', { amount: '12.50', phone_number: '0244123458', channel: 'mtn_momo' })
    const page = await (await fetch(viaCheckout.checkout_url)).text()
    expect(page).toContain('Approve on your phone')
    expect(page).not.toContain('How to pay')
    expect(await simulate('--approve', '--reference', viaCheckout.reference)).toMatchObject({ reference: viaCheckout.reference, status: 'SUCCESS' })

    // A live key has no test channel to use.
    const live = JSON.parse((await run(process.execPath, [CLI, 'keys', 'create', '--name', 'live', '--mode', 'live', '--json', '--config', join(dir.path, 'harpoon.json')])).stdout) as { key: string }
    const res = await fetch(`${daemon.url}/v1/payments/initialize`, { method: 'POST', headers: { authorization: `Bearer ${live.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ amount: '5.00', channel: 'mtn_momo', customer_phone: '0244123456' }) })
    expect(res.status).toBe(422)
  }, 60_000) // four CLI processes (simulate ×3, keys create) beside the daemon: slow on a shared machine

  it('collects a KES test payment with channel "ipay" through the embedded iPay simulator, whose test phones decide', async () => {
    const dir = tempDir()
    track.later(dir.cleanup)
    const daemon = track.daemon(await spawnDaemon(dir.path, { virtual_modems: false, channel_calls: { status_schedule: [0.5, 1], poll_interval_ms: 50 } }))
    expect(daemon.logs().some((l) => l['msg'] === 'EMBEDDED iPay simulator for test-mode payments with channel "ipay"')).toBe(true)
    const key = firstKey(daemon.output())
    const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => await apiCall<T>(`${daemon.url}${path}`, key, method, body)
    const settled = async (reference: string): Promise<Payment> =>
      await waitFor(async () => { const p = await call<Payment>('GET', `/v1/payments/${reference}`); return p.status !== 'PENDING' ? p : undefined }, `payment ${reference} to settle`)
    // The simulated customers answer after 3 s of real time (the simulator's default).
    const paid = await call<Payment & { pay_to: Array<{ paybill?: string }> }>('POST', '/v1/payments/initialize', { amount: '150.00', channel: 'ipay', customer_phone: '0712345678' })
    const cancelled = await call<Payment>('POST', '/v1/payments/initialize', { amount: '20.00', channel: 'ipay', customer_phone: '0700000002', method: 'airtel' })
    expect(paid.pay_to.map((p) => p.paybill)).toEqual(['510800', '510800'])
    expect(await settled(paid.reference)).toMatchObject({ status: 'SUCCESS', telco_transaction_id: expect.stringMatching(/^[A-Z0-9]{10}$/) })
    expect(await settled(cancelled.reference)).toMatchObject({ status: 'FAILED', failure_reason: 'CANCELLED' })
    // The simulator called back to the daemon's own URL, and the daemon checked it with the IPN.
    const legs = await waitFor(async () => {
      const l = (await call<{ legs: Array<{ kind: string, url: string, operation: string | null }> }>('GET', `/v1/payments/${paid.reference}/audit`)).legs
      return l.some((x) => x.kind === 'callback') && l.some((x) => x.operation === 'ipn') ? l : undefined
    }, 'the embedded iPay simulator\'s callback')
    expect(legs.find((x) => x.kind === 'callback')?.url).toMatch(/^\/v1\/channels\/ipay\/callback\?status=aei7p7yrx4ae34&id=hpn/)
  })
})
