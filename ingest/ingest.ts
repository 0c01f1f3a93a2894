import type { Logger } from 'pino'
import { agentOfModemId } from '../ledger/agents.js'
import { DatabaseUnavailableError } from '../ledger/engine.js'
import type { Ledger, LedgerTx } from '../ledger/ledger.js'
import type { TextSmsInput } from '../ledger/sms-inbox.js'
import type { CompleteSms } from '../modem/inbox-port.js'
import { isNetwork } from '../parsers/types.js'
import { settleSms, type SettleDeps, type Settlement } from './settle.js'

export interface IngestDeps extends SettleDeps {
  ledger: Ledger
  logger: Logger
  /** The merchant whose payments a local modem's messages may pay (an agent's modems: see `process`). */
  merchantOf: (modemId: string) => string
  /** Called after each settled message commits (resolves a test SMS waiting for its outcome). */
  onSettled?: (sms: CompleteSms, settlement: Settlement) => void
}

/** A message that did not come through a modem (test mode), stored like any other SMS before it is settled. */
export interface TextSms extends TextSmsInput {
  merchantId: string
}

export interface Ingest {
  /** Settles one stored message in one transaction; null when it was settled already (or cannot be). */
  process: (sms: CompleteSms, merchantId?: string) => Promise<Settlement | null>
  /**
   * Settles every stored message not yet processed (after a restart), one by one; returns how many.
   * Throws DatabaseUnavailableError (ending the pass) when the database goes away meanwhile.
   */
  processPending: (pending: readonly CompleteSms[]) => Promise<number>
  /** POST /v1/test/sms without a virtual modem: store the text as an SMS and settle it, in one transaction. */
  ingestText: (input: TextSms, now: number) => Promise<{ sms: CompleteSms, settlement: Settlement | null }>
}

/**
 * The ingest step: one transaction per message stores its outcome, records the credit, matches it,
 * updates the payment (which writes the webhook outbox rows) and marks the message processed.
 * Re-processing a processed message is a no-op, so handing a message over twice (after a crash, or
 * from a rescan) can never count money twice. Logging and `onSettled` run once it has committed.
 */
export function createIngest (deps: IngestDeps): Ingest {
  const { ledger } = deps

  async function settleInTransaction (tx: LedgerTx, sms: CompleteSms, merchantId: string): Promise<Settlement | null> {
    if (!await tx.smsInbox.claim(sms.id)) return null
    if (sms.network === null || !isNetwork(sms.network)) {
      // A modem whose network is unknown (no IMSI, none configured): keep the message, never guess.
      await tx.smsInbox.markProcessed(sms.id, 'unparsed', null, merchantId)
      return null
    }
    const settlement = await settleSms(deps, tx, {
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
    await tx.smsInbox.markProcessed(sms.id, settlement.outcome, settlement.match?.credit.id ?? null, merchantId)
    return settlement
  }

  /**
   * An agent's modem (`kumasi/mtn-1`) serves the merchant its agent is bound to, read in the settling
   * transaction, so every node of a central settles it alike; a local modem's comes from the config.
   */
  async function merchantOf (tx: LedgerTx, sms: CompleteSms): Promise<string> {
    if (agentOfModemId(sms.modemId) === null) return deps.merchantOf(sms.modemId)
    const merchantId = await tx.agents.merchantOfModem(sms.modemId)
    // Never guess a merchant for money: the message stays unprocessed and is retried.
    if (merchantId === undefined) throw new Error(`message ${sms.id} came from ${sms.modemId}, whose agent this ledger does not know`)
    return merchantId
  }

  /** What every settled message gets, however it came in: its log line, and the caller's hook. */
  function settled (sms: CompleteSms, settlement: Settlement): void {
    const m = settlement.match
    const r = settlement.reversal
    deps.logger.info({
      sms_id: sms.id,
      modem: sms.modemId,
      outcome: settlement.outcome,
      credit: m?.credit.public_id ?? (r?.kind === 'reversed' ? r.credit.public_id : undefined),
      payment: m?.kind === 'applied' ? m.payment.reference : (r?.kind === 'reversed' ? r.payment?.reference : undefined),
      match_method: m?.kind === 'applied' ? m.method : undefined,
      reversal: r?.kind
    }, 'sms settled')
    // Money a merchant may have shipped for is gone: worth an operator's attention, not only a line.
    if (r?.kind === 'reversed' && r.payment !== null) deps.logger.warn({ sms_id: sms.id, credit: r.credit.public_id, payment: r.payment.reference }, 'the telco reversed a credit that had paid a payment; the payment is in MANUAL_REVIEW')
    deps.onSettled?.(sms, settlement)
  }

  async function process (sms: CompleteSms, merchantId?: string): Promise<Settlement | null> {
    const settlement = await ledger.transact(async (tx) => await settleInTransaction(tx, sms, merchantId ?? await merchantOf(tx, sms)))
    if (settlement !== null) settled(sms, settlement)
    return settlement
  }

  return {
    process,

    async processPending (pending) {
      let n = 0
      for (const sms of pending) {
        try {
          if (await process(sms) !== null) n++
        } catch (err) {
          // With the database away every other message would fail the same way: stop the pass, and
          // let the caller try again later.
          if (err instanceof DatabaseUnavailableError) throw err
          deps.logger.error({ err, sms_id: sms.id }, 'failed to settle a stored SMS; it stays unprocessed and is retried')
        }
      }
      return n
    },

    async ingestText (input, now) {
      const { merchantId, ...text } = input
      const { sms, settlement } = await ledger.transact(async (tx) => {
        const stored = await tx.smsInbox.storeText(text, now)
        return { sms: stored, settlement: await settleInTransaction(tx, stored, merchantId) }
      })
      if (settlement !== null) settled(sms, settlement)
      return { sms, settlement }
    }
  }
}
