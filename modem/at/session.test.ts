import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { ModemSimulator } from '../virtual/engine.js'
import { inProcessTransport } from '../../fixtures/modem-harness/in-process.js'
import type { Urc } from './line-reader.js'
import { AtSession } from './session.js'

const logger = pino({ level: 'silent' })
const sessions: AtSession[] = []
afterEach(async () => { for (const s of sessions.splice(0)) await s.close() })

async function open (sim: ModemSimulator, timeoutMs = 200) {
  const urcs: Urc[] = []
  const session = new AtSession(await inProcessTransport(sim), { logger, timeoutMs, resyncQuietMs: 30, onUrc: (u) => urcs.push(u) })
  sessions.push(session)
  return { session, urcs }
}

describe('AtSession', () => {
  it('tolerates echo and fragmented writes', async () => {
    const sim = new ModemSimulator({ profile: 'huawei-e173', chunking: 'fragments', seed: 42 })
    const { session, urcs } = await open(sim)
    expect(await session.send('AT+CGSN')).toEqual({ final: { kind: 'ok' }, lines: [sim.imei] })
    expect(await session.send('AT+CSQ')).toEqual({ final: { kind: 'ok' }, lines: ['+CSQ: 20,99'] })
    expect(urcs.every((u) => u.line === '^RSSI:17')).toBe(true)
  })

  it('never credits a late OK to the next command: it resynchronises after a timeout', async () => {
    const sim = new ModemSimulator({ profile: 'sim800' })
    const { session } = await open(sim)
    await session.ok('ATE0')
    await session.ok('AT+CMGF=0')
    sim.lateFinal(/^AT\+CMGD/)
    await expect(session.send('AT+CMGD=1')).rejects.toMatchObject({ code: 'modem_timeout' })
    // The held OK is released when the next bytes arrive; the session must not take it for CMGL.
    sim.store('07913366003000F0040B913377278879F800006160714113238009C26232A90C826834')
    const listing = await session.send('AT+CMGL=4')
    expect(listing.final).toEqual({ kind: 'ok' })
    const cmds = sim.commands()
    expect(cmds.slice(cmds.indexOf('AT+CMGD=1') + 1).filter((c) => c === 'AT').length).toBeGreaterThanOrEqual(1)
  })

  it('hands URCs to the handler and rejects pending commands when the port vanishes', async () => {
    const sim = new ModemSimulator({ profile: 'sim800' })
    const transport = await inProcessTransport(sim)
    const urcs: Urc[] = []
    const session = new AtSession(transport, { logger, timeoutMs: 5000, onUrc: (u) => urcs.push(u) })
    sessions.push(session)
    await session.ok('AT+CMGF=0')
    await session.ok('AT+CNMI=2,1,0,0,0')
    sim.deliver('07913366003000F0040B913377278879F800006160714113238009C26232A90C826834', 'between_lines')
    await session.ok('AT+CSQ')
    expect(urcs.map((u) => u.line)).toContain('+CMTI: "SM",1')
    sim.hang(true)
    const pending = session.send('AT+CSQ')
    transport.unplug()
    await expect(pending).rejects.toMatchObject({ code: 'modem_closed' })
  })

  it('accepts a Wavecom +CPIN: reply without OK when asked to', async () => {
    const sim = new ModemSimulator({ profile: 'wavecom' })
    const { session } = await open(sim, 150)
    expect(await session.send('AT+CPIN?', { finalOptional: true })).toEqual({ final: { kind: 'none' }, lines: ['+CPIN: READY'] })
    expect((await session.send('AT+CGMI')).lines).toEqual(['WAVECOM MODEM'])
  })
})
