import type { Logger } from 'pino'
import { keyMode } from '../core/enums.js'
import { ConfigError, type Config } from '../config/load.js'
import { configuredModems } from '../config/modems.js'
import { openAgentStore, type AgentStore, type ForwardItem } from '../ledger/agent/store.js'
import { nativeBinding, serialTransportOpener, type OpenTransport } from '../modem/at/transport.js'
import { NETWORKS, type Network } from '../modem/network.js'
import { assembleText } from '../modem/pdu/assemble.js'
import { emptyCounters, type ModemStatus } from '../modem/status.js'
import { ModemSupervisor } from '../modem/supervisor.js'
import { startVirtualFleet, VIRTUAL_MODEM_PREFIX } from '../modem/virtual/fleet.js'
import type { Resolver } from '../webhooks/ssrf.js'
import { CentralClient } from './central-client.js'
import { checkCentralAddresses, CentralUrlError, checkCentralUrl } from './central-url.js'
import { Forwarder } from './forwarder.js'
import { Link } from './link.js'
import type { ModemReport } from './protocol.js'

export interface RunningAgent {
  readonly store: AgentStore
  readonly supervisor: ModemSupervisor
  stop: () => Promise<void>
}

export interface AgentStartOptions {
  logger: Logger
  version: string
  resolver?: Resolver
  /** Tests give the modem layer another way to open ports; default: device nodes and `virtual:*`. */
  openTransport?: OpenTransport
}

/** A modem's status as the wire carries it (agent/protocol.ts): free text cut to the wire's limits. */
function report (s: ModemStatus): ModemReport {
  return { ...s, port: s.port.slice(0, 300), counters: { ...s.counters }, last_error: s.last_error?.slice(0, 1000) ?? null }
}

/** The network the message was stored under: the central keys and settles it by that one. */
function networkOf (item: ForwardItem): Network | null {
  return NETWORKS.find((n) => n === item.network) ?? null
}

/** A modem whose messages wait in the store but that is no longer configured. */
function gone (item: ForwardItem): ModemReport {
  const network = networkOf(item)
  return {
    id: item.modemId, port: '', network, msisdn: null, virtual: false, connected: false, signal_dbm: null, registered: null, sim_ready: false,
    imei: null, imsi: null, last_sms_at: null, storage_used: null, storage_total: null, counters: emptyCounters(), last_error: 'no longer configured at the agent'
  }
}

/** Runs `fn` now and then every `ms`, never two at once; the returned stop waits for a run in hand. */
function every (ms: number, fn: () => Promise<void>): () => Promise<void> {
  let timer: NodeJS.Timeout | null = null
  let stopped = false
  let running: Promise<void> = Promise.resolve()
  const loop = (): void => {
    running = fn().finally(() => {
      if (!stopped) { timer = setTimeout(loop, ms); timer.unref() }
    })
  }
  loop()
  return async () => {
    stopped = true
    if (timer !== null) clearTimeout(timer)
    await running
  }
}

/** The config's agent section, or the start-up error that names it. */
export function agentSettings (config: Config): NonNullable<Config['agent']> {
  if (config.agent === null) throw new ConfigError(`invalid configuration in ${config.source}:\n  - agent: is required for harpoon agent (id, central_url, key)`, [{ field: 'agent', message: 'is required for harpoon agent' }])
  return config.agent
}

/**
 * `harpoon agent`: the modem layer whole (supervisor, AT sessions, PDU decoder, multipart assembly,
 * store-before-delete) over a local store of its own, and a forwarder that hands each complete
 * message to the central daemon and deletes nothing before the central acknowledged it. Status
 * goes with every message and as a heartbeat. Without modems it runs the virtual ones, in test
 * mode, and takes test SMS for them from the central (`harpoon simulate --agent`). The central
 * being away stops nothing here: SMS are read, stored and queued, and sent when it answers.
 */
export async function startAgent (config: Config, options: AgentStartOptions): Promise<RunningAgent> {
  const { logger, version } = options
  const settings = agentSettings(config)
  const url = checkCentralUrl(settings.central_url)
  try {
    await checkCentralAddresses(url, options.resolver)
  } catch (err) {
    if (!(err instanceof CentralUrlError) || /does not resolve/.test(err.message)) {
      // Not knowable now (DNS not up yet at boot): every connect checks again, and SMS are stored meanwhile.
      logger.warn({ err: (err as Error).message }, 'agent: the central\'s name does not resolve yet; forwarding waits for it')
    } else {
      throw new ConfigError(`invalid configuration in ${config.source}:\n  - agent.central_url: ${err.message}`, [{ field: 'agent.central_url', message: err.message }])
    }
  }
  const mode = keyMode(settings.key)
  logger.info({ version, agent: settings.id, central: url.origin, mode, store: settings.store_path }, 'starting harpoon agent')

  const store = await openAgentStore(settings.store_path)
  const fleet = startVirtualFleet(config.virtualModems, logger)
  const client = new CentralClient({ url, key: settings.key, timeoutMs: settings.request_timeout_ms, version, ...(options.resolver === undefined ? {} : { resolver: options.resolver }) })
  let forwarder: Forwarder | null = null
  const link = new Link(logger, () => { forwarder?.wakeAll() })
  const backlog = async (): Promise<number> => (await store.backlog()).pending

  const supervisor = new ModemSupervisor({
    modems: [...configuredModems(config), ...fleet.configs],
    inbox: store.inboxPort({ assemble: assembleText }),
    // Stored and queued in one transaction already: the forwarder only needs to know it is there.
    onMessage: (sms) => { forwarder?.wake(sms.modemId) },
    logger,
    scanIntervalMs: config.modem_polling.scan_interval_ms,
    commandTimeoutMs: config.modem_polling.command_timeout_ms,
    listTimeoutMs: config.modem_polling.list_timeout_ms,
    openTransport: options.openTransport ?? serialTransportOpener(fleet.ports.over(nativeBinding))
  })
  const statusOf = (item: ForwardItem): ModemReport => {
    const s = supervisor.list().find((m) => m.id === item.modemId)
    return s === undefined ? gone(item) : { ...report(s), network: networkOf(item) ?? s.network }
  }
  forwarder = new Forwarder({
    store, forward: async (body) => await client.forward(body), agentId: settings.id, modemStatus: statusOf, link, logger,
    backoff: { initialMs: settings.retry_initial_ms, maxMs: settings.retry_max_ms }
  })

  await supervisor.start()
  await forwarder.start()

  let registered = false
  const stopHeartbeat = every(settings.heartbeat_ms, async () => {
    try {
      const b = await store.backlog()
      const result = await client.heartbeat({ agent: settings.id, version, backlog: { pending: b.pending, oldest_pending_at: b.oldestPendingAt }, modems: supervisor.list().map(report) })
      if (result.kind === 'ok') {
        link.up(backlog)
        if (!registered) logger.info({ agent: result.data.agent }, 'agent: the central knows this agent; its modems serve this merchant and mode')
        registered = true
      } else if (result.kind === 'unavailable') link.unavailable(result.error)
      else link.refused('heartbeat', result.kind === 'rejected' ? result.code : 'refused', result.error, 'check agent.key, agent.id and agent.central_url')
    } catch (err) {
      logger.error({ err }, 'agent: heartbeat failed')
    }
  })

  // Test mode: SMS typed on the central (`harpoon simulate --agent`) arrive on a virtual modem here.
  const stopTestSms = fleet.modems.size === 0
    ? async () => {}
    : every(settings.test_poll_ms, async () => {
      if (link.down) return
      const result = await client.claimTestSms(settings.id)
      if (result.kind !== 'ok') return
      for (const sms of result.data) {
        const vm = fleet.modems.get(sms.network as Network)
        try {
          if (vm === undefined) throw new Error(`no virtual ${sms.network} modem here`)
          vm.inject(sms.text, sms.sender)
          supervisor.requestScan(`${VIRTUAL_MODEM_PREFIX}${sms.network}`)
        } catch (err) {
          logger.warn({ err, network: sms.network }, 'agent: could not deliver a test SMS to a virtual modem; dropped (test mode)')
        }
      }
    })

  const retainMs = settings.retain_forwarded_hours * 3_600_000
  const stopPurge = every(3_600_000, async () => {
    try {
      const purged = await store.purge(Date.now() - retainMs)
      if (purged > 0) logger.info({ purged, retain_forwarded_hours: settings.retain_forwarded_hours }, 'agent: deleted messages the central acknowledged long ago')
    } catch (err) {
      logger.error({ err }, 'agent: purging acknowledged messages failed')
    }
  })

  logger.info({ agent: settings.id, modems: supervisor.list().map((m) => m.id), virtual: fleet.modems.size > 0 }, 'agent running')

  let stopping: Promise<void> | null = null
  return {
    store,
    supervisor,
    stop: async () => {
      stopping ??= (async () => {
        logger.info('agent: shutting down')
        await Promise.all([stopHeartbeat(), stopTestSms(), stopPurge()])
        await supervisor.stop()
        await forwarder?.stop()
        fleet.close()
        await client.close()
        await store.close()
        logger.info('agent: stopped')
      })()
      return await stopping
    }
  }
}
