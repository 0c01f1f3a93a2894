import { afterAll, describe, expect, it } from 'vitest'
import { startIpaySimulator, type IpaySimulator } from '../../channels/ipay/simulator.js'
import type { SimTransaction } from '../../channels/ipay/sim-state.js'
import { apiCall, firstKey } from '../helpers/http.js'
import { freePort } from '../helpers/ports.js'
import { testDatabase } from '../helpers/ledger.js'
import { simControl } from '../helpers/mtn-sim.js'
import { tempDir } from '../helpers/temp-dir.js'
import { startKillable, waitFor, writeConfig, type Killable } from './support.js'

interface Payment { reference: string, status: string, actual_amount: string | null, telco_transaction_id: string | null, channel: { reference_id: string } | null, credits: unknown[] }
interface Lookup { payment: Payment, events: Array<{ type: string }> }

/**
 * Issue 15: iPay's session (transact) is opened before the payment commits; the STK push is written
 * to the outbox in the payment's transaction and sent after the commit. Killed with SIGKILL between
 * that commit and the push reaching iPay (here: the push hangs at iPay, which does nothing with it),
 * the restarted daemon pushes the same session once: the customer gets exactly one prompt, and the
 * payment settles once.
 */
describe.each(['sqlite', 'postgres'] as const)('SIGKILL between the payment\'s commit and the STK push to iPay (%s)', (engine) => {
  const dir = tempDir(`harpoon-ipay-kill9-${engine}-`)
  const epoch = Date.now()
  let sim: IpaySimulator | null = null
  let daemon: Killable | null = null
  afterAll(async () => {
    await daemon?.kill9()
    await sim?.close()
    dir.cleanup()
  })

  it('pushes once after the restart, and the payment settles once', async () => {
    sim = await startIpaySimulator({ clock: { now: () => epoch }, settings: { customerDelayMs: 5_000 } })
    const s = sim
    const control = simControl(s.url)
    const port = await freePort()
    const configPath = await writeConfig(dir.path, {
      database: await testDatabase(dir.path, engine),
      api: { port, rate_limit: { max: 100_000, window_ms: 1000 } },
      channel_calls: { timeout_ms: 1_000, retry_schedule: [0.1, 0.2], status_schedule: [0.2, 0.5], poll_interval_ms: 50 },
      channels: [{
        id: 'ipay-ke', type: 'ipay', mode: 'test', base_url: s.baseUrl, ipn_url: s.ipnUrl, vendor_id: 'demo', hash_key: 'demoCHANGED',
        live: false, currency: 'KES', callback_url: `http://127.0.0.1:${port}/v1/channels/ipay-ke/callback`
      }]
    })
    const session = (p: Payment): SimTransaction | undefined => [...s.state.transactions.values()].find((t) => t.oid === p.channel?.reference_id)

    // The next push hangs at iPay (and does nothing): the daemon has committed the payment and is inside its call.
    expect((await control('POST', '/_sim/faults', { endpoint: 'push', mode: 'hang', count: 1 })).status).toBe(200)
    daemon = startKillable(configPath)
    const url = await daemon.url
    const key = firstKey(daemon.output())
    const created = await apiCall<Payment>(`${url}/v1/payments/initialize`, key, 'POST', { amount: '150.00', channel: 'ipay-ke', customer_phone: '0712345678', method: 'mpesa' })
    const tx = session(created)
    expect(tx).toBeDefined()
    await waitFor(async () => (await control('GET', '/_sim')).body.faults.length === 0 ? true : undefined, 'the daemon to be inside its push')
    await daemon.kill9()
    expect(tx?.pushes).toBe(0)

    await control('DELETE', '/_sim/faults')
    daemon = startKillable(configPath)
    const again = await daemon.url
    // The dead process's lease lapses, then the same session is pushed: one prompt.
    await waitFor(() => (tx?.pushes ?? 0) > 0 ? true : undefined, 'the STK push after the restart')
    await s.state.advance(5_000)
    const found = await waitFor(async () => {
      const l = await apiCall<Lookup>(`${again}/v1/operator/payments/${created.reference}`, key)
      return l.payment.status === 'SUCCESS' ? l : undefined
    }, 'the payment to settle')
    expect(tx?.pushes).toBe(1)
    expect([...s.state.transactions.values()].filter((t) => t.oid === created.channel?.reference_id)).toHaveLength(1)
    expect([found.payment.actual_amount, found.payment.telco_transaction_id, found.payment.credits.length]).toEqual(['150.00', tx?.payment?.txncd, 1])
    expect(found.events.map((e) => e.type)).toEqual(['transaction.completed'])
    await daemon.stop()
  })
})
