// The package's ESM entry has no types; its CommonJS one does.
import type { BindingInterface, BindingPortInterface, OpenOptions, PortInfo, PortStatus, SetOptions, UpdateOptions } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' }

/**
 * What sits at the far end of a virtual port, like the chip behind a USB stick's serial line: bytes
 * in through `input`, bytes out through the sink it is given. Text is latin1, one character a byte.
 */
export interface VirtualDevice {
  input: (chunk: string) => void
  attach: (sink: (chunk: string) => void) => void
}

/** Virtual ports have names no device node has, so a config can never point at one by accident. */
export const VIRTUAL_PORT_PREFIX = 'virtual:'

/** The error a binding gives for a read or write that closing the port cut short (not a disconnect). */
class CanceledError extends Error {
  readonly canceled = true
}

/**
 * A serialport binding whose ports are in-process devices instead of device nodes: it is handed to
 * the same `SerialPortStream` the hardware uses (the way `@serialport/binding-mock` is), so the
 * stream, line framing, AT session and everything above them run unchanged and cannot tell.
 * Unlike the mock it talks back: writes go to the device, the device's replies come back as reads,
 * each write the device makes one read (so its fragmentation reaches the line reader as it chose).
 */
export class VirtualPorts implements BindingInterface<VirtualPort> {
  readonly #devices = new Map<string, VirtualDevice>()
  readonly #open = new Map<string, VirtualPort>()

  /** Connects a device at `path`; the path must be free. */
  plug (path: string, device: VirtualDevice): void {
    if (this.#devices.has(path)) throw new Error(`virtual port ${path} already has a device`)
    this.#devices.set(path, device)
  }

  /** The device goes away: an open port on it ends as a disconnect, as when a stick is pulled. */
  unplug (path: string): void {
    this.#devices.delete(path)
    this.#open.get(path)?.disconnect(new Error(`${path} was unplugged`))
  }

  has (path: string): boolean { return this.#devices.has(path) }

  async list (): Promise<PortInfo[]> {
    return [...this.#devices.keys()].map((path) => ({ path, manufacturer: 'Harpoon virtual modem', serialNumber: undefined, pnpId: undefined, locationId: undefined, productId: undefined, vendorId: undefined }))
  }

  async open (options: OpenOptions): Promise<VirtualPort> {
    const device = this.#devices.get(options.path)
    if (device === undefined) throw new Error(`No such virtual port ${options.path} (plug a device there first)`)
    const holder = this.#open.get(options.path)
    if (holder?.isOpen === true && (options.lock ?? true)) throw new Error(`Error Resource temporarily unavailable Cannot lock port ${options.path}`)
    const port = new VirtualPort(device, withDefaults(options), () => { if (this.#open.get(options.path) === port) this.#open.delete(options.path) })
    this.#open.set(options.path, port)
    return port
  }

  /**
   * One binding for a daemon that has both: virtual paths open here, every other path on `native`
   * (the platform's binding). What opens a port never has to ask which kind it is.
   */
  over (native: BindingInterface): BindingInterface {
    return {
      list: async () => [...await native.list(), ...await this.list()],
      open: async (options) => this.has(options.path) ? await this.open(options) : await native.open(options)
    }
  }
}

function withDefaults (o: OpenOptions): Required<OpenOptions> {
  return { dataBits: 8, lock: true, stopBits: 1, parity: 'none', rtscts: false, xon: false, xoff: false, xany: false, hupcl: true, ...o }
}

/** One open virtual port, following the contract in `@serialport/bindings-interface`. */
export class VirtualPort implements BindingPortInterface {
  readonly openOptions: Required<OpenOptions>
  isOpen = true
  readonly #device: VirtualDevice
  readonly #onClose: () => void
  readonly #incoming: Buffer[] = []
  #pendingRead: (() => void) | null = null
  /** Set when the device failed or went away: every read and write fails from then on. */
  #lost: Error | null = null

  constructor (device: VirtualDevice, openOptions: Required<OpenOptions>, onClose: () => void) {
    this.#device = device
    this.openOptions = openOptions
    this.#onClose = onClose
    device.attach((chunk) => {
      // A closed port drops what the device still says, as a closed tty does.
      if (!this.isOpen || this.#lost !== null || chunk === '') return
      this.#incoming.push(Buffer.from(chunk, 'latin1'))
      this.#wake()
    })
  }

  /** Ends the port as a disconnect: the stream above sees a non-canceled error and closes with `disconnected`. */
  disconnect (err: Error): void {
    if (this.#lost !== null) return
    this.#lost = err
    this.#wake()
  }

  async close (): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open')
    this.isOpen = false
    this.#incoming.length = 0
    this.#onClose()
    this.#wake()
  }

  async read (buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer, bytesRead: number }> {
    for (;;) {
      if (!this.isOpen) throw new CanceledError('Read canceled: port is closed')
      if (this.#lost !== null) throw this.#lost
      const head = this.#incoming[0]
      if (head !== undefined) {
        const bytesRead = head.copy(buffer, offset, 0, Math.min(length, head.length))
        if (bytesRead === head.length) this.#incoming.shift()
        else this.#incoming[0] = head.subarray(bytesRead)
        return { buffer, bytesRead }
      }
      await new Promise<void>((resolve) => { this.#pendingRead = resolve })
    }
  }

  async write (buffer: Buffer): Promise<void> {
    if (!this.isOpen) throw new CanceledError('Write canceled: port is closed')
    if (this.#lost !== null) throw this.#lost
    const text = buffer.toString('latin1')
    // The device answers on a later turn of the event loop, as bytes on a wire would arrive.
    setImmediate(() => {
      if (!this.isOpen || this.#lost !== null) return
      try {
        this.#device.input(text)
      } catch (err) {
        // A failing simulated device must not take the process with it: it becomes a disconnect,
        // which the modem's runner logs and recovers from like a pulled stick.
        this.disconnect(new Error(`virtual device on ${this.openOptions.path} failed: ${err instanceof Error ? err.message : String(err)}`))
      }
    })
  }

  async update (_options: UpdateOptions): Promise<void> { this.#check() }
  async set (_options: SetOptions): Promise<void> { this.#check() }
  async get (): Promise<PortStatus> { this.#check(); return { cts: true, dsr: true, dcd: true } }
  async getBaudRate (): Promise<{ baudRate: number }> { this.#check(); return { baudRate: this.openOptions.baudRate } }
  async flush (): Promise<void> { this.#check(); this.#incoming.length = 0 }
  async drain (): Promise<void> { this.#check() }

  #check (): void {
    if (!this.isOpen) throw new Error('Port is not open')
    if (this.#lost !== null) throw this.#lost
  }

  #wake (): void {
    const wake = this.#pendingRead
    this.#pendingRead = null
    wake?.()
  }
}
