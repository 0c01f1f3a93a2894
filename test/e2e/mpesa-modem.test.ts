import { afterEach, describe, expect, it } from 'vitest'
import { startPtyModem } from '../../fixtures/modem-harness/pty.js'
import { simulatedTransactionId, telcoCreditText } from '../../ingest/telco-wording.js'
import { encodeDeliver } from '../../modem/pdu/encode.js'
import { ModemSimulator } from '../../modem/virtual/engine.js'
import { spawnDaemon } from '../helpers/daemon-process.js'
import { openTestLedger } from '../helpers/ledger.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { while (cleanups.length > 0) await cleanups.pop()?.() })

interface Payment { reference: string, status: string, expected_amount: string, amount_to_pay: string, actual_amount: string | null, telco_provider: string | null, telco_transaction_id: string | null, credits: Array<{ match_method: string, payer_phone: string | null }> }
interface Sms { text: string, outcome: string | null, network: string }

/**
 * Kenya over a real pseudo-terminal: a Safaricom SIM (IMSI 639 02…, no network in the config) in a
 * modem the daemon opens as it opens a USB stick; two open KES payments of the same price get
 * unique amounts; each M-PESA receipt settles the payment of its amount; the Fuliza notice that
 * reuses a payment's code counts nothing.
 */
describe('M-PESA on a modem', () => {
  it('settles two open KES payments by their unique amounts, and a Fuliza notice with the same code counts nothing', async () => {
    const dir = tempDir()
    cleanups.push(dir.cleanup)
    const sim = new ModemSimulator({ profile: 'sim800', imsi: '639020000000077', chunking: 'fragments', seed: 7 })
    const pty = await startPtyModem(sim)
    cleanups.push(async () => { await pty.close() })

    const { ledger, close } = await openTestLedger({ dir: dir.path })
    await ledger.merchants.create({ name: 'Duka' })
    const key = (await ledger.apiKeys.create({ merchantId: 'default', name: 'shop', mode: 'live', scopes: ['operator', 'payments:read', 'payments:write'] })).secret
    await close()

    const daemon = await spawnDaemon(dir.path, {
      modem_polling: { scan_interval_ms: 1000 },
      modems: [{ id: 'safaricom-1', port: pty.path, msisdn: '+254700000001' }]
    })
    cleanups.push(async () => { if (daemon.child.exitCode === null) { daemon.child.kill('SIGKILL'); await daemon.exited } })
    const auth = { authorization: `Bearer ${key}` }
    const get = async <T>(path: string): Promise<T> => ((await (await fetch(`${daemon.url}${path}`, { headers: auth })).json()) as { data: T }).data

    // The network comes from the SIM's IMSI: the modem's wallet is an M-PESA one, in KES.
    const modem = await waitFor(async () => (await get<Array<{ id: string, connected: boolean, network: string | null }>>('/v1/modems')).find((m) => m.connected && m.network !== null), 'the Safaricom modem to connect')
    expect(modem).toMatchObject({ id: 'safaricom-1', network: 'mpesa' })

    const initialize = async (order: string): Promise<Payment & { pay_to: Array<{ network: string, msisdn: string }> }> => {
      const res = await fetch(`${daemon.url}/v1/payments/initialize`, {
        method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ amount: 500, currency: 'KES', client_reference: order })
      })
      expect(res.status).toBe(201)
      return ((await res.json()) as { data: Payment & { pay_to: Array<{ network: string, msisdn: string }> } }).data
    }
    const first = await initialize('order-1')
    const second = await initialize('order-2')
    expect([first.amount_to_pay, second.amount_to_pay]).toEqual(['500.00', '501.00'])
    expect(first.pay_to).toEqual([expect.objectContaining({ network: 'mpesa', msisdn: '0700000001' })])

    // Safaricom's receipts, the second payment's first, as PDUs from sender MPESA.
    const receipt = (amountMinor: number, name: string, balanceMinor: number): { code: string, text: string } => {
      const at = new Date()
      const code = simulatedTransactionId('mpesa', Math.random, at)
      return { code, text: telcoCreditText({ network: 'mpesa', amountMinor, reference: '', payerPhone: '0722555111', payerName: name, transactionId: code, balanceMinor, at }) }
    }
    const forSecond = receipt(50_100, 'JOHN KAMAU', 50_100)
    const forFirst = receipt(50_000, 'MARY ATIENO', 100_100)
    sim.deliver(encodeDeliver({ sender: 'MPESA', text: forSecond.text }))
    sim.deliver(encodeDeliver({ sender: 'MPESA', text: forFirst.text }))
    const fuliza = `${forFirst.code} Confirmed. Fuliza M-PESA amount is Ksh 500.00. Access Fee charged Ksh 5.00. Total Fuliza M-PESA outstanding amount is Ksh505.00 due on 30/06/26. To check daily charges, Dial *334#OK Select Query Charges`
    sim.deliver(encodeDeliver({ sender: 'MPESA', text: fuliza }))

    const inbox = await waitFor(async () => {
      const items = await get<Sms[]>('/v1/sms')
      return items.length === 3 && items.every((m) => m.outcome !== null) ? items : undefined
    }, 'the three SMS to be settled')
    expect(inbox.map((m) => [m.network, m.outcome])).toEqual([['mpesa', 'other'], ['mpesa', 'credit'], ['mpesa', 'credit']])

    const a = await get<Payment>(`/v1/payments/${first.reference}`)
    const b = await get<Payment>(`/v1/payments/${second.reference}`)
    expect(a).toMatchObject({ status: 'SUCCESS', expected_amount: '500.00', amount_to_pay: '500.00', actual_amount: '500.00', telco_provider: 'mpesa', telco_transaction_id: forFirst.code })
    expect(b).toMatchObject({ status: 'SUCCESS', expected_amount: '500.00', amount_to_pay: '501.00', actual_amount: '501.00', telco_provider: 'mpesa', telco_transaction_id: forSecond.code })
    expect(a.credits).toEqual([expect.objectContaining({ match_method: 'unique_amount', payer_phone: '0722***111' })])
    const credits = await get<Array<{ telco_transaction_id: string }>>('/v1/credits')
    expect(credits.map((c) => c.telco_transaction_id).sort()).toEqual([forFirst.code, forSecond.code].sort())
    // Every message was deleted from the SIM once committed.
    await waitFor(() => sim.messages().length === 0 ? true : undefined, 'the SIM to be empty')
  }, 90_000)
})
