import type { Logger } from 'pino'
import { HarpoonError } from '../../core/errors.js'
import { commandPrefix, type Final } from './classify.js'
import { AtLineReader, type Urc } from './line-reader.js'
import type { Transport } from './transport.js'

export interface AtResponse {
  readonly final: Final
  /** Response lines in order, echo and URCs removed. */
  readonly lines: readonly string[]
}

export interface SendOptions {
  readonly timeoutMs?: number
  /** Never log the command text (it carries a PIN). */
  readonly secret?: boolean
  /** Resolve with `final: none` when lines arrived but no final result did (Wavecom `+CPIN:`). */
  readonly finalOptional?: boolean
}

export interface AtSessionOptions {
  readonly logger: Logger
  readonly timeoutMs?: number
  /** Quiet time before and after a resynchronising `AT`: a late final from a timed-out command lands in it. */
  readonly resyncQuietMs?: number
  readonly resyncAttempts?: number
  readonly onUrc?: (urc: Urc) => void
}

interface InFlight {
  readonly command: string
  readonly lines: string[]
  readonly options: SendOptions
  readonly resolve: (r: AtResponse) => void
  readonly reject: (err: Error) => void
  timer: NodeJS.Timeout
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/**
 * One AT conversation over one transport: one command in flight, per-command timeouts, and after a
 * timeout a resynchronisation with `AT` until a clean `OK`, so a late `OK` is never credited to the
 * next command (serialport-gsm#124, python-gsmmodem#6).
 */
export class AtSession {
  readonly #transport: Transport
  readonly #reader: AtLineReader
  readonly #log: Logger
  readonly #timeoutMs: number
  readonly #quietMs: number
  readonly #attempts: number
  #onUrc: (urc: Urc) => void
  #inFlight: InFlight | null = null
  #chain: Promise<unknown> = Promise.resolve()
  #suspect = false
  #closed: Error | null = null
  /** Finals and response lines that arrived with no command waiting: a sign a late reply is still coming. */
  #strays = 0

  constructor (transport: Transport, options: AtSessionOptions) {
    this.#transport = transport
    this.#log = options.logger
    this.#timeoutMs = options.timeoutMs ?? 5000
    this.#quietMs = options.resyncQuietMs ?? 300
    this.#attempts = options.resyncAttempts ?? 5
    this.#onUrc = options.onUrc ?? (() => {})
    this.#reader = new AtLineReader({
      echo: () => {},
      response: (line) => {
        if (this.#inFlight === null) { this.#strays++; return }
        this.#inFlight.lines.push(line)
      },
      final: (final, line) => {
        const f = this.#inFlight
        if (f === null) { this.#strays++; this.#log.debug({ line }, 'modem: final result with no command waiting'); return }
        this.#finish({ final, lines: f.lines })
      },
      urc: (urc) => {
        try { this.#onUrc(urc) } catch (err) { this.#log.error({ err }, 'modem: URC handler failed') }
      }
    })
    transport.onData((chunk) => this.#reader.feed(chunk))
    transport.onClose((err) => {
      this.#closed = err ?? new Error('closed')
      const f = this.#inFlight
      if (f !== null) {
        clearTimeout(f.timer)
        this.#inFlight = null
        this.#reader.setContext(null)
        f.reject(new HarpoonError('modem_closed', `port ${transport.path} closed${err ? `: ${err.message}` : ''}`, [], { cause: err }))
      }
    })
  }

  get path (): string { return this.#transport.path }
  get closed (): boolean { return this.#closed !== null }

  setUrcHandler (handler: (urc: Urc) => void): void { this.#onUrc = handler }

  /** Queues a command; resolves with its final result (ERROR included), rejects on timeout or close. */
  async send (command: string, options: SendOptions = {}): Promise<AtResponse> {
    const run = this.#chain.then(async () => {
      if (this.#suspect) await this.#resync()
      return await this.#exchange(command, options)
    })
    this.#chain = run.catch(() => {})
    return await run
  }

  /** Sends and requires `OK`; anything else becomes a `modem_command_failed` error naming the command. */
  async ok (command: string, options: SendOptions = {}): Promise<AtResponse> {
    const r = await this.send(command, options)
    if (r.final.kind !== 'ok') throw new HarpoonError('modem_command_failed', `${options.secret === true ? 'AT+CPIN=<secret>' : command} answered ${describeFinal(r.final)}`)
    return r
  }

  /** Aborts a half-typed prompt and discards stale bytes before the first real command (gammu does this). */
  async unstick (): Promise<void> {
    if (this.#closed !== null) throw new HarpoonError('modem_closed', `port ${this.path} is closed`)
    this.#transport.write('\u001b\r')
    this.#suspect = true
    await this.#chain
  }

  async close (): Promise<void> { await this.#transport.close() }

  async #exchange (command: string, options: SendOptions): Promise<AtResponse> {
    if (this.#closed !== null) throw new HarpoonError('modem_closed', `port ${this.path} is closed`)
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs
    return await new Promise<AtResponse>((resolve, reject) => {
      const f: InFlight = {
        command,
        lines: [],
        options,
        resolve,
        reject,
        timer: setTimeout(() => this.#timeout(f), timeoutMs)
      }
      this.#inFlight = f
      this.#reader.setContext({ command, prefix: commandPrefix(command) })
      this.#log.trace({ command: options.secret === true ? 'AT+CPIN=<secret>' : command }, 'modem: send')
      this.#transport.write(`${command}\r`)
    })
  }

  #finish (r: AtResponse): void {
    const f = this.#inFlight
    if (f === null) return
    clearTimeout(f.timer)
    this.#inFlight = null
    this.#reader.setContext(null)
    f.resolve(r)
  }

  #timeout (f: InFlight): void {
    if (this.#inFlight !== f) return
    // Whatever the modem says next may still belong to this command.
    this.#suspect = true
    if (f.options.finalOptional === true && f.lines.length > 0) { this.#finish({ final: { kind: 'none' }, lines: f.lines }); return }
    this.#inFlight = null
    this.#reader.setContext(null)
    const shown = f.options.secret === true ? 'AT+CPIN=<secret>' : f.command
    f.reject(new HarpoonError('modem_timeout', `${shown} got no final result on ${this.path}`))
  }

  async #resync (): Promise<void> {
    for (let attempt = 0; attempt < this.#attempts; attempt++) {
      await sleep(this.#quietMs)
      const before = this.#strays
      let r: AtResponse
      try {
        r = await this.#exchange('AT', { timeoutMs: Math.max(this.#quietMs * 3, 1000) })
      } catch (err) {
        if (this.#closed !== null) throw err
        continue
      }
      if (r.final.kind !== 'ok') continue
      await sleep(this.#quietMs)
      // A stray final in the window means our OK may have been someone else's: go round again.
      if (this.#strays === before) { this.#suspect = false; return }
    }
    throw new HarpoonError('modem_unresponsive', `${this.path} did not answer AT cleanly after ${this.#attempts} attempts`)
  }
}

export function describeFinal (f: Final): string {
  switch (f.kind) {
    case 'cms': return `+CMS ERROR: ${f.text}`
    case 'cme': return `+CME ERROR: ${f.text}`
    case 'not_supported': return 'COMMAND NOT SUPPORT'
    default: return f.kind.toUpperCase()
  }
}
