import type { Logger } from 'pino'
import type { Wallet } from '../api/payment-view.js'
import { AGENT_OFFLINE, type ModemStatus as ApiModemStatus } from '../api/routes/system.js'
import type { TestSmsRequest, TestSmsResult } from '../api/routes/test-sms.js'
import { isoSeconds } from '../core/time.js'
import { agentModemId, type AgentModem } from '../ledger/agents.js'
import { InvalidFieldError } from '../ledger/errors.js'
import type { Ledger } from '../ledger/ledger.js'
import type { Owner } from '../ledger/modes.js'
import type { CompleteSms } from '../modem/inbox-port.js'
import { isNetwork } from '../parsers/types.js'
import { NETWORK_LOCALES } from '../parsers/index.js'
import type { Settlement } from '../ingest/settle.js'
import { SettledWaiters, testSmsResult, testSmsText } from './test-sms.js'

/** How long `POST /v1/test/sms` with an agent waits: the agent's poll, its modem's scan, the forward. */
const AGENT_TEST_SMS_WAIT_MS = 30_000

export interface AgentView {
  /** Every agent's modems as GET /v1/modems shows them: state `agent_offline` when the agent went quiet. */
  list: () => ApiModemStatus[]
  /** Wallets of agent modems whose SMS can settle this owner's payments (pay_to). */
  wallets: (owner: Owner) => Wallet[]
  /** Re-reads the agents now (after a report reached this node). */
  refresh: () => void
  /** A test SMS for a test-mode agent's virtual modem; null when the request names no agent. */
  deliverTestSms: (owner: Owner, request: TestSmsRequest) => Promise<TestSmsResult> | null
  settled: (sms: CompleteSms, settlement: Settlement) => void
  stop: () => void
}

/** One wallet once: the daemon's virtual modems and a test agent's share the placeholder numbers. */
export function uniqueWallets (wallets: readonly Wallet[]): Wallet[] {
  const seen = new Set<string>()
  return wallets.filter((w) => { const k = `${w.network} ${w.msisdn}`; if (seen.has(k)) return false; seen.add(k); return true })
}

export interface AgentViewOptions {
  ledger: Ledger
  logger: Logger
  /** An agent not heard from this long is offline (config `central.agent_offline_after_ms`). */
  offlineAfterMs: number
  /** How often other nodes' news is read from the ledger. */
  refreshMs?: number
  now?: () => number
}

/**
 * This node's view of the agents, for the readers that answer at once (GET /v1/modems, /healthz,
 * pay_to, /metrics). The ledger holds the truth and every node reads it again every `refreshMs` (and
 * right after a report it took), so several nodes behind one URL agree within that time; nothing a
 * message's exactly-once handling needs is kept here.
 */
export function startAgentView (o: AgentViewOptions): AgentView {
  const now = o.now ?? Date.now
  let modems: AgentModem[] = []
  let reading: Promise<void> | null = null
  let again = false
  const waiters = new SettledWaiters()

  const read = (): void => {
    if (reading !== null) { again = true; return }
    reading = o.ledger.agents.modems().then((m) => { modems = m }, (err: unknown) => {
      o.logger.error({ err }, 'could not read the agents from the ledger; GET /v1/modems shows the last known state')
    }).finally(() => {
      reading = null
      if (again) { again = false; read() }
    })
  }
  read()
  const timer = setInterval(read, o.refreshMs ?? 2_000)
  timer.unref()

  const online = (m: AgentModem): boolean => now() - m.agent.lastContactAt < o.offlineAfterMs

  return {
    list: () => modems.map((m) => {
      const up = online(m)
      return {
        ...m.status,
        counters: { ...m.status.counters },
        id: agentModemId(m.agent.id, m.modemId),
        merchant: m.agent.merchantId,
        agent: m.agent.id,
        last_contact_at: isoSeconds(m.agent.lastContactAt),
        // An agent that went quiet says nothing about its modems: none is known to be connected.
        connected: up && m.status.connected,
        state: !up ? AGENT_OFFLINE : m.status.connected ? 'connected' : 'disconnected'
      }
    }),

    wallets: (owner) => modems.flatMap((m) => {
      const { network, msisdn } = m.status
      if (m.agent.merchantId !== owner.merchantId || m.agent.mode !== owner.mode || network === null || msisdn === null) return []
      return [{ network, msisdn, currency: NETWORK_LOCALES[network].currency }]
    }),

    refresh: read,

    deliverTestSms: (owner, request) => {
      if (request.agent === null) return null
      const agentId = request.agent
      return (async () => {
        const agent = await o.ledger.agents.get(agentId)
        if (agent === undefined || agent.merchantId !== owner.merchantId || agent.mode !== 'test') {
          throw new InvalidFieldError('agent', `names no test-mode agent of this merchant (${agentId}); start one with a test agent key and no modems`)
        }
        const modem = (await o.ledger.agents.modems()).find((m) => m.agent.id === agentId && m.status.virtual && m.status.network === request.network)
        if (modem === undefined || !isNetwork(request.network)) throw new InvalidFieldError('agent', `${agentId} runs no virtual ${request.network} modem`)
        const { sender, text } = await testSmsText(o.ledger, request, agentModemId(agentId, modem.modemId), now())
        const result = await waiters.wait(text, AGENT_TEST_SMS_WAIT_MS, async () => {
          await o.ledger.agents.queueTestSms(agentId, { network: request.network, sender, text })
        })
        return await testSmsResult(o.ledger, { network: request.network, sender, text }, result, 'agent')
      })()
    },

    settled: (sms, settlement) => { waiters.settled(sms, settlement) },

    stop: () => { clearInterval(timer) }
  }
}
