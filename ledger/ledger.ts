import type { AgentRegistry } from './agents.js'
import type { ApiKeyStore } from './api-keys.js'
import type { BalanceChain } from './balance-chain.js'
import type { CheckoutTokenStore } from './checkout-tokens.js'
import type { CreditStore } from './credits.js'
import type { Dialect, Engine, TransactionOptions } from './engine.js'
import type { EventStore, EventSubscriber } from './events.js'
import type { IdempotencyStore } from './idempotency.js'
import type { MerchantStore } from './merchants.js'
import type { PaymentDetailsStore } from './payment-details.js'
import type { PaymentStatusStore } from './payment-status.js'
import type { PaymentStore } from './payments.js'
import { ApiKeyCache } from './api-key-cache.js'
import { generateCode } from './hpn-code.js'
import { LedgerScope, type Shared } from './scope.js'
import { adoptSecretKey } from './secrets-at-rest.js'
import { SecretBox } from './secret-box.js'
import type { SmsInboxStore } from './sms-inbox.js'
import type { LedgerStats } from './stats.js'
import type { WebhookDeliveryStore } from './webhook-deliveries.js'
import type { WebhookEndpointStore } from './webhook-endpoints.js'
import type { ChannelTransactionStore } from './channel-transactions.js'
import type { AuditStore } from './audit.js'
import type { AuditTrailStore } from './audit-trail.js'
import type { ProxyStore } from './proxy.js'

/** Every store of the ledger, bound to one executor (the engine's reads, or one transaction). */
export interface LedgerStores {
  readonly merchants: MerchantStore
  readonly apiKeys: ApiKeyStore
  readonly payments: PaymentStore
  readonly paymentStatus: PaymentStatusStore
  readonly credits: CreditStore
  readonly balances: BalanceChain
  readonly events: EventStore
  readonly idempotency: IdempotencyStore
  readonly smsInbox: SmsInboxStore
  readonly webhookEndpoints: WebhookEndpointStore
  readonly webhookDeliveries: WebhookDeliveryStore
  readonly stats: LedgerStats
  readonly agents: AgentRegistry
  readonly paymentDetails: PaymentDetailsStore
  readonly checkoutTokens: CheckoutTokenStore
  readonly channelTransactions: ChannelTransactionStore
  readonly audit: AuditStore
  /** The operators' audit trail (issue 16): who changed what, hash-chained; not `audit`, a channel payment's legs. */
  readonly auditTrail: AuditTrailStore
  readonly proxy: ProxyStore
}

/** The stores inside one transaction, and what must wait for its commit. */
export interface LedgerTx extends LedgerStores {
  /**
   * Runs once the transaction has committed: never on rollback, never twice on a retry. Wake the
   * dispatcher, resolve a waiting caller here, never inside the body.
   */
  afterCommit: (fn: () => void) => void
}

/**
 * The daemon's memory behind one interface, whatever the engine. Reads on the stores see every
 * committed change; a write method called here runs in a transaction of its own; money moves in
 * `transact`, one unit of work whose `tx` carries the same stores.
 */
export interface Ledger extends LedgerStores {
  readonly dialect: Dialect
  readonly now: () => number
  /**
   * One transaction. `fn` does ledger work only (no HTTP, no timers, no logging of outcomes): on
   * PostgreSQL a transaction that lost a race runs again from the start.
   */
  transact: <T>(fn: (tx: LedgerTx) => Promise<T>, options?: TransactionOptions) => Promise<T>
  /** Called inside the transaction of every event (the webhook outbox writes its rows there). */
  subscribe: (subscriber: EventSubscriber) => void
  /** Throws DatabaseUnavailableError when the database does not answer. */
  ping: () => Promise<void>
  close: () => Promise<void>
}

export interface LedgerOptions {
  /** The key that seals secrets at rest (32 bytes; daemon/secret-key.ts loads it). */
  secretKey: Buffer
  now?: (() => number) | undefined
  /** Where candidate HPN codes come from (default: random). Tests use it to make nodes collide. */
  drawCode?: (() => string) | undefined
}

class EngineLedger extends LedgerScope implements Ledger {
  readonly dialect: Dialect
  readonly #engine: Engine

  constructor (engine: Engine, shared: Shared) {
    super(engine, null, shared)
    this.#engine = engine
    this.dialect = engine.dialect
  }

  async transact<T>(fn: (tx: LedgerTx) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return await this.#engine.transaction(async (t) => await fn(new LedgerScope(t, t, this.shared)), options)
  }

  subscribe (subscriber: EventSubscriber): void {
    this.shared.subscribers.push(subscriber)
  }

  async ping (): Promise<void> { await this.#engine.ping() }
  async close (): Promise<void> { await this.#engine.close() }
}

const engines = new WeakMap<Ledger, Engine>()

/** The ledger's stores over an engine that is open and migrated (ledger/open.ts builds both). */
export function createLedger (engine: Engine, options: LedgerOptions): Ledger {
  const ledger = new EngineLedger(engine, { engine, secrets: new SecretBox(options.secretKey), now: options.now ?? Date.now, subscribers: [], keyTouched: new Map(), keyCache: new ApiKeyCache(engine), drawCode: options.drawCode ?? (() => generateCode()) })
  engines.set(ledger, engine)
  return ledger
}

/**
 * Checks the secret key against the database and seals what an older release left in plaintext
 * (ledger/secrets-at-rest.ts); ledger/open.ts runs it before the ledger is handed out.
 */
export async function adoptLedgerSecretKey (ledger: Ledger): Promise<number> {
  if (!(ledger instanceof EngineLedger)) throw new Error('not a ledger made by createLedger')
  const shared = ledger.shared
  return await engineOf(ledger).transaction(async (t) => await adoptSecretKey(new LedgerScope(t, t, shared)))
}

/** The engine under a ledger: for ledger/testing.ts only, so tests can look at rows. */
export function engineOf (ledger: Ledger): Engine {
  const engine = engines.get(ledger)
  if (engine === undefined) throw new Error('not a ledger made by createLedger')
  return engine
}

export type { EventSubscriber } from './events.js'
