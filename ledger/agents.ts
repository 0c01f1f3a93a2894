import type { Mode } from '../core/enums.js'
import type { ModemStatus } from '../modem/status.js'
import { columns } from './columns.js'
import { ConflictError } from './errors.js'
import type { Owner } from './modes.js'
import type { LedgerScope } from './scope.js'
import { sql } from './sql.js'

/**
 * An agent's modem as the central names it: `kumasi/mtn-1`. Neither an agent id nor a modem id may
 * hold a `/` (config/schema.ts), so it can never be a local modem's id, and the agent is its first part.
 */
export function agentModemId (agentId: string, modemId: string): string {
  return `${agentId}/${modemId}`
}

/** The agent of a central modem id, or null for a local modem. */
export function agentOfModemId (centralModemId: string): string | null {
  const slash = centralModemId.indexOf('/')
  return slash <= 0 ? null : centralModemId.slice(0, slash)
}

/** A modem's status as an agent reported it: the modem layer's, with the counters the agent keeps. */
export type ReportedModem = Omit<ModemStatus, 'counters'> & { counters: Readonly<Record<string, number>> }

/** Who speaks for an agent: its key, which fixes the merchant and mode of everything it forwards. */
export interface AgentKey extends Owner {
  readonly keyId: string
}

/** What an agent says about itself at every contact. */
export interface AgentReport {
  readonly version: string | null
  /** Messages it holds that this daemon has not acknowledged yet, and the oldest one's time. */
  readonly backlog: number
  readonly oldestPendingAt: number | null
}

export interface Agent {
  id: string
  merchantId: string
  mode: Mode
  keyId: string
  version: string | null
  firstSeenAt: number
  lastContactAt: number
  backlog: number
  oldestPendingAt: number | null
}

/** One modem of an agent as last reported, with what the central needs about its agent. */
export interface AgentModem {
  agent: Agent
  modemId: string
  status: ReportedModem
  reportedAt: number
}

export interface AcceptedMessage {
  agentId: string
  /** The modem identity at the agent (`imsi:…`). */
  modemKey: string
  /** sha256 over the message's TPDU hashes, in part order. */
  pduHash: string
  modemId: string
  agentSeq: number
  /** The inbox message it completed here; null for an undecodable PDU (stored raw). */
  messageId: number | null
  storedAt: number
}

export interface TestSmsForAgent {
  id: number
  network: string
  sender: string
  text: string
}

/** Another merchant's or mode's agent already has this id. */
export class AgentConflictError extends ConflictError {
  constructor (agentId: string) {
    super('agent_conflict', `agent ${JSON.stringify(agentId)} belongs to another merchant or mode; give this agent another agent.id`)
    this.name = 'AgentConflictError'
  }
}

/**
 * The central's record of its agents (README, Multi-site): who they are, their modems as last
 * reported, the messages accepted from them (the exactly-once key) and test SMS waiting for their
 * virtual modems. Every node reads and writes it through the ledger; no node keeps its own.
 */
export interface AgentRegistry {
  /**
   * Records a contact from agent `id`, registering it at the first: it then belongs to the merchant
   * and mode of `key` for good. Throws AgentConflictError when it belongs to another. A message
   * carries no report (null): version and backlog stay as the last heartbeat said.
   */
  contact: (id: string, key: AgentKey, report: AgentReport | null) => Promise<Agent>
  /** A heartbeat: the agent's modems are now exactly these. */
  reportModems: (agentId: string, modems: readonly ReportedModem[]) => Promise<void>
  /** One modem's status, travelling with a message. */
  reportModem: (agentId: string, modem: ReportedModem) => Promise<void>
  /** The message accepted earlier under this key, if any. */
  accepted: (agentId: string, modemKey: string, pduHash: string) => Promise<AcceptedMessage | undefined>
  /** Records an accepted message, in the transaction that stored its PDUs. */
  recordAccepted: (message: AcceptedMessage) => Promise<void>
  get: (id: string) => Promise<Agent | undefined>
  /** Every agent's modems (GET /v1/modems, pay_to, the dashboard), agents by id. */
  modems: () => Promise<AgentModem[]>
  /** The merchant whose payments an agent modem's messages may pay (from its agent); undefined when unknown. */
  merchantOfModem: (centralModemId: string) => Promise<string | undefined>
  queueTestSms: (agentId: string, sms: Omit<TestSmsForAgent, 'id'>) => Promise<number>
  /** Test SMS waiting for this agent, oldest first, claimed (never handed out twice). */
  claimTestSms: (agentId: string) => Promise<TestSmsForAgent[]>
}

interface AgentRow {
  id: string
  merchant_id: string
  mode: Mode
  key_id: string
  version: string | null
  first_seen_at: number
  last_contact_at: number
  backlog: number
  oldest_pending_at: number | null
}
const AGENT_COLUMNS = columns<AgentRow>()(['id', 'merchant_id', 'mode', 'key_id', 'version', 'first_seen_at', 'last_contact_at', 'backlog', 'oldest_pending_at'])

function toAgent (r: AgentRow): Agent {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    mode: r.mode,
    keyId: r.key_id,
    version: r.version,
    firstSeenAt: r.first_seen_at,
    lastContactAt: r.last_contact_at,
    backlog: r.backlog,
    oldestPendingAt: r.oldest_pending_at
  }
}

export class SqlAgentRegistry implements AgentRegistry {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async contact (id: string, key: AgentKey, report: AgentReport | null): Promise<Agent> {
    return await this.#s.write(async (tx) => {
      const now = tx.now()
      await tx.ex.run(sql`INSERT INTO agents (id, merchant_id, mode, key_id, version, first_seen_at, last_contact_at, backlog, oldest_pending_at)
        VALUES (${id}, ${key.merchantId}, ${key.mode}, ${key.keyId}, ${report?.version ?? null}, ${now}, ${now}, ${report?.backlog ?? 0}, ${report?.oldestPendingAt ?? null})
        ON CONFLICT (id) DO NOTHING`)
      const { changes } = report === null
        ? await tx.ex.run(sql`UPDATE agents SET key_id = ${key.keyId}, last_contact_at = ${now}
            WHERE id = ${id} AND merchant_id = ${key.merchantId} AND mode = ${key.mode}`)
        : await tx.ex.run(sql`UPDATE agents SET key_id = ${key.keyId}, version = ${report.version}, last_contact_at = ${now},
            backlog = ${report.backlog}, oldest_pending_at = ${report.oldestPendingAt}
            WHERE id = ${id} AND merchant_id = ${key.merchantId} AND mode = ${key.mode}`)
      if (changes !== 1) throw new AgentConflictError(id)
      return toAgent(await tx.ex.get<AgentRow>(sql`SELECT ${AGENT_COLUMNS} FROM agents WHERE id = ${id}`) as AgentRow)
    })
  }

  async reportModems (agentId: string, modems: readonly ReportedModem[]): Promise<void> {
    await this.#s.write(async (tx) => {
      await tx.ex.run(sql`DELETE FROM agent_modems WHERE agent_id = ${agentId}`)
      for (const m of modems) await tx.agents.reportModem(agentId, m)
    })
  }

  async reportModem (agentId: string, m: ReportedModem): Promise<void> {
    const status = JSON.stringify(m)
    await this.#s.write(async (tx) => await tx.ex.run(sql`INSERT INTO agent_modems (agent_id, modem_id, network, msisdn, status, reported_at)
      VALUES (${agentId}, ${m.id}, ${m.network}, ${m.msisdn}, ${status}, ${tx.now()})
      ON CONFLICT (agent_id, modem_id) DO UPDATE SET network = excluded.network, msisdn = excluded.msisdn, status = excluded.status, reported_at = excluded.reported_at`))
  }

  async accepted (agentId: string, modemKey: string, pduHash: string): Promise<AcceptedMessage | undefined> {
    return await this.#s.ex.get<AcceptedMessage>(sql`SELECT agent_id AS "agentId", modem_key AS "modemKey", pdu_hash AS "pduHash", modem_id AS "modemId",
        agent_seq AS "agentSeq", message_id AS "messageId", stored_at AS "storedAt"
      FROM agent_messages WHERE agent_id = ${agentId} AND modem_key = ${modemKey} AND pdu_hash = ${pduHash}`)
  }

  async recordAccepted (m: AcceptedMessage): Promise<void> {
    await this.#s.write(async (tx) => await tx.ex.run(sql`INSERT INTO agent_messages (agent_id, modem_key, pdu_hash, modem_id, agent_seq, message_id, stored_at, accepted_at)
      VALUES (${m.agentId}, ${m.modemKey}, ${m.pduHash}, ${m.modemId}, ${m.agentSeq}, ${m.messageId}, ${m.storedAt}, ${tx.now()})`))
  }

  async get (id: string): Promise<Agent | undefined> {
    const row = await this.#s.ex.get<AgentRow>(sql`SELECT ${AGENT_COLUMNS} FROM agents WHERE id = ${id}`)
    return row === undefined ? undefined : toAgent(row)
  }

  async modems (): Promise<AgentModem[]> {
    const agents = new Map((await this.#s.ex.all<AgentRow>(sql`SELECT ${AGENT_COLUMNS} FROM agents ORDER BY id`)).map((r) => [r.id, toAgent(r)]))
    const rows = await this.#s.ex.all<{ agent_id: string, modem_id: string, status: string, reported_at: number }>(sql`SELECT agent_id, modem_id, status, reported_at
      FROM agent_modems ORDER BY agent_id, modem_id`)
    return rows.flatMap((r) => {
      const agent = agents.get(r.agent_id)
      return agent === undefined ? [] : [{ agent, modemId: r.modem_id, status: JSON.parse(r.status) as ReportedModem, reportedAt: r.reported_at }]
    })
  }

  async merchantOfModem (centralModemId: string): Promise<string | undefined> {
    const agentId = agentOfModemId(centralModemId)
    if (agentId === null) return undefined
    return await this.#s.ex.value<string>(sql`SELECT merchant_id FROM agents WHERE id = ${agentId}`)
  }

  async queueTestSms (agentId: string, sms: Omit<TestSmsForAgent, 'id'>): Promise<number> {
    return await this.#s.write(async (tx) => await tx.ex.value<number>(sql`INSERT INTO agent_test_sms (agent_id, network, sender, text, created_at)
      VALUES (${agentId}, ${sms.network}, ${sms.sender}, ${sms.text}, ${tx.now()}) RETURNING id`) as number)
  }

  async claimTestSms (agentId: string): Promise<TestSmsForAgent[]> {
    // Most polls find nothing: a read answers them without taking the writer.
    const waiting = await this.#s.ex.value(sql`SELECT 1 FROM agent_test_sms WHERE agent_id = ${agentId} AND claimed_at IS NULL LIMIT 1`)
    if (waiting === undefined) return []
    return await this.#s.write(async (tx) => {
      const rows = await tx.ex.all<TestSmsForAgent>(sql`SELECT id, network, sender, text FROM agent_test_sms
        WHERE agent_id = ${agentId} AND claimed_at IS NULL ORDER BY id LIMIT 20`)
      for (const r of rows) await tx.ex.run(sql`UPDATE agent_test_sms SET claimed_at = ${tx.now()} WHERE id = ${r.id}`)
      return rows
    })
  }
}
