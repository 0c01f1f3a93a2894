import type { Logger } from 'pino'
import type { Db } from '../ledger/db.js'
import type { Mode } from '../ledger/modes.js'
import type { CompleteSms } from '../modem/inbox-port.js'
import { isNetwork } from '../parsers/types.js'
import { settleSms, type SettleDeps, type Settlement } from './settle.js'

export interface IngestDeps extends SettleDeps {
  db: Db
  logger: Logger
  /** The merchant whose payments a modem's messages may pay. */
  merchantOf: (modemId: string) => string
  /** Called after each settled message commits (metrics, wake the webhook dispatcher). */
  onSettled?: (sms: CompleteSms, settlement: Settlement) => void
}

/** A message that did not come through a modem (test mode), stored like any other SMS before it is settled. */
export interface TextSmsInput {
  merchantId: string
  mode: Mode
  /** The wallet it counts against; `api` for messages typed into the API. */
  modemId: string
  network: 'mtn' | 'telecel' | 'at'
  sender: string
  text: string
}

/**
 * The ingest step: one SQLite transaction per message stores its outcome, records the credit,
 * matches it, updates the payment (which writes the webhook outbox rows) and marks the message
 * processed. Re-processing a processed message is a no-op, so handing a message over twice (after a
 * crash, or from a rescan) can never count money twice.
 */
export function createIngest (deps: IngestDeps) {
  const { db } = deps
  const isProcessed = db.prepare('SELECT processed FROM sms_messages WHERE id = ?').pluck()
  const mark = db.prepare('UPDATE sms_messages SET processed = 1, outcome = ?, credit_id = ?, merchant_id = ? WHERE id = ? AND processed = 0')
  const insertApiSms = db.prepare(`INSERT INTO sms_messages (modem_id, modem_key, network, mode, sender, text, smsc, sent_at, sent_at_ms,
      received_at, parts, parts_expected, complete, raw)
    VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, 1, 1, 1, '[]')`)
  const load = db.prepare('SELECT id, modem_id, network, mode, sender, text, received_at, complete FROM sms_messages WHERE id = ?')

  function settleInTransaction (sms: CompleteSms, merchantId: string): Settlement | null {
    if (isProcessed.get(sms.id) !== 0) return null
    if (sms.network === null || !isNetwork(sms.network)) {
      // A modem whose network is unknown (no IMSI, none configured): keep the message, never guess.
      mark.run('unparsed', null, merchantId, sms.id)
      return null
    }
    const settlement = settleSms(deps, {
      smsId: sms.id,
      merchantId,
      mode: sms.mode,
      wallet: sms.modemId,
      network: sms.network,
      sender: sms.sender,
      text: sms.text,
      receivedAt: sms.receivedAt,
      incomplete: !sms.complete
    })
    mark.run(settlement.outcome, settlement.match?.credit.id ?? null, merchantId, sms.id)
    return settlement
  }

  function process (sms: CompleteSms, merchantId: string = deps.merchantOf(sms.modemId)): Settlement | null {
    const settlement = db.transaction(() => settleInTransaction(sms, merchantId)).immediate()
    if (settlement !== null) {
      const m = settlement.match
      deps.logger.info({
        sms_id: sms.id,
        modem: sms.modemId,
        outcome: settlement.outcome,
        credit: m?.credit.public_id,
        payment: m?.kind === 'applied' ? m.payment.reference : undefined,
        match_method: m?.kind === 'applied' ? m.method : undefined
      }, 'sms settled')
      deps.onSettled?.(sms, settlement)
    }
    return settlement
  }

  return {
    process,

    /** Settles every stored message not yet processed (after a restart). */
    processPending (pending: readonly CompleteSms[]): number {
      let n = 0
      for (const sms of pending) {
        try {
          if (process(sms) !== null) n++
        } catch (err) {
          deps.logger.error({ err, sms_id: sms.id }, 'failed to settle a stored SMS; it stays unprocessed and is retried')
        }
      }
      return n
    },

    /** POST /v1/test/sms without a virtual modem: store the text as an SMS, then settle it. */
    ingestText (input: TextSmsInput, now: number): { sms: CompleteSms, settlement: Settlement | null } {
      let sms: CompleteSms | undefined
      const settlement = db.transaction(() => {
        const id = Number(insertApiSms.run(input.modemId, `text:${input.modemId}`, input.network, input.mode, input.sender, input.text, now).lastInsertRowid)
        const r = load.get(id) as { id: number, modem_id: string, network: string, mode: Mode, sender: string, text: string, received_at: number, complete: number }
        sms = { id: r.id, modemId: r.modem_id, network: input.network, mode: r.mode, sender: r.sender, text: r.text, smsc: null, sentAt: null, receivedAt: r.received_at, parts: [], complete: true }
        return settleInTransaction(sms, input.merchantId)
      }).immediate()
      if (sms === undefined) throw new Error('SMS was not stored')
      if (settlement !== null) deps.onSettled?.(sms, settlement)
      return { sms, settlement }
    }
  }
}

export type Ingest = ReturnType<typeof createIngest>
