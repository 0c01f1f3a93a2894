import { afterAll, describe, expect, it } from 'vitest'
import { ModemSimulator } from '../../modem/virtual/engine.js'
import { startPtyModem, type PtyModem } from '../../fixtures/modem-harness/pty.js'
import { createEndpoint } from '../../webhooks/endpoints.js'
import { openTestLedger } from '../helpers/ledger.js'
import { tempDir } from '../helpers/temp-dir.js'
import { startReceiver, type Receiver } from '../webhooks/receiver.js'
import { sleep, startKillable, waitFor, writeConfig, type Killable } from './support.js'
import { rng, Traffic } from './traffic.js'

const KILLS = Number(process.env['HARPOON_FAULT_KILLS'] ?? 32)
const SEED = Number(process.env['HARPOON_FAULT_SEED'] ?? Date.now() % 1_000_000)

describe(`kill -9 at random points while SMS and API traffic flow (seed ${SEED})`, () => {
  const dir = tempDir('harpoon-faults-')
  let pty: PtyModem | null = null
  let receiver: Receiver | null = null
  let daemon: Killable | null = null
  afterAll(async () => {
    await daemon?.kill9()
    await pty?.close()
    await receiver?.close()
    dir.cleanup()
  })

  it(`survives ${KILLS} kills with the ledger invariants intact`, async () => {
    const random = rng(SEED)
    const sim = new ModemSimulator({ profile: 'sim800', imsi: '620010000000001', memories: { SM: 60 } })
    pty = await startPtyModem(sim)
    receiver = await startReceiver()
    const setup = await openTestLedger({ dir: dir.path })
    const { ledger } = setup
    await ledger.merchants.create({ id: 'default', name: 'Shop' })
    const key = (await ledger.apiKeys.create({ merchantId: 'default', name: 'faults', mode: 'live', scopes: ['payments:read', 'payments:write'] })).secret
    const { secret } = await createEndpoint(ledger, { merchantId: 'default', mode: 'live' }, { url: receiver.url })
    await setup.close()
    const configPath = await writeConfig(dir.path, {
      modems: [{ id: 'mtn-1', port: pty.path, network: 'mtn', msisdn: '0244000001' }],
      modem_polling: { scan_interval_ms: 300, command_timeout_ms: 1000, list_timeout_ms: 3000 },
      webhooks: { allow_private_targets: true, retry_schedule: [0.2, 0.5, 1, 1, 1, 1, 1, 1, 1, 1], timeout_ms: 1000, poll_interval_ms: 100 }
    })

    const traffic = new Traffic(random, key)
    const deliver = (pdus: string[]): void => { for (const pdu of pdus) sim.deliver(pdu) }

    for (let i = 0; i < KILLS; i++) {
      daemon = startKillable(configPath)
      const d = daemon
      let alive = true
      // Anywhere from mid-start-up (settling stored messages, re-claiming leases) to well into traffic.
      // Half the kills are timed from the spawn, half from when the API listens: on a loaded machine a
      // start can take seconds, and kills timed only from the spawn would then never meet any traffic.
      const fromListening = random() < 0.5
      const killAfter = 150 + Math.floor(random() * 1500)
      const flowing = d.url.then(async (url) => {
        const sms = setInterval(() => { traffic.sms(deliver) }, 40)
        try { await Promise.all([traffic.api(() => [url], () => alive), traffic.api(() => [url], () => alive)]) } finally { clearInterval(sms) }
      }, () => {})
      if (fromListening) await d.url.catch(() => {})
      await sleep(killAfter)
      alive = false
      await d.kill9()
      await flowing
    }

    // A last start that is left alone: everything stored must settle and every event be delivered.
    daemon = startKillable(configPath)
    await daemon.url
    // Only reads, while the last daemon writes.
    const watch = await openTestLedger({ dir: dir.path })
    const db = watch.rows
    await waitFor(async () => await traffic.settled(db, [sim]) ? true : undefined,
      'the SIM to empty, every SMS to settle and every delivery to arrive', 90_000, async () => await traffic.describe(db, [sim]))
    await traffic.replayPending([await daemon.url])
    await daemon.stop()

    // No SMS lost from the SIM or the database, none counted twice; every event delivered.
    expect(sim.messages()).toEqual([])
    const { deliveries } = await traffic.expectInvariants(db, receiver, secret)
    process.stderr.write(`kill -9 suite: ${KILLS} kills, ${traffic.known.length} payments created over the API (${traffic.replayed} Idempotency-Keys replayed by a later start), ${traffic.sent.length} credit SMS ` +
      `(+ repeats), ${deliveries} events, ${receiver.requests.length} webhook requests received\n`)
    await watch.close()
  }, Number(process.env['HARPOON_FAULT_TIMEOUT'] ?? 280_000))
})
