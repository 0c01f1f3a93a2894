import pino, { type Logger } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { ModemSimulator } from './virtual/engine.js'
import { inProcessTransport } from '../fixtures/modem-harness/in-process.js'
import { encodeDeliver, encodeMultipart } from './pdu/encode.js'
import { ModemSupervisor } from './supervisor.js'
import { STORE_BATCH } from './reception.js'
import type { ModemConfig } from './runner.js'
import { DatabaseUnavailableError } from '../ledger/engine.js'
import { sql } from '../ledger/testing.js'
import { silentLogger, testInbox, until, type TestInbox } from '../test/support/modem-inbox.js'
import { ManualClock } from '../test/support/manual-clock.js'
import { waitFor } from '../test/helpers/wait-for.js'
import type { ProfileName } from './virtual/profiles.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

/** With a manual clock, the multipart release timer waits this long: a wait under a minute is the runner's. */
const RELEASE_MS = 3_600_000
const RUNNER_WAITS_UNDER = 60_000

/**
 * Waits until the runner is waiting on the clock (back-off, scan period or store retry), then moves
 * time to the moment it wakes; returns how long it was to wait.
 */
async function runNextWait (clock: ManualClock): Promise<number> {
  const wait = await waitFor(() => clock.waiting().find((ms) => ms < RUNNER_WAITS_UNDER), 'the runner to wait on its clock')
  clock.advance(wait)
  return wait
}

const credit = 'Payment received for GHS 100.00 from KOFI MENSAH 0244123456 Current Balance: GHS 1,100.00. Reference: HKMVR2. Transaction ID: 45678901234.'

async function rig (profile: ProfileName, given?: TestInbox, config: Partial<ModemConfig> = {}, logger: Logger = silentLogger,
  options: { failedOpens?: number, maxBackoffMs?: number, scanIntervalMs?: number, clock?: ManualClock, memories?: Record<string, number> } = {}) {
  const inbox = given ?? await testInbox()
  const sim = new ModemSimulator({ profile, imsi: '620010000000009', chunking: 'fragments', seed: 7, ...(options.memories === undefined ? {} : { memories: options.memories }), ...(config.pin ? { pin: config.pin, simBusyCommands: 3 } : {}) })
  const transports: Array<Awaited<ReturnType<typeof inProcessTransport>>> = []
  let failedOpens = options.failedOpens ?? 0
  const supervisor = new ModemSupervisor({
    modems: [{ id: 'mtn-1', port: 'sim://mtn-1', ...config }],
    inbox: inbox.port,
    onMessage: inbox.onMessage,
    logger,
    ...(options.clock === undefined ? {} : { clock: options.clock, releaseIntervalMs: RELEASE_MS }),
    openTransport: async (path) => {
      if (failedOpens-- > 0) throw new Error('no such device')
      const t = await inProcessTransport(sim, path)
      transports.push(t)
      return t
    },
    scanIntervalMs: options.scanIntervalMs ?? 50,
    commandTimeoutMs: 400,
    resyncQuietMs: 20,
    backoff: { initialMs: 20, maxMs: options.maxBackoffMs ?? 100 },
    busyDelayMs: 5
  })
  cleanups.push(async () => { await inbox.cleanup() })
  cleanups.push(async () => { await supervisor.stop() })
  return { sim, supervisor, inbox, transports }
}

describe('ModemSupervisor in process', () => {
  for (const profile of ['sim800', 'huawei-e173', 'quectel-ec25', 'wavecom'] as const) {
    it(`${profile}: reads messages already on the SIM, then new ones, deleting only after commit`, async () => {
      const { sim, supervisor, inbox } = await rig(profile)
      sim.store(encodeDeliver({ sender: 'MobileMoney', text: credit }), 1)
      sim.store(encodeDeliver({ sender: 'me', text: 'sent' }), 3)
      await supervisor.start()
      await until(() => inbox.messages.length === 1, 'the stored message')
      sim.deliver(encodeDeliver({ sender: '+233244123456', text: 'second €' }), 'before_echo')
      await until(() => inbox.messages.length === 2, 'the new message')
      expect(inbox.messages.map((m) => m.text)).toEqual([credit, 'second €'])
      expect(inbox.messages[0]).toMatchObject({ network: 'mtn', sender: 'MobileMoney', modemId: 'mtn-1', complete: true })
      // The stored outgoing message (stat 3) is left alone; the others go once committed.
      await until(() => sim.messages().length === 1, 'the deletes')
      expect(sim.messages().map((m) => m.stat)).toEqual([3])
      const status = supervisor.list()[0]!
      expect(status).toMatchObject({ connected: true, imsi: '620010000000009', network: 'mtn', sim_ready: true, signal_dbm: -73, registered: true })
      expect(status.counters.received).toBe(2)
      for (const del of sim.transcript.filter((t) => t.dir === 'in' && t.text.startsWith('AT+CMGD='))) {
        expect(inbox.commits.some((c) => c.seq < del.seq && `AT+CMGD=${c.index}` === del.text)).toBe(true)
      }
    })
  }

  it('huawei-e173: a full SIM (^SMMEMFULL) is emptied at once, and the message the network held back arrives', async () => {
    const inbox = await testInbox()
    // Time stands still: no periodic scan can hide the point, only the storage-full URC may trigger this one.
    const { sim, supervisor } = await rig('huawei-e173', inbox, {}, silentLogger, { clock: new ManualClock() })
    await supervisor.start()
    await until(() => supervisor.list()[0]!.connected, 'the modem to connect')
    const scansBefore = supervisor.list()[0]!.counters.scans
    const capacity = Object.values(sim.profile.memories)[0] as number
    let stored = 0
    while (sim.store(encodeDeliver({ sender: 'MobileMoney', text: `old ${stored}` }), 1) !== null) stored++
    expect(stored).toBeGreaterThan(0)
    expect(stored).toBeLessThanOrEqual(capacity)
    sim.deliver(encodeDeliver({ sender: 'MobileMoney', text: 'held back by the network' }))
    await until(() => inbox.messages.some((m) => m.text === 'held back by the network'), 'the held-back message')
    expect(inbox.messages.filter((m) => m.text.startsWith('old '))).toHaveLength(stored)
    expect(sim.transcript.some((t) => t.dir === 'out' && t.text.startsWith('^SMMEMFULL'))).toBe(true)
    expect(supervisor.list()[0]!.counters.scans).toBeGreaterThan(scansBefore)
  })

  it('enters the PIN once and never logs it, even at trace level', async () => {
    const lines: string[] = []
    // No timestamp, pid or hostname in the lines: their digits could contain the PIN by chance.
    const logger = pino({ level: 'trace', timestamp: false, base: undefined }, { write: (l: string) => { lines.push(l) } })
    const { sim, supervisor, inbox } = await rig('quectel-ec25', await testInbox(), { pin: '9731' }, logger)
    sim.deliver(encodeDeliver({ sender: 'MobileMoney', text: 'after pin' }))
    await supervisor.start()
    await until(() => inbox.messages.length === 1, 'message after PIN')
    expect(sim.commands().filter((c) => c.startsWith('AT+CPIN="')).length).toBe(1)
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.join('\n')).not.toContain('9731')
  })

  it('starts the back-off afresh once a session got ready after a run of failures', async () => {
    const lines: Array<{ msg: string, retryInMs?: number }> = []
    const logger = pino({ level: 'warn' }, { write: (l: string) => { lines.push(JSON.parse(l) as { msg: string, retryInMs?: number }) } })
    // Four failed opens (the stick is still enumerating), then it works.
    const clock = new ManualClock()
    const { supervisor, transports } = await rig('sim800', await testInbox(), {}, logger, { failedOpens: 4, maxBackoffMs: 10_000, clock })
    await supervisor.start()
    const waits: number[] = []
    for (let i = 0; i < 4; i++) waits.push(await runNextWait(clock))
    expect(waits).toEqual([20, 40, 80, 160])
    await until(() => supervisor.list()[0]?.connected === true, 'the modem to connect')
    const retries = (): number[] => lines.filter((l) => l.msg === 'modem: session ended; reopening after back-off').map((l) => l.retryInMs ?? -1)
    expect(retries()).toEqual([20, 40, 80, 160])
    transports[0]?.unplug()
    await until(() => retries().length === 5, 'the unplug to end the session')
    expect(retries()[4]).toBe(20)
    expect(await runNextWait(clock)).toBe(20)
  })

  it('gives up on a wrong PIN after one try instead of locking the SIM', async () => {
    const sim = new ModemSimulator({ profile: 'sim800', pin: '1111' })
    const inbox = await testInbox()
    const clock = new ManualClock()
    const supervisor = new ModemSupervisor({
      modems: [{ id: 'mtn-1', port: 'sim://x', pin: '2222' }],
      inbox: inbox.port,
      onMessage: inbox.onMessage,
      logger: silentLogger,
      clock,
      releaseIntervalMs: RELEASE_MS,
      openTransport: async (path) => await inProcessTransport(sim, path),
      backoff: { initialMs: 10, maxMs: 20 },
      resyncQuietMs: 10,
      busyDelayMs: 1
    })
    cleanups.push(async () => { await inbox.cleanup() })
    cleanups.push(async () => { await supervisor.stop() })
    await supervisor.start()
    for (let i = 0; i < 3; i++) await runNextWait(clock)
    await until(() => supervisor.list()[0]!.counters.reconnects >= 3, 'several reconnect attempts')
    expect(sim.commands().filter((c) => c.startsWith('AT+CPIN="')).length).toBe(1)
    expect(supervisor.list()[0]!.last_error).toMatch(/PIN/)
  })

  it('stores an undecodable PDU raw, then deletes it', async () => {
    const { sim, supervisor, inbox } = await rig('huawei-e173')
    const report = '079144973770939906660C91449788515605903021514363009030215143040000'
    sim.store(report, 1)
    await supervisor.start()
    await until(() => sim.messages().length === 0, 'the delete')
    expect(await inbox.rows.get(sql`SELECT status, raw_hex FROM sms_pdus`)).toEqual({ status: 'undecodable', raw_hex: report })
    // The scan adds its counts once it has finished (after the delete's answer).
    await until(() => supervisor.list()[0]!.counters.undecodable === 1, 'the scan to count it')
  })

  it('re-initialises after a reboot and keeps receiving multipart out of order', async () => {
    const { sim, supervisor, inbox } = await rig('sim800')
    await supervisor.start()
    await until(() => supervisor.list()[0]!.connected, 'connect')
    sim.reboot()
    const parts = encodeMultipart({ sender: 'MobileMoney', text: `${credit} ${'x'.repeat(200)}`, ref: 200 })
    expect(parts).toHaveLength(3)
    for (const i of [2, 0, 1]) sim.deliver(parts[i]!)
    await until(() => inbox.messages.length === 1, 'multipart after reboot')
    expect(inbox.messages[0]!.text).toBe(`${credit} ${'x'.repeat(200)}`)
    // The settings are re-applied either by the boot URC (a re-init in place) or, when a command
    // failed first because the reboot reset the modem to text mode, by a reconnect: both run init.
    await until(() => supervisor.list()[0]!.counters.reinits + supervisor.list()[0]!.counters.reconnects >= 1, 'the modem to be re-initialised after the reboot')
  })

  it('reconnects after the port vanishes and reads what arrived meanwhile', async () => {
    const clock = new ManualClock()
    const { sim, supervisor, inbox, transports } = await rig('huawei-e173', undefined, {}, silentLogger, { clock })
    await supervisor.start()
    await until(() => supervisor.list()[0]!.connected, 'connect')
    transports[0]!.unplug()
    sim.store(encodeDeliver({ sender: 'MobileMoney', text: 'while unplugged' }))
    // The unplug ends the scan-period wait at once; the back-off is the one wait before the reopen.
    await until(() => !supervisor.list()[0]!.connected, 'the session to end')
    expect(await runNextWait(clock)).toBe(20)
    await until(() => inbox.messages.length === 1, 'message after replug')
    await until(() => supervisor.list()[0]!.counters.reconnects >= 1, 'the reconnect to be counted')
  })

  it('keeps a message on the SIM while the ledger cannot store it, without dropping the session, and stores it once the ledger is back', async () => {
    const inner = await testInbox()
    let failing = true
    const inbox: TestInbox = {
      ...inner,
      port: {
        ...inner.port,
        recordPdu: async (modem, pdu) => {
          if (failing) throw new DatabaseUnavailableError('the database is not answering')
          return await inner.port.recordPdu(modem, pdu)
        },
        recordPdus: async (modem, pdus) => {
          if (failing) throw new DatabaseUnavailableError('the database is not answering')
          return await inner.port.recordPdus(modem, pdus)
        }
      }
    }
    const clock = new ManualClock()
    const { sim, supervisor } = await rig('sim800', inbox, {}, silentLogger, { clock })
    sim.store(encodeDeliver({ sender: 'MobileMoney', text: credit }), 1)
    await supervisor.start()
    // Each failed store shortens the wait to the next scan (at most the scan period, 50 ms here).
    for (let i = 0; i < 2; i++) expect(await runNextWait(clock)).toBe(50)
    await until(() => supervisor.list()[0]!.counters.store_failures >= 3, 'a few failed stores')
    const during = supervisor.list()[0]!
    expect(during).toMatchObject({ connected: true, last_error: expect.stringContaining('could not store an SMS (it stays on the SIM)') as unknown })
    expect(during.counters.reconnects).toBe(0)
    expect(sim.messages()).toHaveLength(1)
    expect(sim.transcript.some((t) => t.dir === 'in' && t.text.startsWith('AT+CMGD='))).toBe(false)
    failing = false
    await runNextWait(clock)
    await until(() => inner.messages.length === 1 && sim.messages().length === 0, 'the message stored, then deleted')
    expect(inner.messages[0]?.text).toBe(credit)
    expect(supervisor.list()[0]).toMatchObject({ connected: true, last_error: null })
  })
  it('stores a full SIM in batches and deletes each batch only after its commit; a batch that cannot be stored stays on the SIM', async () => {
    const inner = await testInbox()
    let batches = 0
    let failing = true
    const inbox: TestInbox = {
      ...inner,
      port: {
        ...inner.port,
        recordPdus: async (modem, pdus) => {
          // The first batch commits; the second fails until the ledger is "back".
          if (++batches > 1 && failing) throw new DatabaseUnavailableError('the database is not answering')
          return await inner.port.recordPdus(modem, pdus)
        }
      }
    }
    const { sim, supervisor } = await rig('sim800', inbox, {}, silentLogger, { scanIntervalMs: 5_000, memories: { SM: STORE_BATCH + 10 } })
    const total = STORE_BATCH + 6
    for (let i = 0; i < total; i++) sim.store(encodeDeliver({ sender: 'MobileMoney', text: `message ${i}` }), 1)
    const listed = sim.messages().map((m) => m.index)
    await supervisor.start()
    await until(() => supervisor.list()[0]!.counters.store_failures >= 1 && sim.messages().length === total - STORE_BATCH, 'the first batch stored and deleted, the second refused')
    // Exactly the second batch is left, and none of it was ever deleted.
    expect(sim.messages().map((m) => m.index)).toEqual(listed.slice(STORE_BATCH))
    const deletes = sim.transcript.filter((t) => t.dir === 'in' && t.text.startsWith('AT+CMGD='))
    expect(deletes.map((d) => d.text)).toEqual(listed.slice(0, STORE_BATCH).map((index) => `AT+CMGD=${index}`))
    // Every delete came after the commit of its PDU.
    for (const del of deletes) expect(inner.commits.some((c) => c.seq < del.seq && `AT+CMGD=${c.index}` === del.text), del.text).toBe(true)
    failing = false
    await until(() => inner.messages.length === total && sim.messages().length === 0, 'the rest stored, then deleted')
    expect(new Set(inner.messages.map((m) => m.text)).size).toBe(total)
  })
})
