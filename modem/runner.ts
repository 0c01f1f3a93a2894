import type { Logger } from 'pino'
import { isoSeconds, type TimerClock } from '../core/time.js'
import { isHarpoonError } from '../core/errors.js'
import { adviceFor } from './advice.js'
import { urcKind } from './at/classify.js'
import type { Urc } from './at/line-reader.js'
import { parseCpmsUsage } from './at/parse.js'
import { AtSession } from './at/session.js'
import type { OpenTransport } from './at/transport.js'
import type { CompleteSms, Mode, ModemRef, SmsInboxPort } from './inbox-port.js'
import { initModem, readHealth } from './init.js'
import type { Network } from './network.js'
import { toPduRecord } from './pdu-record.js'
import { scanOnce } from './reception.js'
import { emptyCounters, type ModemStatus } from './status.js'

export interface ModemConfig {
  readonly id: string
  readonly port: string
  readonly baudRate?: number
  /** Overrides the network read from the IMSI. */
  readonly network?: Network | null
  readonly msisdn?: string | null
  /** Never logged. */
  readonly pin?: string | null
  readonly mode?: Mode
  readonly virtual?: boolean
}

export interface RunnerOptions {
  readonly inbox: SmsInboxPort
  readonly onMessage: (sms: CompleteSms) => void
  readonly logger: Logger
  /** Every wait of the runner (back-off, scan period, busy SIM, store retries) is a timer of this clock. */
  readonly clock: TimerClock
  readonly openTransport: OpenTransport
  readonly scanIntervalMs: number
  readonly commandTimeoutMs: number
  readonly listTimeoutMs: number
  readonly resyncQuietMs: number
  readonly backoff: { readonly initialMs: number, readonly maxMs: number }
  readonly busyDelayMs: number
}

/**
 * The life of one modem: open, init, scan on every trigger, and on any failure close and reopen with
 * back-off. Every wait is a timer or an event, never a busy loop, so one hung modem costs the others
 * nothing; each command has its own timeout, so a silent modem is noticed.
 */
export class ModemRunner {
  readonly config: ModemConfig
  readonly #o: RunnerOptions
  readonly #log: Logger
  readonly #status: ModemStatus
  readonly #pinState = { attempted: false }
  #session: AtSession | null = null
  #stopped = false
  #wake: (() => void) | null = null
  #pendingScan = false
  #needsInit = false
  #memory: string | null = null
  #done: Promise<void> = Promise.resolve()
  /** While the ledger cannot store messages: how soon to scan again (grows up to the scan interval). */
  #storeRetryMs: number | null = null

  constructor (config: ModemConfig, o: RunnerOptions) {
    this.config = config
    this.#o = o
    this.#log = o.logger.child({ modem: config.id, port: config.port, virtual: config.virtual === true })
    this.#status = {
      id: config.id,
      port: config.port,
      network: config.network ?? null,
      msisdn: config.msisdn ?? null,
      virtual: config.virtual === true,
      connected: false,
      signal_dbm: null,
      registered: null,
      sim_ready: false,
      imei: null,
      imsi: null,
      last_sms_at: null,
      storage_used: null,
      storage_total: null,
      counters: emptyCounters(),
      last_error: null
    }
  }

  status (): ModemStatus { return { ...this.#status, counters: { ...this.#status.counters } } }

  start (): void { this.#done = this.#loop() }

  async stop (): Promise<void> {
    this.#stopped = true
    this.#trigger()
    await this.#session?.close()
    await this.#done
  }

  /** Asks for a scan now (a `+CMTI`, a storage-full URC, or a test). */
  requestScan (): void { this.#pendingScan = true; this.#trigger() }

  #trigger (): void { const w = this.#wake; this.#wake = null; w?.() }

  async #sleep (ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const cancel = this.#o.clock.after(ms, () => { this.#wake = null; resolve() })
      this.#wake = () => { cancel(); resolve() }
    })
  }

  #ref (): ModemRef {
    const s = this.#status
    const key = s.imsi !== null ? `imsi:${s.imsi}` : s.imei !== null ? `imei:${s.imei}` : `id:${s.id}`
    return { id: s.id, key, network: s.network, mode: this.config.mode ?? 'live' }
  }

  async #loop (): Promise<void> {
    let delay = this.#o.backoff.initialMs
    let first = true
    while (!this.#stopped) {
      if (!first) this.#status.counters.reconnects++
      first = false
      let ready = false
      try {
        await this.#connectAndServe(() => { ready = true })
        delay = this.#o.backoff.initialMs
      } catch (err) {
        if (this.#stopped) break
        // A session that got ready ended a run of failures: the back-off starts afresh, or a modem that
        // had a few bad days would wait the maximum after every later glitch (seen while diagnosing test/faults/modem.fault.ts).
        if (ready) delay = this.#o.backoff.initialMs
        const message = err instanceof Error ? err.message : String(err)
        this.#status.last_error = message
        const code = isHarpoonError(err) ? err.code : undefined
        if (code === 'modem_timeout' || code === 'modem_unresponsive') this.#status.counters.timeouts++
        this.#log.warn({ code, err: message, retryInMs: delay, hint: adviceFor(code) }, 'modem: session ended; reopening after back-off')
      } finally {
        this.#status.connected = false
        const s = this.#session
        this.#session = null
        await s?.close().catch(() => {})
      }
      if (this.#stopped) break
      await this.#sleep(delay)
      delay = Math.min(this.#o.backoff.maxMs, delay * 2)
    }
  }

  async #connectAndServe (onReady: () => void): Promise<void> {
    const transport = await this.#o.openTransport(this.config.port, this.config.baudRate ?? 115200)
    const session = new AtSession(transport, {
      logger: this.#log,
      timeoutMs: this.#o.commandTimeoutMs,
      resyncQuietMs: this.#o.resyncQuietMs,
      onUrc: (urc) => this.#onUrc(urc)
    })
    this.#session = session
    transport.onClose(() => this.#trigger())
    if (this.#stopped) return
    await this.#init(session)
    onReady()
    this.#log.info({ imei: this.#status.imei, network: this.#status.network, memory: this.#memory }, this.config.virtual === true ? 'modem: virtual modem ready' : 'modem: ready')
    let scans = 0
    for (;;) {
      if (this.#stopped) return
      if (session.closed) throw new Error(`port ${this.config.port} closed`)
      if (this.#needsInit) { this.#status.counters.reinits++; await this.#init(session) }
      this.#pendingScan = false
      await this.#scan(session)
      if (++scans % 4 === 0) await this.#refreshHealth(session)
      if (!this.#pendingScan && !session.closed && !this.#stopped) await this.#sleep(this.#storeRetryMs ?? this.#o.scanIntervalMs)
    }
  }

  async #init (session: AtSession): Promise<void> {
    this.#needsInit = false
    const info = await initModem(session, { logger: this.#log, pin: this.config.pin ?? null, pinState: this.#pinState, sleep: async (ms) => { await this.#sleep(ms) }, busyDelayMs: this.#o.busyDelayMs })
    const s = this.#status
    if (s.imsi !== null && info.imsi !== null && s.imsi !== info.imsi) this.#log.warn({ before: s.imsi, now: info.imsi }, 'modem: a different SIM is behind this port now')
    s.imei = info.imei
    s.imsi = info.imsi
    s.network = this.config.network ?? info.network
    s.sim_ready = true
    s.signal_dbm = info.signalDbm
    s.registered = info.registered
    s.storage_used = info.storageUsed
    s.storage_total = info.storageTotal
    s.connected = true
    s.last_error = null
    this.#memory = info.memory
  }

  async #scan (session: AtSession): Promise<void> {
    const counts = await scanOnce(session, {
      inbox: this.#o.inbox,
      modem: this.#ref(),
      memory: this.#memory,
      logger: this.#log,
      listTimeoutMs: this.#o.listTimeoutMs,
      onMessage: (sms) => this.#deliver(sms)
    })
    const c = this.#status.counters
    c.scans++
    if (counts.storeError !== null) {
      // The database is away (or refused the message): not the modem's fault, so the session stays
      // up; the message stays on the SIM and the next scan comes sooner than usual.
      c.store_failures++
      this.#storeRetryMs = Math.min(this.#o.scanIntervalMs, Math.max(500, (this.#storeRetryMs ?? 250) * 2))
      this.#status.last_error = `could not store an SMS (it stays on the SIM): ${counts.storeError.message}`
      this.#log.warn({ err: counts.storeError.message, retryInMs: this.#storeRetryMs }, 'modem: could not store an SMS; it stays on the SIM and is read again')
    } else if (this.#storeRetryMs !== null) {
      this.#storeRetryMs = null
      this.#status.last_error = null
      this.#log.info('modem: storing SMS again')
    }
    c.received += counts.stored
    c.duplicates += counts.duplicates
    c.undecodable += counts.undecodable
    c.deleted += counts.deleted
    c.delete_failures += counts.deleteFailures
    if (counts.stored > 0) this.#status.last_sms_at = isoSeconds(this.#o.clock.now())
    if (counts.listed > 0 || this.#status.storage_used === null) {
      const usage = parseCpmsUsage((await session.send('AT+CPMS?')).lines)
      if (usage !== null) { this.#status.storage_used = usage.used; this.#status.storage_total = usage.total }
    }
  }

  async #refreshHealth (session: AtSession): Promise<void> {
    const h = await readHealth(session)
    this.#status.signal_dbm = h.signalDbm
    this.#status.registered = h.registered
  }

  #deliver (sms: CompleteSms): void {
    try { this.#o.onMessage(sms) } catch (err) {
      // The message is committed and unprocessed: it is handed again at the next start.
      this.#log.error({ err, sms: sms.id }, 'modem: ingest callback failed')
    }
  }

  #onUrc (urc: Urc): void {
    switch (urcKind(urc.line)) {
      case 'new_message':
      case 'storage_full':
        this.requestScan()
        return
      case 'boot':
        // Settings are gone after a reboot (echo on, text mode): re-apply before the next scan.
        this.#log.info({ urc: urc.line }, 'modem: boot code seen; re-initialising')
        this.#needsInit = true
        this.requestScan()
        return
      case 'routed_message':
        if (urc.pdu !== undefined) this.#storeRouted(urc.pdu).catch((err: unknown) => { this.#log.error({ err }, 'modem: could not store a routed PDU') })
        return
      default:
    }
  }

  /**
   * A modem that routes despite our CNMI choice: the PDU exists only on the wire, so it is stored at
   * once, and while the ledger cannot take it, tried again (with back-off) until it can or the
   * runner stops.
   */
  async #storeRouted (pdu: string): Promise<void> {
    const record = toPduRecord(pdu, null, null)
    for (let delay = 500; !this.#stopped; delay = Math.min(delay * 2, this.#o.scanIntervalMs)) {
      try {
        const outcome = await this.#o.inbox.recordPdu(this.#ref(), record)
        if (outcome.isNew) this.#status.counters.received++
        if (outcome.completed !== null) this.#deliver(outcome.completed)
        return
      } catch (err) {
        this.#status.counters.store_failures++
        this.#log.error({ err, retryInMs: delay }, 'modem: could not store a routed PDU; trying again')
        await new Promise<void>((resolve) => { this.#o.clock.after(delay, resolve, { unref: true }) })
      }
    }
  }
}
