import { afterEach, describe, expect, it } from 'vitest'
import { ModemSimulator } from './virtual/engine.js'
import { inProcessTransport } from '../fixtures/modem-harness/in-process.js'
import { startPtyModem, type PtyModem } from '../fixtures/modem-harness/pty.js'
import { listSerialPorts, probePorts } from './probe.js'
import { silentLogger } from '../test/support/modem-inbox.js'

const ptys: PtyModem[] = []
afterEach(async () => { for (const p of ptys.splice(0)) await p.close() })

describe('probePorts', () => {
  it('reports identity, network, signal and SIM state over a real pty, and skips excluded ports', async () => {
    const a = await startPtyModem(new ModemSimulator({ profile: 'huawei-e173', imsi: '620020000000077', imei: '861234567890123' }))
    const b = await startPtyModem(new ModemSimulator({ profile: 'sim800' }))
    ptys.push(a, b)
    const rows = await probePorts({ ports: [a.path, b.path], exclude: [b.path], logger: silentLogger, timeoutMs: 1000 })
    expect(rows[0]).toEqual({
      port: a.path, status: 'ok', manufacturer: 'huawei', model: 'E173', imei: '861234567890123', imsi: '620020000000077',
      network: 'telecel', signal_dbm: -73, sim_state: 'READY', error: null
    })
    expect(rows[1]).toMatchObject({ port: b.path, status: 'skipped' })
    expect(b.simulator.commands()).toEqual([])
  })

  it('reports a silent port as no_answer, and a missing one as an error', async () => {
    const sim = new ModemSimulator({ profile: 'wavecom' })
    sim.hang(true)
    const rows = await probePorts({
      ports: ['virtual:silent', '/nonexistent/port'],
      logger: silentLogger,
      timeoutMs: 100,
      openTransport: async (path, baud) => path === 'virtual:silent' ? await inProcessTransport(sim, path) : await (await import('./at/transport.js')).openSerialTransport(path, baud)
    })
    expect(rows.map((r) => r.status)).toEqual(['no_answer', 'error'])
  })

  it('lists ports without udevadm: the helper that cannot be spawned is a fallback, never an uncaught error', async () => {
    const path = process.env['PATH']
    // SerialPort.list() spawns udevadm; with nothing on PATH the spawn fails (ENOENT) and /dev is scanned instead.
    process.env['PATH'] = '/nonexistent-harpoon-test'
    try {
      expect(Array.isArray(await listSerialPorts())).toBe(true)
    } finally {
      process.env['PATH'] = path
    }
  })
})
