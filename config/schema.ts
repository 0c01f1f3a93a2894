import { type Static, type TObject, Type } from '@sinclair/typebox'
import { literals, ModeSchema } from '../core/enum-schema.js'
import { MODES } from '../core/enums.js'
import { MODEM_COUNTRIES, MODEM_NETWORKS } from '../core/networks.js'
import { NUMBERING } from '../core/phone.js'
import { FormatEntrySchema } from '../parsers/format-schema.js'

/**
 * The configuration file of SPEC §3, as one schema: the single source of its shape, defaults and
 * the start-up error messages. Unknown keys are errors (a misspelt `retry_schedul` must stop the
 * daemon, not be ignored).
 */
const strict = { additionalProperties: false } as const

/** The networks a modem can be on (core/networks.ts is the registry): `modems[].network` and the `networks` keys. */
export { MODEM_NETWORKS as NETWORKS, type ModemNetwork as Network } from '../core/networks.js'

export const NetworkSchema = literals(MODEM_NETWORKS, { description: 'the SIM\'s network; default: from its IMSI' })

/** A wallet number of any country a modem network is in: local 0… or international with its calling code. */
const MSISDN_PATTERN = `^(0\\d{9}|\\+?(${MODEM_COUNTRIES.map((c) => NUMBERING[c]?.callingCode ?? '').join('|')})\\d{9})$`

/** A modem's or an agent's id: a short name, never a `/` (the central names an agent's modem `agent/modem`). */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'

/** An API key as `harpoon keys create` prints it. */
export const KEY_PATTERN = `^hpn_(${MODES.join('|')})_sk_[0-9A-Za-z]{32,}$`

const ModemSchema = Type.Object({
  id: Type.String({ pattern: ID_PATTERN, description: 'a short name for logs and the API' }),
  port: Type.String({ minLength: 1, description: 'serial device, best a /dev/serial/by-id path' }),
  baud_rate: Type.Integer({ minimum: 300, maximum: 4_000_000, default: 115200 }),
  network: Type.Optional(NetworkSchema),
  msisdn: Type.Union([Type.String({ pattern: MSISDN_PATTERN }), Type.Null()], { default: null }),
  merchant: Type.String({ minLength: 1, default: 'default' }),
  pin: Type.Union([Type.String({ pattern: '^\\d{4,8}$' }), Type.Null()], { default: null })
}, strict)

const NetworkSettingsSchema = Type.Object({
  /** Trusted sender IDs; replaces the built-in list of the network when given. */
  senders: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { minItems: 1 })),
  /** Operator message formats (parsers/format-schema.ts checks their patterns). */
  formats: Type.Array(FormatEntrySchema, { default: [], maxItems: 500 }),
  /** The USSD code customers dial to pay a wallet of this network (core/payment-guides.ts has the built-in one). */
  ussd_code: Type.Optional(Type.String({ pattern: '^[*#0-9]{2,20}$' })),
  /** The hosted checkout's steps for this network, replacing the built-in ones; {wallet} {amount} {currency} {code} are filled in. */
  payment_steps: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { minItems: 1, maxItems: 12 }))
}, strict)

/** `networks.<net>` for every modem network of the registry. */
function networkSettings (): Record<typeof MODEM_NETWORKS[number], TObject<typeof NetworkSettingsSchema.properties>> {
  return Object.fromEntries(MODEM_NETWORKS.map((n) => [n, Type.Object(NetworkSettingsSchema.properties, { ...strict, default: {} })])) as
    Record<typeof MODEM_NETWORKS[number], TObject<typeof NetworkSettingsSchema.properties>>
}

/** One product's credentials at MTN (Collection or Disbursement). Never logged, never in an error message. */
const MtnCredentialsSchema = Type.Object({
  subscription_key: Type.String({ minLength: 1, maxLength: 200, description: 'Ocp-Apim-Subscription-Key of the product' }),
  api_user: Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$', description: 'the API user (a UUIDv4)' }),
  api_key: Type.String({ minLength: 1, maxLength: 200 })
}, strict)

/**
 * An MTN MoMo Open API channel: request-to-pay through Collection, refunds through Disbursement
 * (channels/mtn-momo/). `currency` and `country` default from `target_environment`.
 */
export const MtnMomoChannelSchema = Type.Object({
  id: Type.String({ pattern: ID_PATTERN, description: 'what payments name in "channel" and the callback path uses' }),
  type: Type.Literal('mtn_momo'),
  merchant: Type.String({ minLength: 1, default: 'default' }),
  mode: ModeSchema({ default: 'live', description: 'the payments it serves: test keys use test channels only' }),
  base_url: Type.String({ pattern: '^https?://[^\\s/]+', maxLength: 500 }),
  target_environment: Type.String({ pattern: '^[a-z]{3,40}$', description: 'sandbox, or mtn<country> (mtnghana, mtnuganda, …)' }),
  currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
  country: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Z]{2}$' }), Type.Null()])),
  collection: MtnCredentialsSchema,
  disbursement: Type.Optional(MtnCredentialsSchema),
  callback_url: Type.Union([Type.String({ pattern: '^https?://[^\\s/]+', maxLength: 500 }), Type.Null()], { default: null, description: 'public URL of /v1/channels/{id}/callback; null: polling only' })
}, strict)

/**
 * An iPay Africa channel (Kenya): M-Pesa and Airtel Money STK push through iPay's REST API, outcomes
 * verified by the IPN round trip and iPay's status calls (channels/ipay/). `hash_key` is never echoed.
 */
export const IpayChannelSchema = Type.Object({
  id: Type.String({ pattern: ID_PATTERN, description: 'what payments name in "channel" and the callback path uses' }),
  type: Type.Literal('ipay'),
  merchant: Type.String({ minLength: 1, default: 'default' }),
  mode: ModeSchema({ default: 'live', description: 'the payments it serves: test keys use test channels only' }),
  base_url: Type.String({ pattern: '^https?://[^\\s/]+', maxLength: 500, description: 'iPay\'s REST base, https://apis.ipayafrica.com/payments/v2' }),
  ipn_url: Type.String({ pattern: '^https?://[^\\s/]+', maxLength: 500, description: 'iPay\'s IPN, https://www.ipayafrica.com/ipn/' }),
  vendor_id: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
  hash_key: Type.String({ minLength: 1, maxLength: 200 }),
  live: Type.Boolean({ default: true, description: 'false sends live=0 (iPay\'s test mode)' }),
  currency: Type.Union([Type.Literal('KES'), Type.Literal('USD')], { default: 'KES' }),
  callback_url: Type.String({ pattern: '^https?://[^\\s/]+', maxLength: 100, description: 'public URL of /v1/channels/{id}/callback (iPay takes at most 100 characters)' })
}, strict)

/** Every channel type's config schema, by `type`. A new provider adds its entry here. */
export const CHANNEL_SCHEMAS = { mtn_momo: MtnMomoChannelSchema, ipay: IpayChannelSchema } as const
export type MtnChannelConfig = Static<typeof MtnMomoChannelSchema>
export type IpayChannelConfig = Static<typeof IpayChannelSchema>
export type ChannelConfig = MtnChannelConfig | IpayChannelConfig

/** `harpoon agent`: this site's modems forward to a central daemon (README, Multi-site). */
const AgentSchema = Type.Object({
  id: Type.String({ pattern: ID_PATTERN, description: 'this site\'s name at the central; its modems show there as ID/MODEM' }),
  central_url: Type.String({ minLength: 1, maxLength: 2000, description: 'https:// URL of the central daemon (http:// only to a loopback or private address)' }),
  key: Type.String({ pattern: KEY_PATTERN, description: 'made on the central with harpoon keys create --scopes agent; HARPOON_AGENT_KEY overrides it' }),
  /** The agent's own store of raw messages (SQLite), never the ledger. */
  store_path: Type.String({ minLength: 1, default: './data/harpoon-agent.db' }),
  heartbeat_ms: Type.Integer({ minimum: 100, maximum: 600_000, default: 15_000, description: 'how often the modems\' status goes to the central when no message does' }),
  retry_initial_ms: Type.Integer({ minimum: 10, maximum: 600_000, default: 1_000, description: 'first wait after a failed forward; doubles up to retry_max_ms' }),
  retry_max_ms: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 60_000 }),
  request_timeout_ms: Type.Integer({ minimum: 100, maximum: 300_000, default: 15_000 }),
  retain_forwarded_hours: Type.Number({ minimum: 0, maximum: 24 * 366, default: 168, description: 'acknowledged messages are kept this long (re-reads recognised, replay possible), then deleted' }),
  test_poll_ms: Type.Integer({ minimum: 50, maximum: 60_000, default: 1_000, description: 'test mode: how often to ask the central for test SMS (harpoon simulate --agent)' })
}, strict)

export const ConfigSchema = Type.Object({
  api: Type.Object({
    host: Type.String({ minLength: 1, default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    rate_limit: Type.Object({
      max: Type.Integer({ minimum: 1, default: 100, description: 'requests per key per window' }),
      window_ms: Type.Integer({ minimum: 100, default: 1000 })
    }, { ...strict, default: {} }),
    /**
     * Whose X-Forwarded-For to believe for the client address (rate-limit buckets, key IP
     * allow-lists): false for none; a number of proxy hops; a list of proxy addresses or CIDR
     * ranges; true for every hop, which lets any client name its own address in the header.
     */
    trust_proxy: Type.Union([
      Type.Boolean(),
      Type.Integer({ minimum: 1, maximum: 10 }),
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 50 })
    ], { default: false }),
    /**
     * The daemon's address as customers' browsers reach it, for `checkout_url`
     * ("https://pay.shop.example"); null: the address the API request came to.
     */
    public_url: Type.Union([Type.String({ pattern: '^https?://[^/?#\\s]+(/[^?#\\s]*)?$', maxLength: 300 }), Type.Null()], { default: null }),
    /**
     * Access-log lines: errors (4xx, 5xx), writes and requests slower than `slow_ms` always get one;
     * successful fast reads (GET, HEAD, OPTIONS: merchants polling) only with `reads`.
     */
    access_log: Type.Object({
      reads: Type.Boolean({ default: false, description: 'log successful fast GET/HEAD/OPTIONS requests too' }),
      slow_ms: Type.Integer({ minimum: 0, maximum: 600_000, default: 500, description: 'log any request that took at least this many milliseconds' })
    }, { ...strict, default: {} })
  }, { ...strict, default: {} }),
  database: Type.Object({
    /** The SQLite file: the ledger unless `url` is set. */
    path: Type.String({ minLength: 1, default: './data/harpoon.db' }),
    /** postgres://user:pass@host:port/db chooses PostgreSQL (HARPOON_DATABASE_URL overrides it). */
    url: Type.Union([Type.String({ minLength: 1, maxLength: 2000 }), Type.Null()], { default: null, description: 'postgres:// or postgresql:// URL; null for the SQLite file at path' })
  }, { ...strict, default: {} }),
  modems: Type.Array(ModemSchema, { default: [] }),
  modem_polling: Type.Object({
    /** Full AT+CMGL scan of each SIM, the source of truth when +CMTI is lost. */
    scan_interval_ms: Type.Integer({ minimum: 200, maximum: 600_000, default: 15_000 }),
    /** A modem that does not answer a command in this time is resynchronised, then reset. */
    command_timeout_ms: Type.Integer({ minimum: 200, maximum: 120_000, default: 5_000 }),
    /** Listing a full SIM can take seconds on some sticks: AT+CMGL gets longer. */
    list_timeout_ms: Type.Integer({ minimum: 200, maximum: 300_000, default: 30_000 })
  }, { ...strict, default: {} }),
  virtual_modems: Type.Union([Type.Boolean(), Type.Null()], { default: null, description: 'default: true only when modems is empty' }),
  payments: Type.Object({
    default_expires_in: Type.Integer({ minimum: 60, maximum: 7 * 86400, default: 3600 }),
    max_amount: Type.String({ pattern: '^\\d{1,11}(\\.\\d{1,2})?$', default: '100000.00' }),
    expiry_sweep_ms: Type.Integer({ minimum: 100, maximum: 60_000, default: 1000 })
  }, { ...strict, default: {} }),
  webhooks: Type.Object({
    retry_schedule: Type.Array(Type.Number({ minimum: 0, maximum: 7 * 86400 }), { minItems: 1, maxItems: 30, default: [300, 900, 3600, 14400, 28800, 43200, 86400, 86400] }),
    timeout_ms: Type.Integer({ minimum: 100, maximum: 120_000, default: 30_000 }),
    concurrency: Type.Integer({ minimum: 1, maximum: 1024, default: 16 }),
    allow_private_targets: Type.Boolean({ default: false }),
    per_endpoint_concurrency: Type.Integer({ minimum: 1, maximum: 64, default: 4, description: 'attempts in flight per endpoint, so one slow receiver never holds every slot' }),
    disable_after_days: Type.Number({ exclusiveMinimum: 0, maximum: 365, default: 5, description: 'continuous failure for this long disables an endpoint' }),
    poll_interval_ms: Type.Integer({ minimum: 50, maximum: 60_000, default: 500, description: 'how often the dispatcher looks for due deliveries' })
  }, { ...strict, default: {} }),
  dashboard: Type.Object({
    /** Pending payments and no SMS for this long raise the dashboard's alarm banner (a dead modem or SIM). */
    silence_alarm_minutes: Type.Number({ exclusiveMinimum: 0, maximum: 7 * 1440, default: 30 })
  }, { ...strict, default: {} }),
  matching: Type.Object({
    /** Send credits whose wallet balance chain broke to MANUAL_REVIEW instead of settling them. */
    balance_break_review: Type.Boolean({ default: false }),
    /** Payments to wallets whose receipts carry no reference (M-PESA) are told apart by a unique amount (README). */
    unique_amount: Type.Object({
      max_offset: Type.Integer({ minimum: 1, maximum: 10_000, default: 50, description: 'whole currency units a payment\'s amount_to_pay may lie above the amount asked: at most this many + 1 open payments per amount' }),
      hold_minutes: Type.Number({ minimum: 0, maximum: 7 * 1440, default: 60, description: 'an amount stays unused this long after its payment closed, so late money for it goes to review, not to a stranger' })
    }, { ...strict, default: {} })
  }, { ...strict, default: {} }),
  /** Channels (issue 14): validated per type in config/load.ts, so each entry's errors name its own keys. */
  channels: Type.Array(Type.Object({ type: Type.String() }, { additionalProperties: true }), { default: [], maxItems: 100 }),
  /** How the daemon talks to channel providers: the durable outbox of calls and the status poller. */
  channel_calls: Type.Object({
    timeout_ms: Type.Integer({ minimum: 100, maximum: 120_000, default: 20_000, description: 'whole-call deadline of one provider request' }),
    retry_schedule: Type.Array(Type.Number({ minimum: 0, maximum: 86400 }), { minItems: 1, maxItems: 30, default: [2, 5, 10, 30, 60, 120, 300], description: 'seconds between sends after a timeout, 5xx or network error; the last repeats' }),
    status_schedule: Type.Array(Type.Number({ minimum: 0, maximum: 86400 }), { minItems: 1, maxItems: 30, default: [5, 10, 20, 30, 60, 120, 300], description: 'seconds between status checks of a pending transaction; the last repeats' }),
    poll_interval_ms: Type.Integer({ minimum: 20, maximum: 60_000, default: 1000, description: 'how often the outbox looks for due calls' }),
    concurrency: Type.Integer({ minimum: 1, maximum: 256, default: 8 }),
    give_up_after_hours: Type.Number({ exclusiveMinimum: 0, maximum: 720, default: 24, description: 'a transaction the provider never settles stops being checked after this long' })
  }, { ...strict, default: {} }),
  /** MTN simulator inside the daemon for test-mode payments with channel "mtn_momo"; default: on only when no channel is configured. */
  embedded_simulator: Type.Union([Type.Boolean(), Type.Null()], { default: null }),
  /** The MoMo proxy's own API (api/compat/), over one channel. */
  momo_proxy: Type.Object({
    enabled: Type.Boolean({ default: false }),
    channel: Type.Union([Type.String({ pattern: ID_PATTERN }), Type.Null()], { default: null })
  }, { ...strict, default: {} }),
  networks: Type.Object(networkSettings(), { ...strict, default: {} }),
  /** Set only in the config of a harpoon agent. */
  agent: Type.Optional(AgentSchema),
  central: Type.Object({
    /** An agent not heard from (heartbeat or message) this long is offline: its modems show so, and the dashboard alarm fires. */
    agent_offline_after_ms: Type.Integer({ minimum: 500, maximum: 86_400_000, default: 60_000 })
  }, { ...strict, default: {} }),
  log_level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' })
}, strict)

export type ConfigFile = Static<typeof ConfigSchema>
