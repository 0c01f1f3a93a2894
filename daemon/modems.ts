import type { Logger } from 'pino'
import type { Wallets } from '../api/payment-view.js'
import type { TestSmsRequest, TestSmsResult } from '../api/routes/test-sms.js'
import type { ModemStatus as ApiModemStatus } from '../api/routes/system.js'
import type { Config } from '../config/load.js'
import type { Network } from '../config/schema.js'
import { MODEM_CURRENCIES, NETWORK_INFO } from '../core/networks.js'
import type { Ingest } from '../ingest/ingest.js'
import type { Settlement } from '../ingest/settle.js'
import type { Ledger } from '../ledger/ledger.js'
import { DEFAULT_MERCHANT_ID } from '../ledger/merchants.js'
import type { Owner } from '../ledger/modes.js'
import { smsInboxPort } from '../ledger/sms-inbox.js'
import type { CompleteSms } from '../modem/inbox-port.js'
import { assembleText } from '../modem/pdu/assemble.js'
import type { ModemConfig } from '../modem/runner.js'
import { ModemSupervisor } from '../modem/supervisor.js'
import { nativeBinding, serialTransportOpener } from '../modem/at/transport.js'
import { startVirtualFleet, VIRTUAL_MODEM_PREFIX } from '../modem/virtual/fleet.js'
import { configuredModems } from '../config/modems.js'
import { SettledWaiters, testSmsResult, testSmsText } from './test-sms.js'


/** What the wallets of every network a modem can be on hold (the registry, core/networks.ts). */
export const MODEM_NETWORK_CURRENCIES: readonly string[] = MODEM_CURRENCIES

export interface ModemLayer {
  list: () => ApiModemStatus[]
  wallets: Wallets
  /**
   * Test SMS through a virtual modem's AT/PDU path; null when no virtual modem serves this network
   * and merchant (the caller then settles the message directly).
   */
  deliverTestSms: (owner: Owner, request: TestSmsRequest) => Promise<TestSmsResult> | null
  /** Ingest calls this after each settled message (resolves test SMS waiting for their outcome). */
  settled: (sms: CompleteSms, settlement: Settlement) => void
  stop: () => Promise<void>
}

/**
 * The merchant whose payments a modem's messages may pay: the one configured for it; the virtual
 * modems (and anything unknown) serve `default`. One answer for ingest and for `pay_to`.
 */
export function modemMerchants (config: Config): (modemId: string) => string {
  const merchants = new Map(config.modems.map((m) => [m.id, m.merchant]))
  return (modemId) => merchants.get(modemId) ?? DEFAULT_MERCHANT_ID
}

/**
 * The modem side of the daemon: one supervisor for the configured modems and, when none are
 * configured (or `virtual_modems` is true), one simulated modem per network on an in-process
 * virtual serial port, read through exactly the same serial code path, in test mode. Nothing here
 * needs a program outside Node, and no modem's failure stops the others or the API.
 */
export async function startModems (config: Config, ledger: Ledger, ingest: Ingest, logger: Logger): Promise<ModemLayer> {
  // Without them, harpoon simulate and POST /v1/test/sms settle test SMS directly.
  const fleet = startVirtualFleet(config.virtualModems, logger)
  const virtual = fleet.modems
  const merchantOf = modemMerchants(config)
  const modems: ModemConfig[] = [...configuredModems(config), ...fleet.configs]
  // A modem's SMS settle only payments of its mode: a live payment is never told to pay a virtual modem.
  const modeOf = new Map(modems.map((m) => [m.id, m.mode ?? 'live']))

  const waiters = new SettledWaiters()
  // The session deletes a message from the SIM only once the commit of the recordPdus (or recordPdu) call that stored it has resolved. Only this
  // node's modems (and agents' modems, which belong to no node): several daemons on one PostgreSQL
  // ledger each settle the messages they read.
  const inbox = smsInboxPort(ledger, { assemble: assembleText, modems: modems.map((m) => m.id) })
  // Settlements started and not yet finished: stop() waits for them before the ledger closes.
  const settling = new Set<Promise<unknown>>()
  const track = (work: Promise<unknown>): void => {
    settling.add(work)
    const done = (): void => { settling.delete(work) }
    work.then(done, done)
  }
  const supervisor = new ModemSupervisor({
    modems,
    inbox,
    logger,
    scanIntervalMs: config.modem_polling.scan_interval_ms,
    commandTimeoutMs: config.modem_polling.command_timeout_ms,
    listTimeoutMs: config.modem_polling.list_timeout_ms,
    // Virtual ports open in process; every other path is a device node for the platform's binding.
    openTransport: serialTransportOpener(fleet.ports.over(nativeBinding)),
    onMessage: (sms) => {
      track(ingest.process(sms).catch((err: unknown) => {
        // The message stays stored and unprocessed: it is settled again by the retry below or at the next start.
        logger.error({ err, sms_id: sms.id }, 'failed to settle an SMS; it stays stored for retry')
        retrySoon()
      }))
    }
  })
  await supervisor.start()
  // A message whose settlement failed (the database away, a full disk) stays stored and unprocessed:
  // a retry pass runs a few seconds after a failure, and every minute anyway. One pass at a time.
  let retrying = false
  let soon: NodeJS.Timeout | null = null
  const retryPass = (): void => {
    if (retrying) return
    retrying = true
    track((async () => {
      try {
        const pending = await inbox.unprocessed()
        if (pending.length > 0) logger.warn({ count: pending.length }, 'retrying stored SMS that were not settled')
        await ingest.processPending(pending)
      } catch (err) {
        logger.error({ err }, 'retrying unsettled SMS failed; trying again shortly')
        retrySoon()
      } finally {
        retrying = false
      }
    })())
  }
  function retrySoon (): void {
    if (soon !== null) return
    soon = setTimeout(() => { soon = null; retryPass() }, 5_000)
    soon.unref()
  }
  const retry = setInterval(retryPass, 60_000)
  retry.unref()

  return {
    list: () => supervisor.list().map((s) => ({ ...s, merchant: merchantOf(s.id), counters: { ...s.counters }, state: s.connected ? 'connected' : 'disconnected' })),
    wallets: (owner) => supervisor.list()
      .filter((s) => merchantOf(s.id) === owner.merchantId && modeOf.get(s.id) === owner.mode && s.msisdn !== null && s.network !== null)
      .map((s) => ({ network: s.network as Network, msisdn: s.msisdn as string, currency: NETWORK_INFO[s.network as Network].currency })),
    settled: (sms, settlement) => { waiters.settled(sms, settlement) },
    deliverTestSms: (owner, request) => {
      const vm = virtual.get(request.network)
      if (vm === undefined || owner.merchantId !== DEFAULT_MERCHANT_ID) return null
      return (async () => {
        const { sender, text } = await testSmsText(ledger, request, `${VIRTUAL_MODEM_PREFIX}${request.network}`, Date.now())
        const result = await waiters.wait(text, 15_000, () => {
          vm.inject(text, sender)
          supervisor.requestScan(`${VIRTUAL_MODEM_PREFIX}${request.network}`)
        })
        return await testSmsResult(ledger, { network: request.network, sender, text }, result, 'virtual_modem')
      })()
    },
    stop: async () => {
      clearInterval(retry)
      if (soon !== null) clearTimeout(soon)
      await supervisor.stop()
      await Promise.allSettled([...settling])
      fleet.close()
    }
  }
}
