import type { Engine, Executor, Transaction, TransactionOptions } from './engine.js'
import type { LedgerTx } from './ledger.js'
import { SqlAgentRegistry, type AgentRegistry } from './agents.js'
import { SqlApiKeyStore, type ApiKeyStore, type CachedKey } from './api-keys.js'
import type { ApiKeyCache } from './api-key-cache.js'
import { SqlBalanceChain, type BalanceChain } from './balance-chain.js'
import { SqlCheckoutTokenStore, type CheckoutTokenStore } from './checkout-tokens.js'
import { SqlCreditStore, type CreditStore } from './credits.js'
import { SqlEventStore, type EventStore, type EventSubscriber } from './events.js'
import { SqlIdempotencyStore, type IdempotencyStore } from './idempotency.js'
import { SqlMerchantStore, type MerchantStore } from './merchants.js'
import { SqlPaymentDetailsStore, type PaymentDetailsStore } from './payment-details.js'
import { SqlPaymentStatus, type PaymentStatusStore } from './payment-status.js'
import { SqlPaymentStore, type PaymentStore } from './payments.js'
import { SqlSmsInboxStore, type SmsInboxStore } from './sms-inbox.js'
import { SqlLedgerStats, type LedgerStats } from './stats.js'
import { SqlWebhookDeliveryStore, type WebhookDeliveryStore } from './webhook-deliveries.js'
import { SqlWebhookEndpointStore, type WebhookEndpointStore } from './webhook-endpoints.js'
import { SqlChannelTransactionStore, type ChannelTransactionStore } from './channel-transactions.js'
import { SqlAuditStore, type AuditStore } from './audit.js'
import { SqlAuditTrailStore, type AuditTrailStore } from './audit-trail.js'
import { SqlProxyStore, type ProxyStore } from './proxy.js'
import type { SecretBox } from './secret-box.js'

/** What every scope of one ledger shares. */
export interface Shared {
  readonly engine: Engine
  readonly now: () => number
  readonly subscribers: EventSubscriber[]
  /** API keys: when each was last marked used (at most one write a minute per key). */
  readonly keyTouched: Map<string, number>
  /** API keys by secret hash between changes, so a request's authentication reads nothing. */
  readonly keyCache: ApiKeyCache<CachedKey>
  /** Seals and opens the secrets the ledger keeps (ledger/secret-box.ts). */
  readonly secrets: SecretBox
  /** Draws a candidate HPN code (random; tests that need two nodes to collide pass their own). */
  readonly drawCode: () => string
}

/**
 * The stores bound to one executor. Stores are built on first use (a transaction that only settles
 * an SMS never builds the key store) and find each other through the scope, so a store inside a
 * transaction always calls its siblings inside the same transaction.
 */
export class LedgerScope implements LedgerTx {
  readonly ex: Executor
  /** The transaction this scope belongs to; null for reads outside any. */
  readonly tx: Transaction | null
  readonly shared: Shared
  readonly now: () => number
  #merchants: MerchantStore | undefined
  #apiKeys: ApiKeyStore | undefined
  #payments: PaymentStore | undefined
  #paymentStatus: PaymentStatusStore | undefined
  #credits: CreditStore | undefined
  #balances: BalanceChain | undefined
  #events: EventStore | undefined
  #idempotency: IdempotencyStore | undefined
  #smsInbox: SmsInboxStore | undefined
  #webhookEndpoints: WebhookEndpointStore | undefined
  #webhookDeliveries: WebhookDeliveryStore | undefined
  #stats: LedgerStats | undefined
  #agents: AgentRegistry | undefined
  #paymentDetails: PaymentDetailsStore | undefined
  #checkoutTokens: CheckoutTokenStore | undefined
  #channelTransactions: ChannelTransactionStore | undefined
  #audit: AuditStore | undefined
  #auditTrail: AuditTrailStore | undefined
  #proxy: ProxyStore | undefined

  constructor (ex: Executor, tx: Transaction | null, shared: Shared) {
    this.ex = ex
    this.tx = tx
    this.shared = shared
    this.now = shared.now
  }

  get merchants (): MerchantStore { return (this.#merchants ??= new SqlMerchantStore(this)) }
  get apiKeys (): ApiKeyStore { return (this.#apiKeys ??= new SqlApiKeyStore(this)) }
  get payments (): PaymentStore { return (this.#payments ??= new SqlPaymentStore(this)) }
  get paymentStatus (): PaymentStatusStore { return (this.#paymentStatus ??= new SqlPaymentStatus(this)) }
  get credits (): CreditStore { return (this.#credits ??= new SqlCreditStore(this)) }
  get balances (): BalanceChain { return (this.#balances ??= new SqlBalanceChain(this)) }
  get events (): EventStore { return (this.#events ??= new SqlEventStore(this)) }
  get idempotency (): IdempotencyStore { return (this.#idempotency ??= new SqlIdempotencyStore(this)) }
  get smsInbox (): SmsInboxStore { return (this.#smsInbox ??= new SqlSmsInboxStore(this)) }
  get webhookEndpoints (): WebhookEndpointStore { return (this.#webhookEndpoints ??= new SqlWebhookEndpointStore(this)) }
  get webhookDeliveries (): WebhookDeliveryStore { return (this.#webhookDeliveries ??= new SqlWebhookDeliveryStore(this)) }
  get stats (): LedgerStats { return (this.#stats ??= new SqlLedgerStats(this)) }
  get agents (): AgentRegistry { return (this.#agents ??= new SqlAgentRegistry(this)) }
  get paymentDetails (): PaymentDetailsStore { return (this.#paymentDetails ??= new SqlPaymentDetailsStore(this)) }
  get checkoutTokens (): CheckoutTokenStore { return (this.#checkoutTokens ??= new SqlCheckoutTokenStore(this)) }
  get channelTransactions (): ChannelTransactionStore { return (this.#channelTransactions ??= new SqlChannelTransactionStore(this)) }
  get audit (): AuditStore { return (this.#audit ??= new SqlAuditStore(this)) }
  get auditTrail (): AuditTrailStore { return (this.#auditTrail ??= new SqlAuditTrailStore(this)) }
  get proxy (): ProxyStore { return (this.#proxy ??= new SqlProxyStore(this)) }

  afterCommit (fn: () => void): void {
    this.inTransaction('afterCommit').afterCommit(fn)
  }

  /**
   * Runs `fn` inside this scope's transaction, or in a transaction of its own when this scope reads
   * outside any: a store's write method is atomic whether it is called on the ledger or on a `tx`.
   */
  async write<T>(fn: (tx: LedgerScope) => Promise<T>, options?: TransactionOptions): Promise<T> {
    if (this.tx !== null) return await fn(this)
    return await this.shared.engine.transaction(async (t) => await fn(new LedgerScope(t, t, this.shared)), options)
  }

  /** The open transaction, or an error naming what needed one (a change without its event would be a bug). */
  inTransaction (what: string): Transaction {
    if (this.tx === null) throw new Error(`${what} must run inside a ledger transaction (ledger.transact)`)
    return this.tx
  }
}
