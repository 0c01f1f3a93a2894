import type { Logger } from 'pino'
import type { AgentStore, ForwardItem } from '../ledger/agent/store.js'
import type { CallResult } from './central-client.js'
import type { Link } from './link.js'
import { wirePdu, type MessageBody, type MessageReply, type ModemReport } from './protocol.js'

export interface ForwarderOptions {
  readonly store: AgentStore
  readonly forward: (body: MessageBody) => Promise<CallResult<MessageReply>>
  readonly agentId: string
  /** The modem's status now, sent with each of its messages. */
  readonly modemStatus: (item: ForwardItem) => ModemReport
  readonly link: Link
  readonly logger: Logger
  readonly backoff: { readonly initialMs: number, readonly maxMs: number }
  /** How often the store is looked at for work nobody announced (a replay from the CLI). Default 5 s. */
  readonly idleCheckMs?: number
}

/** What to tell an operator when the central keeps refusing a message. */
const REFUSED_HINT = 'see the central\'s log; upgrade the central if it is older than this agent. Nothing is lost or skipped: later SMS of this modem wait behind it. As a last resort `harpoon agent skip SEQ` takes it out of the queue (kept in the store)'
const REJECTED_HINT = 'check agent.key (revoked? made with --scopes agent?), agent.id (another merchant\'s?) and agent.central_url'

/**
 * Sends the store's queue to the central: one lane per modem, each sending its oldest pending item
 * and waiting for the answer before the next, so the central receives every modem's messages in the
 * order they were stored. An item leaves the queue only on the central's acknowledgement (it has
 * committed the message, now or earlier); every failure keeps it and retries with back-off. Lanes
 * run side by side, so one modem's trouble never holds another's messages.
 */
export class Forwarder {
  readonly #o: ForwarderOptions
  readonly #lanes = new Map<string, Lane>()
  #ticker: NodeJS.Timeout | null = null
  #stopped = false

  constructor (o: ForwarderOptions) { this.#o = o }

  async start (): Promise<void> {
    await this.#discover()
    this.#ticker = setInterval(() => { this.#discover().catch((err: unknown) => { this.#o.logger.error({ err }, 'agent: discovery failed') }) }, this.#o.idleCheckMs ?? 5_000)
    this.#ticker.unref()
  }

  /** A message of this modem was stored: its lane sends it now. */
  wake (modemId: string): void {
    if (this.#stopped) return
    let lane = this.#lanes.get(modemId)
    if (lane === undefined) {
      lane = new Lane(modemId, this.#o)
      this.#lanes.set(modemId, lane)
      lane.start()
    }
    lane.wake()
  }

  /** The central answers again: every lane waiting out a back-off tries now. */
  wakeAll (): void { for (const lane of this.#lanes.values()) lane.wake() }

  /** Stops after the calls in flight have their answer (or time out), so an acknowledgement is never dropped unrecorded. */
  async stop (): Promise<void> {
    this.#stopped = true
    if (this.#ticker !== null) clearInterval(this.#ticker)
    await Promise.all([...this.#lanes.values()].map(async (l) => { await l.stop() }))
  }

  async #discover (): Promise<void> {
    try {
      for (const modemId of await this.#o.store.modemsWithBacklog()) this.wake(modemId)
    } catch (err) {
      this.#o.logger.error({ err }, 'agent: cannot read the store\'s queue')
    }
  }
}

class Lane {
  readonly #modemId: string
  readonly #o: ForwarderOptions
  #wake: (() => void) | null = null
  #woken = false
  #stopped = false
  #done: Promise<void> = Promise.resolve()

  constructor (modemId: string, o: ForwarderOptions) {
    this.#modemId = modemId
    this.#o = o
  }

  start (): void { this.#done = this.#run() }

  wake (): void {
    this.#woken = true
    const w = this.#wake
    this.#wake = null
    w?.()
  }

  async stop (): Promise<void> {
    this.#stopped = true
    this.wake()
    await this.#done
  }

  /** Sleeps `ms`, or until woken; a wake that came while busy makes the next sleep return at once. */
  async #sleep (ms: number | null): Promise<void> {
    if (this.#woken || this.#stopped) { this.#woken = false; return }
    await new Promise<void>((resolve) => {
      const timer = ms === null ? null : setTimeout(() => { this.#wake = null; resolve() }, ms)
      this.#wake = () => { if (timer !== null) clearTimeout(timer); resolve() }
    })
    this.#woken = false
  }

  async #run (): Promise<void> {
    const { initialMs, maxMs } = this.#o.backoff
    let delay = initialMs
    // Back-off with ±10 % jitter, so agents cut off together do not all call back in the same instant.
    const backoff = (ms: number): number => Math.round(ms * (0.9 + Math.random() * 0.2))
    while (!this.#stopped) {
      let item: ForwardItem | null
      try {
        item = await this.#o.store.next(this.#modemId)
      } catch (err) {
        this.#o.logger.error({ err, modem: this.#modemId }, 'agent: cannot read the store\'s queue')
        await this.#sleep(backoff(maxMs))
        continue
      }
      if (item === null) {
        // Nothing to send: sleep until a message is stored (or the periodic look finds one).
        await this.#sleep(null)
        continue
      }
      const result = await this.#o.forward({
        agent: this.#o.agentId,
        seq: item.seq,
        modem: this.#o.modemStatus(item),
        modem_key: item.modemKey,
        stored_at: item.storedAt,
        complete: item.complete,
        pdus: item.pdus.map(wirePdu)
      })
      if (result.kind === 'ok') {
        await this.#o.store.forwarded(item.seq, result.data.sms_id)
        this.#o.logger.debug({ modem: this.#modemId, seq: item.seq, sms_id: result.data.sms_id, duplicate: result.data.duplicate, outcome: result.data.outcome }, 'agent: message forwarded')
        this.#o.link.up(async () => (await this.#o.store.backlog()).pending)
        delay = initialMs
        continue
      }
      if (result.kind === 'unavailable') {
        this.#o.link.unavailable(result.error)
        await this.#sleep(Math.max(backoff(delay), result.retryAfterMs ?? 0))
        delay = Math.min(maxMs, delay * 2)
        continue
      }
      if (result.kind === 'refused') this.#o.link.refused(`message ${item.seq} of modem ${this.#modemId}`, 'refused', result.error, REFUSED_HINT)
      else this.#o.link.refused('forwarding', result.code, result.error, REJECTED_HINT)
      await this.#sleep(backoff(maxMs))
    }
  }
}
