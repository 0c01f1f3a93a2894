import type { Logger } from 'pino'
import { systemClock, type TimerClock } from '../core/time.js'
import { openSerialTransport, type OpenTransport } from './at/transport.js'
import type { CompleteSms, SmsInboxPort } from './inbox-port.js'
import { ModemRunner, type ModemConfig } from './runner.js'
import type { ModemStatus } from './status.js'

export interface SupervisorOptions {
  readonly modems: readonly ModemConfig[]
  readonly inbox: SmsInboxPort
  /** Ingest: called after the message is committed; it marks the message processed itself. */
  readonly onMessage: (sms: CompleteSms) => void
  readonly logger: Logger
  /** Default: the wall clock. Tests pass a manual one and move it. */
  readonly clock?: TimerClock
  readonly openTransport?: OpenTransport
  /** Full scan period; the source of truth when URCs are lost. Default 15 s. */
  readonly scanIntervalMs?: number
  readonly commandTimeoutMs?: number
  readonly listTimeoutMs?: number
  readonly resyncQuietMs?: number
  /** How often incomplete multipart groups are checked against their timeout. Default 30 s. */
  readonly releaseIntervalMs?: number
  readonly backoff?: { readonly initialMs: number, readonly maxMs: number }
  readonly busyDelayMs?: number
}

/** Read side for `GET /v1/modems`, `/healthz` and `/metrics`. */
export interface ModemRegistry {
  list: () => ModemStatus[]
}

/**
 * One independent runner per configured modem, plus the inbox chores that belong to no modem:
 * re-handing unprocessed messages at start and releasing timed-out multipart groups.
 */
export class ModemSupervisor implements ModemRegistry {
  readonly #o: SupervisorOptions
  readonly #runners: ModemRunner[]
  readonly #clock: TimerClock
  #cancelRelease: (() => void) | null = null
  #stopped = false

  constructor (o: SupervisorOptions) {
    this.#o = o
    this.#clock = o.clock ?? systemClock
    const ids = new Set<string>()
    for (const m of o.modems) {
      if (ids.has(m.id)) throw new Error(`modem id ${m.id} is configured twice`)
      ids.add(m.id)
    }
    this.#runners = o.modems.map((m) => new ModemRunner(m, {
      inbox: o.inbox,
      onMessage: o.onMessage,
      logger: o.logger,
      clock: this.#clock,
      openTransport: o.openTransport ?? openSerialTransport,
      scanIntervalMs: o.scanIntervalMs ?? 15_000,
      commandTimeoutMs: o.commandTimeoutMs ?? 5_000,
      listTimeoutMs: o.listTimeoutMs ?? 30_000,
      resyncQuietMs: o.resyncQuietMs ?? 300,
      backoff: o.backoff ?? { initialMs: 1_000, maxMs: 60_000 },
      busyDelayMs: o.busyDelayMs ?? 1_000
    }))
  }

  async start (): Promise<void> {
    for (const sms of await this.#o.inbox.unprocessed()) this.#hand(sms)
    for (const r of this.#runners) r.start()
    const every = this.#o.releaseIntervalMs ?? 30_000
    // One release at a time: the next is timed from the end of the last (it never rejects).
    const schedule = (): void => {
      if (this.#stopped) return
      this.#cancelRelease = this.#clock.after(every, () => { this.releaseExpired().then(schedule, schedule) }, { unref: true })
    }
    this.#stopped = false
    schedule()
  }

  async stop (): Promise<void> {
    this.#stopped = true
    this.#cancelRelease?.()
    this.#cancelRelease = null
    await Promise.all(this.#runners.map(async (r) => { await r.stop() }))
  }

  list (): ModemStatus[] { return this.#runners.map((r) => r.status()) }

  /** Scan one modem now (or all): what `harpoon simulate` and tests use instead of waiting. */
  requestScan (id?: string): void {
    for (const r of this.#runners) if (id === undefined || r.config.id === id) r.requestScan()
  }

  async releaseExpired (): Promise<void> {
    try {
      for (const sms of await this.#o.inbox.releaseExpired(this.#clock.now())) this.#hand(sms)
    } catch (err) {
      this.#o.logger.error({ err }, 'modem: releasing incomplete multipart messages failed')
    }
  }

  #hand (sms: CompleteSms): void {
    try { this.#o.onMessage(sms) } catch (err) { this.#o.logger.error({ err, sms: sms.id }, 'modem: ingest callback failed') }
  }
}
