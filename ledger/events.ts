import type { EventType, Mode } from '../core/enums.js'
import type { LedgerTx } from './ledger.js'
import type { LedgerScope } from './scope.js'
import { sql } from './sql.js'

export { EVENT_TYPES, type EventType } from '../core/enums.js'

export interface LedgerEvent {
  id: number
  merchantId: string
  mode: Mode
  type: EventType
  paymentId: number | null
  creditId: number | null
  data: Record<string, unknown>
  createdAt: number
}

/** An event as the operator's lookup shows it. */
export interface StoredEvent {
  id: number
  type: EventType
  data: unknown
  createdAt: number
}

/**
 * Called inside the transaction that records an event, with that transaction: whatever a subscriber
 * writes through `tx` (a webhook outbox row) commits or rolls back with the change itself, and what
 * must wait for the commit goes in `tx.afterCommit`.
 */
export type EventSubscriber = (tx: LedgerTx, event: LedgerEvent) => Promise<void> | void

export interface EventStore {
  /** Records an event and runs the subscribers. Only inside the transaction of the change it describes. */
  append: (input: Omit<LedgerEvent, 'id' | 'createdAt'>) => Promise<LedgerEvent>
  /** A payment's events, oldest first. */
  ofPayment: (paymentId: number) => Promise<StoredEvent[]>
}

export class SqlEventStore implements EventStore {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async append (input: Omit<LedgerEvent, 'id' | 'createdAt'>): Promise<LedgerEvent> {
    this.#s.inTransaction('appending an event')
    const createdAt = this.#s.now()
    const id = await this.#s.ex.value<number>(sql`INSERT INTO events (merchant_id, mode, type, payment_id, credit_id, data, created_at)
      VALUES (${input.merchantId}, ${input.mode}, ${input.type}, ${input.paymentId}, ${input.creditId}, ${JSON.stringify(input.data)}, ${createdAt})
      RETURNING id`) as number
    const event: LedgerEvent = { ...input, id, createdAt }
    for (const subscriber of this.#s.shared.subscribers) await subscriber(this.#s, event)
    return event
  }

  async ofPayment (paymentId: number): Promise<StoredEvent[]> {
    const rows = await this.#s.ex.all<{ id: number, type: EventType, data: string, createdAt: number }>(
      sql`SELECT id, type, data, created_at AS "createdAt" FROM events WHERE payment_id = ${paymentId} ORDER BY id`)
    return rows.map((e) => ({ id: e.id, type: e.type, data: JSON.parse(e.data) as unknown, createdAt: e.createdAt }))
  }
}
