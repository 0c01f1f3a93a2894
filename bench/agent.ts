import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startPtyModem } from '../fixtures/modem-harness/pty.js'
import { telcoCreditText } from '../ingest/telco-wording.js'
import { openAgentStore } from '../ledger/agent/store.js'
import { encodeMultipart } from '../modem/pdu/encode.js'
import { ModemSimulator } from '../modem/virtual/engine.js'
import { Cleanup, rssMb, sleep, spawnAgent, spawnDaemon, tempDir, waitUntil } from './harness.js'
import { prepareLedger } from './seed.js'

export interface AgentRss {
  /** Agent RSS (MB) after each thousand messages the central acknowledged; [0] is before the first. */
  samples: Array<{ forwarded: number, rssMb: number }>
  messages: number
  seconds: number
  /** The Node options the agent ran with. */
  nodeArgs: readonly string[]
}

/**
 * The Node options deploy/harpoon-agent.service gives the agent (its `Environment=NODE_OPTIONS=` line),
 * so the bench measures the agent as it is deployed: its heap ceiling decides when V8 collects.
 */
export function agentServiceNodeOptions (): string[] {
  const unit = readFileSync(new URL('../../deploy/harpoon-agent.service', import.meta.url), 'utf8')
  const line = unit.split('\n').find((l) => l.startsWith('Environment=NODE_OPTIONS='))
  return line === undefined ? [] : line.slice('Environment=NODE_OPTIONS='.length).trim().split(/\s+/)
}

/**
 * The agent's memory over 10,000 forwarded messages: a central daemon and `harpoon agent` as their
 * own processes, the agent's modem a simulator on a pty fed 2-part MTN credits as fast as the agent
 * reads them (the SIM never holds more than a few hundred). The agent's RSS is read from /proc after
 * every thousand messages the central acknowledged. Flat means the agent keeps nothing per message
 * in memory: the queue lives in its store, read one item at a time. It also needs V8 to collect the
 * garbage each message leaves in time, which the service's heap ceiling sees to (agentServiceNodeOptions).
 */
export async function runAgentRss (cleanup: Cleanup, messages = 10_000, nodeArgs: readonly string[] = agentServiceNodeOptions()): Promise<AgentRss> {
  const dir = tempDir(cleanup, 'harpoon-bench-agent-')
  const { ledger } = await prepareLedger({ path: join(dir, 'harpoon.db') })
  const agentKey = (await ledger.apiKeys.create({ merchantId: 'default', name: 'bench agent', mode: 'live', scopes: ['agent'] })).secret
  await ledger.close()
  const central = await spawnDaemon(dir, { virtual_modems: false }, cleanup)

  const sim = new ModemSimulator({ profile: 'sim800', imsi: '620010000000077', memories: { SM: 1_000 } })
  const pty = await startPtyModem(sim)
  cleanup.push(async () => { await pty.close() })
  const agentDir = join(dir, 'agent')
  mkdirSync(agentDir)
  const storePath = join(agentDir, 'agent.db')
  const agent = await spawnAgent(agentDir, {
    agent: { id: 'bench', central_url: central.url, key: agentKey, store_path: storePath },
    modems: [{ id: 'mtn-1', port: pty.path, network: 'mtn', msisdn: '0244000077' }],
    virtual_modems: false,
    modem_polling: { scan_interval_ms: 500 }
  }, cleanup, nodeArgs)
  // Read beside the running agent, as `harpoon agent status` does.
  const store = await openAgentStore(storePath)
  cleanup.push(async () => { await store.close() })
  const forwarded = async (): Promise<number> => (await store.backlog()).forwarded

  await sleep(2_000)
  const samples = [{ forwarded: 0, rssMb: rssMb(agent.pid) }]
  const started = performance.now()
  let sent = 0
  let next = 1_000
  while (next <= messages) {
    // Keep the SIM fed without overfilling it: the agent deletes each message once it is stored.
    while (sent < messages && sim.messages().length < 300) {
      const text = telcoCreditText({ network: 'mtn', amountMinor: 1_000 + sent, reference: 'NOCODE', payerPhone: '0244111222', payerName: 'KOFI MENSAH', transactionId: String(70_000_000_000 + sent), balanceMinor: 500_000 + sent, at: new Date() })
      for (const pdu of encodeMultipart({ sender: 'MobileMoney', text, sentAt: `${new Date().toISOString().slice(0, 19)}+00:00`, ref: sent % 65_536, refBits: 16 })) sim.deliver(pdu)
      sent++
    }
    const done = await forwarded()
    if (done >= next) {
      samples.push({ forwarded: done, rssMb: rssMb(agent.pid) })
      next += 1_000
      continue
    }
    await sleep(100)
  }
  const seconds = (performance.now() - started) / 1000
  await waitUntil(async () => (await store.backlog()).pending === 0 ? true : undefined, 'the agent to drain', 60_000, 100)
  return { samples, messages, seconds, nodeArgs }
}
