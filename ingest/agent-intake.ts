import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { SmsOutcome } from '../core/enums.js'
import { agentModemId, type Agent, type AgentKey, type AgentReport, type ReportedModem, type TestSmsForAgent } from '../ledger/agents.js'
import { InvalidFieldError } from '../ledger/errors.js'
import type { Ledger } from '../ledger/ledger.js'
import type { InboxRules } from '../ledger/sms-inbox.js'
import type { CompleteSms, ModemRef } from '../modem/inbox-port.js'
import { toPduRecord } from '../modem/pdu-record.js'
import type { Ingest } from './ingest.js'

/** One message (or one undecodable PDU) an agent forwards, as it stored it. */
export interface ForwardedMessage {
  readonly agentId: string
  /** The agent's outbox number, for logs and the record. */
  readonly seq: number
  /** The modem's status as the agent sends it with the message. */
  readonly modem: ReportedModem
  /** The modem identity the agent stored the PDUs under (`imsi:…`). */
  readonly modemKey: string
  /** Raw PDU hex, in part order. */
  readonly pdus: readonly string[]
  readonly complete: boolean
  /** When the agent stored it (its clock). */
  readonly storedAt: number
}

export interface IntakeResult {
  /** This daemon had the message already: nothing was stored or settled again. */
  readonly duplicate: boolean
  /** The inbox message it became (or had become); null for an undecodable PDU or a part left waiting. */
  readonly smsId: number | null
  /** What settling it gave; null for a duplicate, or when settling failed (it is retried). */
  readonly outcome: SmsOutcome | null
}

export interface AgentIntake {
  /** Stores a forwarded message as a local modem's PDUs are stored, then settles it; idempotent. */
  accept: (key: AgentKey, message: ForwardedMessage) => Promise<IntakeResult>
  /** An agent's heartbeat: it is alive, holds `report.backlog`, and its modems are these. */
  heartbeat: (key: AgentKey, agentId: string, report: AgentReport, modems: readonly ReportedModem[]) => Promise<Agent>
  /** Test SMS waiting for a test-mode agent's virtual modems (`harpoon simulate --agent`). */
  claimTestSms: (key: AgentKey, agentId: string) => Promise<TestSmsForAgent[]>
}

export interface AgentIntakeDeps {
  ledger: Ledger
  ingest: Ingest
  logger: Logger
  rules: InboxRules
}

/** The key of the central's inbox for an agent's modem: dedup and multipart groups are per agent and modem identity. */
export function agentModemRef (key: AgentKey, message: Pick<ForwardedMessage, 'agentId' | 'modem' | 'modemKey'>): ModemRef {
  return { id: agentModemId(message.agentId, message.modem.id), key: `agent:${message.agentId}:${message.modemKey}`, network: message.modem.network, mode: key.mode }
}

/**
 * The central side of an agent's forwarding. A message is decoded here from its raw PDUs and stored
 * through the same inbox store as a local modem's (dedup, multipart assembly, undecodable PDUs kept
 * raw), then settled by the same ingest, so parsing, matching and webhooks cannot differ. Storing it
 * and recording it as accepted from (agent, modem identity, hash of its PDUs) is one transaction,
 * committed before the agent is answered: a retry after a lost answer finds the record and changes
 * nothing. Settling is a second transaction, as for local modems: if it fails, the message stays
 * stored and unprocessed and the daemon's retry settles it. Nothing here is kept in memory between
 * requests, so any node behind the central URL can take any message.
 */
export function createAgentIntake (deps: AgentIntakeDeps): AgentIntake {
  const { ledger, logger } = deps

  return {
    async accept (key, message) {
      // The mode is the key's: a simulated modem's messages must never pay live payments.
      if (key.mode === 'live' && message.modem.virtual) throw new InvalidFieldError('modem.virtual', 'is true, but a live agent key forwards real modems only (virtual modems are test mode: give a test agent a test key)')
      const records = message.pdus.map((hex) => toPduRecord(hex, null, null))
      const pduHash = createHash('sha256').update(records.map((r) => r.tpduHash).join(',')).digest('hex')
      const modem = agentModemRef(key, message)
      const stored = await ledger.transact(async (tx) => {
        await tx.agents.contact(message.agentId, key, null)
        await tx.agents.reportModem(message.agentId, message.modem)
        const earlier = await tx.agents.accepted(message.agentId, message.modemKey, pduHash)
        if (earlier !== undefined) return { duplicate: true, smsId: earlier.messageId, completed: null }
        let completed: CompleteSms | null = null
        for (const record of records) completed = (await tx.smsInbox.recordPdu(modem, record, deps.rules)).completed ?? completed
        // Released with parts missing at the agent: none will follow, so it is settled as incomplete now.
        const last = records.at(-1)
        if (completed === null && !message.complete && last !== undefined && last.decoded !== null) {
          completed = await tx.smsInbox.releaseGroupOf(modem, last.tpduHash, deps.rules)
        }
        await tx.agents.recordAccepted({
          agentId: message.agentId, modemKey: message.modemKey, pduHash, modemId: message.modem.id, agentSeq: message.seq,
          messageId: completed?.id ?? null, storedAt: message.storedAt
        })
        return { duplicate: false, smsId: completed?.id ?? null, completed }
      })
      logger.info({ agent: message.agentId, modem: modem.id, seq: message.seq, sms_id: stored.smsId, duplicate: stored.duplicate }, stored.duplicate
        ? 'agent message already accepted earlier: acknowledged again, nothing changed'
        : 'agent message accepted')
      let outcome: SmsOutcome | null = null
      if (stored.completed !== null) {
        try {
          outcome = (await deps.ingest.process(stored.completed, key.merchantId))?.outcome ?? null
        } catch (err) {
          logger.error({ err, sms_id: stored.completed.id, agent: message.agentId }, 'failed to settle an agent\'s SMS; it stays stored and is retried')
        }
      }
      return { duplicate: stored.duplicate, smsId: stored.smsId, outcome }
    },

    async heartbeat (key, agentId, report, modems) {
      return await ledger.transact(async (tx) => {
        const agent = await tx.agents.contact(agentId, key, report)
        await tx.agents.reportModems(agentId, modems)
        return agent
      })
    },

    async claimTestSms (key, agentId) {
      const agent = await ledger.agents.get(agentId)
      if (agent === undefined || agent.merchantId !== key.merchantId || agent.mode !== key.mode) return []
      return await ledger.agents.claimTestSms(agentId)
    }
  }
}
