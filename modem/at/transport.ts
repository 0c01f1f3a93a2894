import type { Duplex } from 'node:stream'
// The package's ESM entry has no types; its CommonJS one does.
import type { BindingInterface } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' }
import { SerialPortStream } from '@serialport/stream'
import { SerialPort } from 'serialport'
import { HarpoonError } from '../../core/errors.js'

/**
 * The byte pipe under an AT session: a serial port (a USB stick, a pty, or a virtual port).
 * Text is latin1 both ways so every byte maps to one character and nothing is re-encoded.
 */
export interface Transport {
  readonly path: string
  write: (data: string) => void
  onData: (listener: (chunk: string) => void) => void
  /** Called once, with the error when the device vanished (`disconnected`) or failed. */
  onClose: (listener: (err: Error | null) => void) => void
  close: () => Promise<void>
}

export type OpenTransport = (path: string, baudRate: number) => Promise<Transport>

export function streamTransport (stream: Duplex, path: string, closeStream: () => Promise<void>): Transport {
  const closeListeners: Array<(err: Error | null) => void> = []
  let closed = false
  let lastError: Error | null = null
  const fire = (err: Error | null): void => {
    if (closed) return
    closed = true
    for (const l of closeListeners) l(err)
  }
  stream.on('error', (err: Error) => { lastError = err; fire(err) })
  stream.on('close', (err?: Error | null) => fire(err ?? lastError))
  return {
    path,
    write: (data) => {
      if (closed) return
      stream.write(Buffer.from(data, 'latin1'))
    },
    onData: (listener) => { stream.on('data', (b: Buffer | string) => listener(typeof b === 'string' ? b : b.toString('latin1'))) },
    onClose: (listener) => { closeListeners.push(listener) },
    close: async () => {
      if (closed) return
      fire(null)
      await closeStream()
    }
  }
}

/** The platform's own binding (device nodes through the OS), what the `SerialPort` class uses. */
export const nativeBinding: BindingInterface = SerialPort.binding

/**
 * Opens ports as `serialport` 13's `SerialPortStream` over `binding`: the platform's for device
 * nodes and ptys, or one that also serves in-process virtual ports (`modem/virtual/binding.ts`).
 * Everything above the binding is the same code either way.
 */
export function serialTransportOpener (binding: BindingInterface = nativeBinding): OpenTransport {
  return async (path, baudRate) => {
    const port = new SerialPortStream({ binding, path, baudRate, autoOpen: false, lock: true })
    await new Promise<void>((resolve, reject) => {
      port.open((err) => { if (err) reject(new HarpoonError('modem_open_failed', `cannot open ${path}: ${err.message}`, [], { cause: err })); else resolve() })
    })
    return streamTransport(port, path, async () => {
      if (!port.isOpen) return
      await new Promise<void>((resolve) => { port.close(() => resolve()) })
    })
  }
}

/** Opens a real serial device (or pty). */
export const openSerialTransport: OpenTransport = serialTransportOpener()
