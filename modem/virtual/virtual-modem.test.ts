import { afterEach, describe, expect, it } from 'vitest'
import { serialTransportOpener } from '../at/transport.js'
import { ModemSupervisor } from '../supervisor.js'
import { silentLogger, testInbox, until } from '../../test/support/modem-inbox.js'
import { VirtualPorts } from './binding.js'
import { startVirtualModem } from './virtual-modem.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

const credit = 'Payment received for GHS 100.00 from KOFI MENSAH 0244123456 Current Balance: GHS 1,100.00 . Available Balance: GHS 1,100.00. Reference: HKMVR2. Transaction ID: 45678901234. Fee charged: GHS0.00.'

describe('virtual modem', () => {
  it('injected telco SMS (one part and multipart) reach the inbox through SerialPortStream, the AT session and the PDU decoder', async () => {
    const ports = new VirtualPorts()
    const vm = startVirtualModem(ports, { network: 'mtn', msisdn: '0244000000' })
    cleanups.push(() => { vm.close() })
    const inbox = await testInbox()
    cleanups.push(async () => { await inbox.cleanup() })
    const supervisor = new ModemSupervisor({
      modems: [{ id: 'virtual-mtn', port: vm.path, virtual: true, msisdn: vm.msisdn, mode: 'test' }],
      inbox: inbox.port,
      onMessage: inbox.onMessage,
      logger: silentLogger,
      openTransport: serialTransportOpener(ports),
      scanIntervalMs: 200,
      resyncQuietMs: 20
    })
    cleanups.push(async () => { await supervisor.stop() })
    await supervisor.start()
    const long = `${credit} ${'x'.repeat(200)}`
    vm.inject(credit)
    vm.inject(long)
    await until(() => inbox.messages.length === 2, 'both injected messages')
    expect(inbox.messages.map((m) => [m.sender, m.text])).toEqual([['MobileMoney', credit], ['MobileMoney', long]])
    expect(supervisor.list()[0]).toMatchObject({ virtual: true, connected: true, network: 'mtn', msisdn: '0244000000', port: 'virtual:mtn' })
    // Read, committed, then deleted over AT: the virtual SIM is empty again.
    await until(() => vm.simulator.messages().length === 0, 'the deletes')
    expect(vm.simulator.commands().some((c) => c.startsWith('AT+CMGL'))).toBe(true)
  })

  it('keeps a bounded transcript, so a long-running daemon does not grow with every scan', () => {
    const vm = startVirtualModem(new VirtualPorts(), { network: 'at' })
    for (let i = 0; i < 2_000; i++) vm.simulator.input('AT\r')
    expect(vm.simulator.transcript.length).toBeLessThanOrEqual(500)
    expect(vm.simulator.commands().at(-1)).toBe('AT')
  })
})
