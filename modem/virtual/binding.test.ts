import { SerialPortStream } from '@serialport/stream'
import { afterEach, describe, expect, it } from 'vitest'
import { until } from '../../test/helpers/wait-for.js'
import { VirtualPorts, type VirtualDevice } from './binding.js'

const streams: SerialPortStream[] = []
afterEach(async () => {
  for (const s of streams.splice(0)) if (s.isOpen) await new Promise<void>((resolve) => { s.close(() => resolve()) })
})

/** A device that answers every line with its own fragments, and records what it was sent. */
function echoDevice (): VirtualDevice & { received: string[], fail: boolean } {
  let sink: (chunk: string) => void = () => {}
  const device = {
    received: [] as string[],
    fail: false,
    attach: (s: (chunk: string) => void) => { sink = s },
    input: (chunk: string) => {
      if (device.fail) throw new Error('simulated firmware fault')
      device.received.push(chunk)
      for (const part of ['\r\nO', 'K\r', '\n']) sink(part)
    }
  }
  return device
}

async function open (ports: VirtualPorts, path: string, lock = true): Promise<SerialPortStream> {
  const stream = new SerialPortStream({ binding: ports, path, baudRate: 115200, autoOpen: false, lock })
  await new Promise<void>((resolve, reject) => { stream.open((err) => { if (err) reject(err); else resolve() }) })
  streams.push(stream)
  return stream
}

/** An open port in flowing mode on its own device, and its close event (with the disconnect error, if any). */
async function flowing (path: string) {
  const ports = new VirtualPorts()
  const device = echoDevice()
  ports.plug(path, device)
  const stream = await open(ports, path)
  stream.resume()
  const closed = new Promise<Error & { disconnected?: boolean }>((resolve) => stream.once('close', resolve))
  return { ports, device, stream, closed }
}

describe('VirtualPorts: an injected serialport binding', () => {
  it('carries bytes both ways through SerialPortStream, one read per device write, latin1 intact', async () => {
    const ports = new VirtualPorts()
    const device = echoDevice()
    ports.plug('virtual:a', device)
    const stream = await open(ports, 'virtual:a')
    const chunks: string[] = []
    stream.on('data', (b: Buffer) => chunks.push(b.toString('latin1')))
    stream.write(Buffer.from('AT\u00e9\u00ff\r', 'latin1'))
    await until(() => chunks.length === 3, 'the reply')
    expect(device.received).toEqual(['AT\u00e9\u00ff\r'])
    expect(chunks).toEqual(['\r\nO', 'K\r', '\n'])
  })

  it('refuses an unknown path and a second locked open, as device nodes do', async () => {
    const ports = new VirtualPorts()
    ports.plug('virtual:b', echoDevice())
    await expect(open(ports, 'virtual:none')).rejects.toThrow(/No such virtual port virtual:none/)
    await open(ports, 'virtual:b')
    await expect(open(ports, 'virtual:b')).rejects.toThrow(/Cannot lock port/)
    expect(() => { ports.plug('virtual:b', echoDevice()) }).toThrow(/already has a device/)
  })

  it('unplugging closes the open stream with a disconnected error, and it can be opened again after a replug', async () => {
    const { ports, device, closed } = await flowing('virtual:c')
    ports.unplug('virtual:c')
    expect((await closed).disconnected).toBe(true)
    await expect(open(ports, 'virtual:c')).rejects.toThrow(/No such virtual port/)
    ports.plug('virtual:c', device)
    expect((await open(ports, 'virtual:c')).isOpen).toBe(true)
  })

  it('a device that throws becomes a disconnect of its port, never an uncaught exception', async () => {
    const { device, stream, closed } = await flowing('virtual:d')
    device.fail = true
    stream.write('AT\r')
    const err = await closed
    expect(err.disconnected).toBe(true)
    expect(err.message).toMatch(/virtual device on virtual:d failed: simulated firmware fault/)
  })

  it('over(native) opens virtual paths itself and hands every other path to the native binding', async () => {
    const ports = new VirtualPorts()
    ports.plug('virtual:e', echoDevice())
    const asked: string[] = []
    const native = {
      list: async () => [],
      open: async (o: { path: string }) => { asked.push(o.path); throw new Error(`native cannot open ${o.path}`) }
    }
    const routed = ports.over(native as never)
    const stream = new SerialPortStream({ binding: routed, path: 'virtual:e', baudRate: 9600, autoOpen: false })
    await new Promise<void>((resolve, reject) => { stream.open((err) => { if (err) reject(err); else resolve() }) })
    streams.push(stream)
    await expect(routed.open({ path: '/dev/ttyUSB9', baudRate: 9600 })).rejects.toThrow('native cannot open /dev/ttyUSB9')
    expect(asked).toEqual(['/dev/ttyUSB9'])
    expect((await routed.list()).map((p) => p.path)).toEqual(['virtual:e'])
  })
})
