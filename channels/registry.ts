import type { Logger } from 'pino'
import { EMBEDDED_CHANNEL_ID, EMBEDDED_IPAY_CHANNEL_ID, type ChannelSettings, type Config } from '../config/load.js'
import type { AuditStore } from '../ledger/audit.js'
import type { Owner } from '../ledger/modes.js'
import type { Channel } from './channel.js'
import { IpayChannel } from './ipay/channel.js'
import { startIpaySimulator, type IpaySimulator } from './ipay/simulator.js'
import { providerLegRecorder } from './legs.js'
import { MtnMomoChannel } from './mtn-momo/channel.js'
import { startMtnSimulator, type MtnSimulator } from './mtn-momo/simulator.js'

/** The channels the daemon runs, by id. Built once at start from the config; credentials stay inside. */
export interface ChannelRegistry {
  get: (id: string) => Channel | undefined
  all: () => readonly Channel[]
  /** The channels that collect this owner's payments (its merchant's, of its mode). */
  forOwner: (owner: Owner) => Channel[]
  /** A channel by id, if it serves this owner. */
  find: (owner: Owner, id: string) => Channel | undefined
  /**
   * The channel to pay a payment's money back through: its own channel when that can refund, else
   * the owner's first refund-capable channel in the payment's currency whose country the payer's
   * number belongs to. Undefined: no way to pay back, the refund can only be recorded.
   */
  refundChannel: (owner: Owner, payment: { channel_id: string | null, currency: string, payer_phone: string | null }) => Channel | undefined
  /** The embedded simulator (test mode), when it runs. */
  readonly simulator: MtnSimulator | null
  /**
   * Where a test channel's simulator takes orders as the customer (its `/_sim` control API): the
   * embedded simulator, or a test channel's base URL (`harpoon mtn-sim`). Null for live channels.
   */
  simulatorUrl: (id: string) => string | null
  /** Tells the embedded channel where the daemon's API listens (its callbacks go there). */
  setLocalApiUrl: (url: string) => void
  close: () => Promise<void>
}

export interface RegistryDeps {
  config: Pick<Config, 'channels' | 'channel_calls' | 'embeddedSimulator'> & Partial<Pick<Config, 'embeddedIpay'>>
  audit: AuditStore
  logger: Logger
}

/** A channel entry that may serve every merchant (`merchant: null`: the embedded simulators). */
type AnyMerchant<T> = T extends unknown ? Omit<T, 'merchant'> & { merchant: string | null } : never

const serves = (channel: Channel, owner: Owner): boolean =>
  channel.mode === owner.mode && (channel.merchantId === null || channel.merchantId === owner.merchantId)

/**
 * Builds every configured channel, and in test mode the embedded MTN simulator with its channel
 * `mtn_momo` (every merchant's test payments; the customer waits for `harpoon simulate --channel
 * mtn_momo --approve|--reject`, or MTN's approval window).
 */
export async function createChannelRegistry (deps: RegistryDeps): Promise<ChannelRegistry> {
  const { config, audit, logger } = deps
  const timeoutMs = config.channel_calls.timeout_ms
  const channels = new Map<string, Channel>()
  const make = (settings: ChannelSettings | AnyMerchant<ChannelSettings>, embedded = false): Channel => {
    const onLeg = providerLegRecorder(audit, settings.id, logger)
    switch (settings.type) {
      case 'mtn_momo':
        return new MtnMomoChannel(settings, { timeoutMs, onLeg, embedded })
      case 'ipay':
        return new IpayChannel(settings, { timeoutMs, onLeg, embedded })
    }
  }
  const simulators = new Map<string, string>()
  for (const settings of config.channels) {
    channels.set(settings.id, make(settings))
    if (settings.mode === 'test' && settings.type === 'mtn_momo') simulators.set(settings.id, settings.base_url.replace(/\/+$/, ''))
  }

  let simulator: MtnSimulator | null = null
  let embedded: MtnMomoChannel | null = null
  if (config.embeddedSimulator) {
    simulator = await startMtnSimulator({ environment: 'mtnghana', settings: { defaultOutcome: 'wait', transferOutcome: 'approve' } })
    const c = simulator.clientConfig()
    embedded = make({
      id: EMBEDDED_CHANNEL_ID, type: 'mtn_momo', merchant: null, mode: 'test', base_url: c.base_url, target_environment: 'mtnghana',
      currency: simulator.currency, country: 'GH', collection: simulator.credentials.collection, disbursement: simulator.credentials.disbursement, callback_url: null
    }, true) as MtnMomoChannel
    channels.set(EMBEDDED_CHANNEL_ID, embedded)
    simulators.set(EMBEDDED_CHANNEL_ID, simulator.url)
    logger.info({ channel: EMBEDDED_CHANNEL_ID, simulator: simulator.url }, 'EMBEDDED MTN simulator for test-mode payments with channel "mtn_momo"')
  }
  let ipaySimulator: IpaySimulator | null = null
  let embeddedIpay: IpayChannel | null = null
  if (config.embeddedIpay === true) {
    // Test phones decide what the customer does (channels/ipay/README.md); its callbacks come to the daemon's API.
    try {
      ipaySimulator = await startIpaySimulator({ port: 0, logger: logger.child({ component: 'ipay-sim' }) })
    } catch (err) {
      // The daemon's start fails with this error and closes what it opened; what the registry opened is closed here.
      for (const c of channels.values()) await c.close()
      await simulator?.close()
      throw err
    }
    // Its callback URL comes with setLocalApiUrl, once the API listens.
    embeddedIpay = new IpayChannel({
      id: EMBEDDED_IPAY_CHANNEL_ID, merchant: null, mode: 'test', base_url: ipaySimulator.baseUrl, ipn_url: ipaySimulator.ipnUrl,
      vendor_id: 'demo', hash_key: 'demoCHANGED', live: false, currency: 'KES', callback_url: null
    }, { timeoutMs, onLeg: providerLegRecorder(audit, EMBEDDED_IPAY_CHANNEL_ID, logger), embedded: true })
    channels.set(EMBEDDED_IPAY_CHANNEL_ID, embeddedIpay)
    logger.info({ channel: EMBEDDED_IPAY_CHANNEL_ID, simulator: ipaySimulator.url }, 'EMBEDDED iPay simulator for test-mode payments with channel "ipay"')
  }
  for (const c of channels.values()) {
    if (!c.embedded) logger.info({ channel: c.id, type: c.type, mode: c.mode, environment: c.environment, refunds: c.canRefund, callbacks: c.callbacks }, 'channel ready')
  }

  return {
    get: (id) => channels.get(id),
    all: () => [...channels.values()],
    forOwner: (owner) => [...channels.values()].filter((c) => serves(c, owner)),
    find: (owner, id) => {
      const c = channels.get(id)
      return c !== undefined && serves(c, owner) ? c : undefined
    },
    refundChannel: (owner, payment) => {
      const own = payment.channel_id === null ? undefined : channels.get(payment.channel_id)
      if (own !== undefined && own.canRefund && serves(own, owner)) return own
      if (payment.payer_phone === null) return undefined
      const phone = payment.payer_phone
      return [...channels.values()].find((c) => serves(c, owner) && c.canRefund && c.currency === payment.currency && c.providerPhone(phone) !== null)
    },
    simulator,
    simulatorUrl: (id) => simulators.get(id) ?? null,
    setLocalApiUrl: (url) => {
      const base = new URL(url)
      // The simulators run beside the daemon: loopback, the callback host its API users registered.
      base.hostname = '127.0.0.1'
      embedded?.setCallbackUrl(new URL(`/v1/channels/${EMBEDDED_CHANNEL_ID}/callback`, base).href)
      embeddedIpay?.setCallbackUrl(new URL(`/v1/channels/${EMBEDDED_IPAY_CHANNEL_ID}/callback`, base).href)
    },
    close: async () => {
      for (const c of channels.values()) await c.close()
      await simulator?.close()
      await ipaySimulator?.close()
    }
  }
}
