import type { FastifyInstance } from 'fastify'
import { typed } from '../typed.js'
import { AGENT_BODY_LIMIT, AGENT_PATHS, HeartbeatBody, HeartbeatReply, MessageBody, MessageReply, TestSmsClaimBody, TestSmsClaimReply } from '../../agent/protocol.js'
import { isoSeconds } from '../../core/time.js'
import type { AgentIntake } from '../../ingest/agent-intake.js'
import type { AgentKey } from '../../ledger/agents.js'
import { caller } from '../auth.js'
import { ok } from '../envelope.js'
import { ErrorSchema, envelope } from '../schemas.js'

export interface AgentRouteDeps {
  intake: AgentIntake
  /** Told after every report, so this node's view of the agents (GET /v1/modems, pay_to) is fresh at once. */
  onReport?: () => void
}

const errors = { 401: ErrorSchema, 403: ErrorSchema, 409: ErrorSchema, 413: ErrorSchema, 422: ErrorSchema, 429: ErrorSchema }
const route = (path: string): string => path.replace(/^\/v1/, '')
// A backlog after an outage drains as fast as the agent sends: keys with only the agent scope are
// made by the box's operator, so their routes get far more room than the merchant API's default.
const rateLimit = { max: 2_000, timeWindow: 1_000 }

/**
 * `/v1/agent/*`: what a `harpoon agent` calls (agent/protocol.ts). Only a key with the agent scope
 * reaches these routes, and that key reaches nothing else; the merchant and mode of everything it
 * forwards are its key's, never the body's.
 */
export function agentRoutes (deps: AgentRouteDeps) {
  const keyOf = (auth: ReturnType<typeof caller>): AgentKey => ({ keyId: auth.keyId, merchantId: auth.merchantId, mode: auth.mode })

  return async function register (instance: FastifyInstance): Promise<void> {
    const app = typed(instance)
    app.post(route(AGENT_PATHS.heartbeat), {
      config: { scope: 'agent', rateLimit },
      schema: {
        tags: ['agents'],
        summary: 'An agent is alive: its modems\' status and its backlog (agent key)',
        body: HeartbeatBody,
        response: { 200: envelope(HeartbeatReply), ...errors }
      }
    }, async (request) => {
      const body = request.body
      const agent = await deps.intake.heartbeat(keyOf(caller(request)), body.agent, { version: body.version, backlog: body.backlog.pending, oldestPendingAt: body.backlog.oldest_pending_at }, body.modems)
      deps.onReport?.()
      return ok({ agent: { id: agent.id, merchant: agent.merchantId, mode: agent.mode }, server_time: isoSeconds(Date.now()) })
    })

    app.post(route(AGENT_PATHS.messages), {
      config: { scope: 'agent', rateLimit },
      bodyLimit: AGENT_BODY_LIMIT,
      schema: {
        tags: ['agents'],
        summary: 'Forward one SMS as raw PDUs; answered once it is committed (agent key)',
        description: 'Idempotent by (agent, modem_key, the PDUs): sending a message again changes nothing and answers duplicate: true.',
        body: MessageBody,
        response: { 200: envelope(MessageReply), ...errors }
      }
    }, async (request) => {
      const body = request.body
      const result = await deps.intake.accept(keyOf(caller(request)), {
        agentId: body.agent, seq: body.seq, modem: body.modem, modemKey: body.modem_key, pdus: body.pdus, complete: body.complete, storedAt: body.stored_at
      })
      deps.onReport?.()
      return ok({ duplicate: result.duplicate, sms_id: result.smsId, outcome: result.outcome })
    })

    app.post(route(AGENT_PATHS.testSms), {
      config: { scope: 'agent', testOnly: true, rateLimit },
      schema: {
        tags: ['agents'],
        summary: 'Test SMS waiting for this agent\'s virtual modems, handed out once (test-mode agent key)',
        body: TestSmsClaimBody,
        response: { 200: envelope(TestSmsClaimReply), ...errors }
      }
    }, async (request) => {
      const body = request.body
      return ok(await deps.intake.claimTestSms(keyOf(caller(request)), body.agent))
    })
  }
}
