import { afterAll, describe, expect, it } from 'vitest'
import { ModemSimulator } from '../../modem/virtual/engine.js'
import { startPtyModem, type PtyModem } from '../../fixtures/modem-harness/pty.js'
import type { PaymentRow } from '../../ledger/payment-model.js'
import { sql } from '../../ledger/testing.js'
import { openTestLedger } from '../helpers/ledger.js'
import { tempDir } from '../helpers/temp-dir.js'
import { mtnCreditPdus, sleep, startKillable, waitFor, writeConfig, type Killable } from './support.js'

interface Modem { connected: boolean, counters: Record<string, number>, last_error: string | null }

/**
 * A modem replying garbage, hanging, and vanishing in the middle of a command: the daemon keeps
 * serving, recovers the modem by itself, and every credit sent meanwhile is counted exactly once.
 */
describe('a misbehaving modem', () => {
  const dir = tempDir('harpoon-modem-faults-')
  let pty: PtyModem | null = null
  let daemon: Killable | null = null
  afterAll(async () => { await daemon?.stop(); await pty?.close(); dir.cleanup() })

  it('replies garbage, hangs, vanishes mid-command: the daemon survives and recovers each time', async () => {
    const sim = new ModemSimulator({ profile: 'huawei-e173', imsi: '620010000000001' })
    pty = await startPtyModem(sim)
    const setup = await openTestLedger({ dir: dir.path })
    const { ledger } = setup
    await ledger.merchants.create({ id: 'default', name: 'Shop' })
    const key = (await ledger.apiKeys.create({ merchantId: 'default', name: 'faults', mode: 'live', scopes: ['payments:read', 'payments:write', 'operator'] })).secret
    const owner = { merchantId: 'default', mode: 'live' } as const
    const payments: PaymentRow[] = []
    for (let i = 0; i < 6; i++) payments.push((await ledger.payments.initialize(owner, { amountMinor: 1000 + i, currency: 'GHS', clientReference: null, customerPhone: null, meta: null, expiresInSeconds: 3600 })).payment)
    await setup.close()
    daemon = startKillable(await writeConfig(dir.path, {
      modems: [{ id: 'mtn-1', port: pty.path, network: 'mtn', msisdn: '0244000001' }],
      modem_polling: { scan_interval_ms: 400, command_timeout_ms: 800, list_timeout_ms: 1500 }
    }))
    const url = await daemon.url
    const auth = { authorization: `Bearer ${key}` }
    const modem = async (): Promise<Modem> => ((await (await fetch(`${url}/v1/modems`, { headers: auth })).json()) as { data: Modem[] }).data[0] as Modem
    const status = async (reference: string): Promise<string> => ((await (await fetch(`${url}/v1/payments/${reference}`, { headers: auth })).json()) as { data: { status: string } }).data.status
    const alive = async (): Promise<void> => {
      expect(daemon?.child.exitCode).toBeNull()
      expect((await fetch(`${url}/healthz`)).status).toBe(200)
    }
    let tx = 0
    const pay = (i: number): void => {
      const p = payments[i]
      if (p === undefined) throw new Error('no such payment')
      for (const pdu of mtnCreditPdus({ amountMinor: p.expected_minor, reference: p.hpn_code, transactionId: `9${String(++tx).padStart(10, '0')}`, balanceMinor: 5000 * tx, ref: tx })) sim.deliver(pdu)
    }
    const settles = async (i: number, what: string): Promise<void> => {
      const p = payments[i]
      if (p === undefined) throw new Error('no such payment')
      try {
        await waitFor(async () => (await status(p.reference)) === 'SUCCESS' ? true : undefined, `payment ${i} to settle after ${what}`, 90_000)
      } catch (err) {
        throw new Error(`${(err as Error).message}\nmodem: ${JSON.stringify(await modem())}\nSIM: ${sim.messages().length} messages\n` +
          `simulator: ${sim.transcript.slice(-15).map((t) => `${t.dir} ${JSON.stringify(t.text)}`).join('\n')}\ndaemon:\n${daemon?.output().split('\n').slice(-15).join('\n') ?? ''}`)
      }
    }
    await waitFor(async () => (await modem()).connected ? true : undefined, 'the modem to connect')

    // Garbage: line noise instead of replies, for several commands in a row, then a credit.
    sim.garbage(6)
    pay(0)
    await alive()
    await settles(0, 'garbage replies')
    // Counted in commands: the daemon tries AT five times per session and backs off between sessions
    // (1 s, 2 s, 4 s…), so a dozen noisy replies span several reconnects.
    sim.garbage(12)
    await sleep(1500)
    pay(1)
    await alive()
    await settles(1, 'a long run of garbage')

    // Hang: the stick stops answering with its port open; a credit arrives meanwhile.
    sim.hang(true)
    pay(2)
    await waitFor(async () => { const m = await modem(); return (m.counters['timeouts'] ?? 0) > 0 || !m.connected ? true : undefined }, 'the hang to be noticed')
    await alive()
    sim.hang(false)
    await settles(2, 'a hang')

    // Vanish mid-command: the listing is asked for (+CMTI), and the device disappears before answering.
    sim.hang(true)
    pay(3)
    await sleep(300)
    await pty.unplug()
    pay(4)
    await waitFor(async () => (await modem()).connected ? undefined : true, 'the unplug to be noticed')
    await alive()
    sim.hang(false)
    await pty.replug()
    await settles(3, 'an unplug mid-command and a replug')
    await settles(4, 'an unplug mid-command and a replug')

    // Vanish while idle, then garbage right after the replug.
    await pty.unplug()
    pay(5)
    await sleep(500)
    sim.garbage(3)
    await pty.replug()
    await settles(5, 'an unplug, a replug and garbage')
    await alive()

    // Every credit counted once; the SIM is empty.
    await waitFor(() => sim.messages().length === 0 ? true : undefined, 'the SIM to be emptied')
    await daemon.stop()
    const check = await openTestLedger({ dir: dir.path })
    const credits = await check.rows.all<{ tx: string, n: number }>(sql`SELECT telco_transaction_id AS tx, count(*) AS n FROM credits WHERE status <> 'duplicate' GROUP BY telco_transaction_id`)
    await check.close()
    expect(credits).toHaveLength(tx)
    expect(credits.every((c) => c.n === 1)).toBe(true)
  }, 200_000)
})
