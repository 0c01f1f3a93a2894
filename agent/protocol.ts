import { Type, type Static } from '@sinclair/typebox'
import { ID_PATTERN } from '../config/schema.js'
import { literals } from '../core/enum-schema.js'
import { NETWORKS } from '../modem/network.js'

/**
 * The wire between `harpoon agent` and its central daemon: JSON over HTTPS, the agent's key as
 * `Authorization: Bearer`, the API's envelope around every answer. The central validates each body
 * with these schemas (api/routes/agents.ts); the agent builds them (agent/central-client.ts).
 * Unknown fields are refused, as everywhere in the API: upgrade the central before its agents.
 */

/** An agent id, like a modem id: never a `/`, which joins the two in the central's modem ids. */
export const AGENT_ID_PATTERN = ID_PATTERN

const nullable = <S extends Parameters<typeof Type.Union>[0][number]>(schema: S) => Type.Union([schema, Type.Null()])
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })

/** One modem's status as the agent's modem layer reads it (the fields of GET /v1/modems). */
export const ModemReportSchema = Type.Object({
  id: Type.String({ pattern: AGENT_ID_PATTERN }),
  port: Type.String({ maxLength: 300 }),
  network: nullable(literals(NETWORKS)),
  msisdn: nullable(Type.String({ pattern: '^\\d{10}$' })),
  virtual: Type.Boolean(),
  connected: Type.Boolean(),
  signal_dbm: nullable(Type.Integer({ minimum: -200, maximum: 0 })),
  registered: nullable(Type.Boolean()),
  sim_ready: Type.Boolean(),
  imei: nullable(Type.String({ pattern: '^\\d{14,17}$' })),
  imsi: nullable(Type.String({ pattern: '^\\d{6,15}$' })),
  last_sms_at: nullable(Type.String({ format: 'date-time', maxLength: 40 })),
  storage_used: nullable(Count),
  storage_total: nullable(Count),
  // Counters are open-ended so an agent that counts one more thing still talks to an older central.
  counters: Type.Record(Type.String({ pattern: '^[a-z_]{1,40}$' }), Count, { maxProperties: 32, additionalProperties: false }),
  last_error: nullable(Type.String({ maxLength: 1000 }))
}, { additionalProperties: false })
export type ModemReport = Static<typeof ModemReportSchema>

const Backlog = Type.Object({
  pending: Count,
  oldest_pending_at: nullable(Count)
}, { additionalProperties: false, description: 'messages the agent holds that the central has not acknowledged' })

export const HeartbeatBody = Type.Object({
  agent: Type.String({ pattern: AGENT_ID_PATTERN }),
  version: Type.String({ minLength: 1, maxLength: 40 }),
  backlog: Backlog,
  modems: Type.Array(ModemReportSchema, { maxItems: 64 })
}, { additionalProperties: false })
export type HeartbeatBody = Static<typeof HeartbeatBody>

export const HeartbeatReply = Type.Object({
  agent: Type.Object({ id: Type.String(), merchant: Type.String(), mode: Type.String() }),
  server_time: Type.String()
})
export type HeartbeatReply = Static<typeof HeartbeatReply>

/** The longest PDU line the wire carries: ten times a real one (176-byte TPDU, 12-byte SMSC, as hex). */
export const PDU_WIRE_MAX = 4096

/** Raw PDU hex as the modem listed it (a stray quote or space is tolerated, as for local modems). */
const PduHex = Type.String({ minLength: 1, maxLength: PDU_WIRE_MAX, pattern: '^[\\x20-\\x7e]+$' })

/**
 * A listed PDU line as the wire carries it. Line noise can put any byte in a listing; the central
 * hashes and decodes the hex digits only, so other characters become `?` (and a runaway line is
 * cut) rather than make the central refuse the message, which would hold its modem's queue.
 */
export function wirePdu (raw: string): string {
  const printable = raw.replace(/[^\x20-\x7e]/g, '?').slice(0, PDU_WIRE_MAX)
  return printable === '' ? '?' : printable
}

export const MessageBody = Type.Object({
  agent: Type.String({ pattern: AGENT_ID_PATTERN }),
  /** The agent's outbox number: increasing in the order the agent stored its messages. */
  seq: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  modem: ModemReportSchema,
  /** The modem identity the PDUs were stored under at the agent. */
  modem_key: Type.String({ pattern: '^(imsi|imei|id):[A-Za-z0-9_.-]{1,64}$' }),
  stored_at: Count,
  /** False: released with parts missing (or one undecodable PDU); the central settles it as incomplete. */
  complete: Type.Boolean(),
  pdus: Type.Array(PduHex, { minItems: 1, maxItems: 255 })
}, { additionalProperties: false })
export type MessageBody = Static<typeof MessageBody>

export const MessageReply = Type.Object({
  /** True when the central had this message already (a retry after a lost acknowledgement). */
  duplicate: Type.Boolean(),
  sms_id: nullable(Type.Integer()),
  outcome: nullable(Type.String())
})
export type MessageReply = Static<typeof MessageReply>

export const TestSmsClaimBody = Type.Object({
  agent: Type.String({ pattern: AGENT_ID_PATTERN })
}, { additionalProperties: false })

export const TestSmsClaimReply = Type.Array(Type.Object({
  id: Type.Integer(),
  network: Type.String(),
  sender: Type.String(),
  text: Type.String()
}))
export type TestSmsClaimReply = Static<typeof TestSmsClaimReply>

export const AGENT_PATHS = {
  heartbeat: '/v1/agent/heartbeat',
  messages: '/v1/agent/messages',
  testSms: '/v1/agent/test-sms/claim'
} as const

/** Large enough for a 255-part message of the longest PDU lines, with its modem's status. */
export const AGENT_BODY_LIMIT = 2 * 1024 * 1024
