import { testSecretKey } from '../secret-key.js'
import { afterEach, describe, expect, it } from 'vitest'
import { startPtyModem, type PtyModem } from '../../fixtures/modem-harness/pty.js'
import { openLedger } from '../../ledger/open.js'
import { ModemSimulator } from '../../modem/virtual/engine.js'
import { createEndpoint } from '../../webhooks/endpoints.js'
import { mtnCreditPdus } from '../faults/support.js'
import { spawnDaemon } from '../helpers/daemon-process.js'
import { startPostgresServer, type PostgresServer } from '../../fixtures/postgres-server.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { startReceiver, type Receiver } from '../webhooks/receiver.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

/**
 * PostgreSQL stops under a running daemon (a crash: `pg_ctl stop -m immediate`) and comes back: the
 * daemon answers 503 meanwhile, keeps the SMS that arrive on the SIM, and carries on by itself.
 * Its own server: stopping the run's shared one would break every other file.
 */
describe('a PostgreSQL outage under a running daemon', () => {
  it('answers 503 database_unavailable and /healthz 503 while the database is away, keeps SMS on the SIM, and resumes on its own', async () => {
    const server: PostgresServer = await startPostgresServer()
    cleanups.push(server.destroy)
    const database = { path: 'unused.db', url: await server.createDatabase('harpoon') }

    const receiver: Receiver = await startReceiver()
    cleanups.push(receiver.close)
    const setup = await openLedger(database, { secretKey: testSecretKey() })
    await setup.merchants.create({ id: 'default', name: 'Shop' })
    const key = (await setup.apiKeys.create({ merchantId: 'default', name: 'outage', mode: 'live', scopes: ['payments:read', 'payments:write'] })).secret
    await createEndpoint(setup, { merchantId: 'default', mode: 'live' }, { url: receiver.url })
    await setup.close()

    const sim = new ModemSimulator({ profile: 'sim800', imsi: '620010000000001', memories: { SM: 20 } })
    const pty: PtyModem = await startPtyModem(sim)
    cleanups.push(pty.close)
    const dir = tempDir()
    cleanups.push(dir.cleanup)
    const daemon = await spawnDaemon(dir.path, {
      database,
      virtual_modems: false,
      modems: [{ id: 'mtn-1', port: pty.path, network: 'mtn', msisdn: '0244000001' }],
      modem_polling: { scan_interval_ms: 300, command_timeout_ms: 1000, list_timeout_ms: 3000 },
      webhooks: { allow_private_targets: true, retry_schedule: [0.5, 0.5, 0.5], poll_interval_ms: 100 }
    })
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }
    const initialize = async (): Promise<Response> => await fetch(`${daemon.url}/v1/payments/initialize`, { method: 'POST', headers: auth, body: JSON.stringify({ amount: '12.50' }) })
    const before = await initialize()
    expect(before.status).toBe(201)
    const payment = (await before.json() as { data: { reference: string, hpn_code: string } }).data

    await server.stop('immediate')
    const down = await initialize()
    expect(down.status).toBe(503)
    expect(down.headers.get('retry-after')).toBe('1')
    expect((await down.json() as { error: { code: string } }).error.code).toBe('database_unavailable')
    const health = await fetch(`${daemon.url}/healthz`)
    expect(health.status).toBe(503)
    expect(await health.json()).toMatchObject({ status: 'down', database: 'unavailable' })
    // The customer pays while the database is away: the SMS waits on the SIM, never deleted unstored.
    for (const pdu of mtnCreditPdus({ amountMinor: 1250, reference: payment.hpn_code, transactionId: '51234567001', balanceMinor: 1250, ref: 1 })) sim.deliver(pdu)
    await waitFor(() => daemon.logs().some((l) => l['msg'] === 'modem: could not store an SMS; it stays on the SIM and is read again') ? true : undefined, 'a failed store')
    expect(sim.messages()).toHaveLength(2)

    await server.start()
    await waitFor(async () => (await fetch(`${daemon.url}/healthz`)).status === 200 ? true : undefined, '/healthz to say the database is back')
    expect((await initialize()).status).toBe(201)
    const paid = await waitFor(async () => {
      const res = await fetch(`${daemon.url}/v1/payments/${payment.reference}`, { headers: auth })
      const body = await res.json() as { data: { status: string } }
      return body.data.status === 'SUCCESS' ? body.data : undefined
    }, 'the payment to be paid by the SMS that waited on the SIM')
    expect(paid.status).toBe('SUCCESS')
    // Each part is deleted after the commit that stored it, over the serial line: the settlement may
    // be read a moment before the last AT+CMGD has gone through (the suite caught it once).
    await waitFor(() => sim.messages().length === 0 ? true : undefined, 'both parts deleted from the SIM once stored')
    await receiver.waitFor(1)
    expect(JSON.parse(receiver.requests[0]?.body ?? '{}')).toMatchObject({ event: 'transaction.completed', data: { reference: payment.reference } })
    expect(daemon.child.exitCode).toBeNull()
    daemon.child.kill('SIGTERM')
    expect(await daemon.exited).toBe(0)
  })
})
