import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { ModemSimulator } from './virtual/engine.js'
import type { ProfileName } from './virtual/profiles.js'
import { startPtyModem, type PtyModem } from '../fixtures/modem-harness/pty.js'
import { encodeDeliver, encodeMultipart } from './pdu/encode.js'
import type { ModemConfig } from './runner.js'
import { ModemSupervisor } from './supervisor.js'
import { sql } from '../ledger/testing.js'
import { silentLogger, testInbox, until, type TestInbox } from '../test/support/modem-inbox.js'
import { testDatabase } from '../test/helpers/ledger.js'

/**
 * End to end over real pseudo-terminals (socat): the daemon side opens the link path with the real
 * `SerialPort` class, exactly as it opens a USB stick.
 */
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

const credit = 'Payment received for GHS 100.00 from KOFI MENSAH 0244123456 Current Balance: GHS 1,100.00 . Available Balance: GHS 1,100.00. Reference: HKMVR2. Transaction ID: 45678901234. Fee charged: GHS0.00.'

async function ptyModem (profile: ProfileName, imsi: string): Promise<PtyModem> {
  const sim = new ModemSimulator({ profile, imsi, chunking: 'fragments', seed: imsi.length })
  const pty = await startPtyModem(sim)
  cleanups.push(async () => { await pty.close() })
  return pty
}

function supervise (modems: ModemConfig[], inbox: TestInbox): ModemSupervisor {
  const supervisor = new ModemSupervisor({
    modems,
    inbox: inbox.port,
    onMessage: inbox.onMessage,
    logger: silentLogger,
    scanIntervalMs: 200,
    commandTimeoutMs: 1000,
    listTimeoutMs: 2000,
    resyncQuietMs: 50,
    backoff: { initialMs: 50, maxMs: 300 },
    busyDelayMs: 10
  })
  cleanups.push(async () => { await supervisor.stop() })
  return supervisor
}

async function freshInbox (): Promise<TestInbox> {
  const inbox = await testInbox()
  cleanups.push(async () => { await inbox.cleanup() })
  return inbox
}

describe('modem layer over a pseudo-terminal', () => {
  it('Huawei-like stick: decodes multipart delivered out of order exactly, and never deletes before the commit', async () => {
    const pty = await ptyModem('huawei-e173', '620010000000011')
    const sim = pty.simulator
    const inbox = await freshInbox()
    const text = `${credit} Emoji across the cut: ${'é'.repeat(40)}🚀${'ü'.repeat(60)}`
    const parts = encodeMultipart({ sender: 'MobileMoney', text, ref: 42, encoding: 'ucs2' })
    expect(parts.length).toBeGreaterThanOrEqual(4)
    sim.store(encodeDeliver({ sender: 'MobileMoney', text: 'on the SIM before start' }), 1)
    sim.store(parts[3]!, 0)
    const supervisor = supervise([{ id: 'mtn-1', port: pty.path }], inbox)
    await supervisor.start()
    await until(() => inbox.messages.length === 1, 'the message stored before start')
    sim.deliver(parts[1]!, 'between_lines')
    sim.deliver(parts[0]!, 'before_echo')
    for (const p of parts.slice(4)) sim.deliver(p, 'after_echo')
    sim.deliver(parts[2]!)
    await until(() => inbox.messages.length === 2, 'the multipart message')
    expect(inbox.messages[1]).toMatchObject({ text, sender: 'MobileMoney', complete: true, network: 'mtn', parts })
    await until(() => sim.messages().length === 0, 'the SIM to be empty')
    const deletes = sim.transcript.filter((t) => t.dir === 'in' && /^AT\+CMGD=\d+$/.test(t.text))
    expect(deletes.length).toBeGreaterThanOrEqual(parts.length + 1)
    for (const del of deletes) {
      const committedBefore = inbox.commits.filter((c) => c.seq < del.seq && `AT+CMGD=${c.index}` === del.text)
      expect(committedBefore.length, `${del.text} at ${del.seq}`).toBeGreaterThan(0)
    }
    // Echo on at start, ^RSSI noise and 321 on empty slots were all in play.
    expect(sim.commands()).toContain('ATE0')
  })

  it('crash after the commit and before AT+CMGD: after restart the message is processed once', async () => {
    const pty = await ptyModem('sim800', '620020000000022')
    const sim = pty.simulator
    const hex = encodeDeliver({ sender: 'T-CASH', text: 'Payment received for GHS 50.00 from AMA 0201234567. Transaction ID: 99887766.' })
    sim.store(hex, 0)
    const crashed = await testInbox(undefined, { afterCommit: async () => { throw new Error('simulated crash after commit') } })
    const first = supervise([{ id: 'telecel-1', port: pty.path }], crashed)
    await first.start()
    await until(() => crashed.commits.length > 0, 'the first commit')
    await first.stop()
    expect(sim.messages().length).toBe(1)
    expect(sim.commands().some((c) => c.startsWith('AT+CMGD'))).toBe(false)

    const restarted = await crashed.reopen()
    cleanups.push(async () => { await restarted.cleanup() })
    const second = supervise([{ id: 'telecel-1', port: pty.path }], restarted)
    await second.start()
    await until(() => sim.messages().length === 0, 'the delete after restart')
    expect(restarted.messages.map((m) => m.text)).toEqual(['Payment received for GHS 50.00 from AMA 0201234567. Transaction ID: 99887766.'])
    expect(await restarted.rows.value(sql`SELECT COUNT(*) FROM sms_messages`)).toBe(1)
    expect(await restarted.rows.value(sql`SELECT COUNT(*) FROM sms_pdus`)).toBe(1)
    expect(restarted.commits.filter((c) => !c.isNew).length).toBe(1)
  })

  it('kill -9 of a daemon process between commit and delete: the restarted daemon processes the message once', async () => {
    const pty = await ptyModem('huawei-e173', '620020000000066')
    const sim = pty.simulator
    const text = 'Payment received for GHS 75.00 from YAW 0501234567. Transaction ID: 11223344.'
    sim.store(encodeDeliver({ sender: 'T-CASH', text }), 0)
    const dir = mkdtempSync(join(tmpdir(), 'harpoon-crash-'))
    const root = fileURLToPath(new URL('..', import.meta.url))
    const database = JSON.stringify(await testDatabase(dir))
    const child = spawn(join(root, 'node_modules/.bin/vite-node'), [join(root, 'test/support/crash-child.ts'), database, pty.path], { cwd: root, stdio: 'ignore' })
    const exit = await new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)))
    expect(exit).toBe('SIGKILL')
    expect(sim.messages()).toHaveLength(1)
    expect(sim.commands().some((c) => c.startsWith('AT+CMGD'))).toBe(false)

    const restarted = await testInbox(dir)
    cleanups.push(async () => { await restarted.cleanup() })
    expect(await restarted.rows.value(sql`SELECT COUNT(*) FROM sms_pdus`)).toBe(1)
    const supervisor = supervise([{ id: 'telecel-1', port: pty.path }], restarted)
    await supervisor.start()
    await until(() => sim.messages().length === 0, 'the delete after restart')
    expect(restarted.messages.map((m) => m.text)).toEqual([text])
    expect(await restarted.rows.value(sql`SELECT COUNT(*) FROM sms_messages`)).toBe(1)
  })

  it('reads messages that arrived while the port was unplugged, after replug behind the same link', async () => {
    const pty = await ptyModem('quectel-ec25', '620030000000033')
    const inbox = await freshInbox()
    const supervisor = supervise([{ id: 'at-1', port: pty.path }], inbox)
    await supervisor.start()
    await until(() => supervisor.list()[0]!.connected, 'connected')
    await pty.unplug()
    await until(() => !supervisor.list()[0]!.connected, 'the daemon to notice the unplug')
    pty.simulator.store(encodeDeliver({ sender: 'AT Money', text: 'stored while unplugged' }), 0)
    await pty.replug()
    await until(() => inbox.messages.length === 1, 'the message after replug')
    expect(inbox.messages[0]).toMatchObject({ text: 'stored while unplugged', network: 'at' })
    expect(supervisor.list()[0]!.counters.reconnects).toBeGreaterThanOrEqual(1)
  })

  it('a hung modem is reset while another modem keeps receiving', async () => {
    const a = await ptyModem('huawei-e173', '620010000000044')
    const b = await ptyModem('sim800', '620020000000055')
    const inbox = await freshInbox()
    const supervisor = supervise([{ id: 'mtn-1', port: a.path }, { id: 'telecel-1', port: b.path }], inbox)
    await supervisor.start()
    await until(() => supervisor.list().every((m) => m.connected), 'both connected')
    a.simulator.hang(true)
    await until(() => !supervisor.list()[0]!.connected, 'the hung modem to be dropped')
    b.simulator.deliver(encodeDeliver({ sender: 'T-CASH', text: 'while the other hangs' }))
    await until(() => inbox.messages.some((m) => m.modemId === 'telecel-1'), 'the healthy modem to receive')
    a.simulator.deliver(encodeDeliver({ sender: 'MobileMoney', text: 'after the reset' }))
    a.simulator.hang(false)
    await until(() => inbox.messages.some((m) => m.modemId === 'mtn-1'), 'the reset modem to receive')
    const hung = supervisor.list()[0]!
    expect(hung.connected).toBe(true)
    expect(hung.counters.reconnects).toBeGreaterThanOrEqual(1)
    expect(hung.counters.timeouts).toBeGreaterThanOrEqual(1)
    expect(supervisor.list()[1]!.counters.reconnects).toBe(0)
  })
})
