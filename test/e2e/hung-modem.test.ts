import { afterEach, describe, expect, it } from 'vitest'
import { ModemSimulator } from '../../modem/virtual/engine.js'
import { startPtyModem, type PtyModem } from '../../fixtures/modem-harness/pty.js'
import { encodeDeliver } from '../../modem/pdu/encode.js'
import { openTestLedger } from '../helpers/ledger.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon-process.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { while (cleanups.length > 0) await cleanups.pop()?.() })


interface Modem { id: string, connected: boolean, counters: Record<string, number>, last_error: string | null }

describe('a modem that stops answering', () => {
  it('is reset without holding up the API or another modem', async () => {
    const dir = tempDir()
    cleanups.push(dir.cleanup)
    const huawei = new ModemSimulator({ profile: 'huawei-e173', imsi: '620010000000001' })
    const sim800 = new ModemSimulator({ profile: 'sim800', imsi: '620020000000002' })
    const ptys: PtyModem[] = [await startPtyModem(huawei), await startPtyModem(sim800)]
    for (const p of ptys) cleanups.push(async () => { await p.close() })

    // An operator key made the way an operator would, before the daemon starts.
    const { ledger, close } = await openTestLedger({ dir: dir.path })
    await ledger.merchants.create({ name: 'Shop' })
    const key = (await ledger.apiKeys.create({ merchantId: 'default', name: 'ops', mode: 'live', scopes: ['operator', 'payments:read', 'payments:write'] })).secret
    await close()

    const daemon: DaemonProcess = await spawnDaemon(dir.path, {
      modem_polling: { scan_interval_ms: 1000, command_timeout_ms: 1500, list_timeout_ms: 3000 },
      modems: [
        { id: 'mtn-1', port: ptys[0]?.path, network: 'mtn', msisdn: '0244000001' },
        { id: 'telecel-1', port: ptys[1]?.path, network: 'telecel', msisdn: '0204000002' }
      ]
    })
    cleanups.push(async () => { if (daemon.child.exitCode === null) { daemon.child.kill('SIGKILL'); await daemon.exited } })
    const auth = { authorization: `Bearer ${key}` }
    const modems = async (): Promise<Modem[]> => ((await (await fetch(`${daemon.url}/v1/modems`, { headers: auth })).json()) as { data: Modem[] }).data
    await waitFor(async () => (await modems()).every((m) => m.connected) ? true : undefined, 'both modems to connect')

    const p = ((await (await fetch(`${daemon.url}/v1/payments/initialize`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ amount: 15 })
    })).json()) as { data: { reference: string, hpn_code: string } }).data

    huawei.hang(true)
    // The hung modem shows up as timing out; meanwhile the API answers and the other modem reads SMS.
    sim800.deliver(encodeDeliver({
      sender: 'T-CASH',
      sentAt: '2026-01-14T09:05:44+00:00',
      text: `0000014535180494 Confirmed. You have received GHS15.00 from 233500000008 - ANSAH-KOFI YAW on 2026-09-19 at 21:37:35. Your Telecel Cash balance is GHS15.00. Reference: ${p.hpn_code}.`
    }))
    const status = await waitFor(async () => {
      const health = await fetch(`${daemon.url}/healthz`)
      expect(health.status).toBe(200)
      const body = (await (await fetch(`${daemon.url}/v1/payments/${p.reference}`, { headers: auth })).json()) as { data: { status: string } }
      return body.data.status === 'SUCCESS' ? body.data.status : undefined
    }, 'the telecel modem to settle the payment')
    expect(status).toBe('SUCCESS')
    const hung = await waitFor(async () => {
      const m = (await modems()).find((x) => x.id === 'mtn-1')
      return m !== undefined && ((m.counters['timeouts'] ?? 0) > 0 || !m.connected) ? m : undefined
    }, 'the hung modem to be noticed')
    expect(hung.last_error).not.toBeNull()

    huawei.hang(false)
    await waitFor(async () => {
      const m = (await modems()).find((x) => x.id === 'mtn-1')
      return m?.connected === true && (m.counters['reconnects'] ?? 0) + (m.counters['reinits'] ?? 0) > 0 ? true : undefined
    }, 'the hung modem to be reset and come back')
  }, 90_000)
})
