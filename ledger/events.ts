import type { Db } from './db.js'
import type { Mode } from './modes.js'

import type { EventType } from '../core/enums.js'

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

/**
 * Called inside the transaction that records an event: whatever a subscriber writes (a webhook
 * outbox row) commits or rolls back with the change itself. Subscribers must be synchronous.
 */
export type EventSubscriber = (db: Db, event: LedgerEvent) => void

export function createEventLog (db: Db, now: () => number = Date.now) {
  const insert = db.prepare('INSERT INTO events (merchant_id, mode, type, payment_id, credit_id, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
  const subscribers: EventSubscriber[] = []

  return {
    subscribe (subscriber: EventSubscriber): void {
      subscribers.push(subscriber)
    },

    /** Records an event. Must run inside the caller's transaction. */
    append (input: Omit<LedgerEvent, 'id' | 'createdAt'>): LedgerEvent {
      if (!db.inTransaction) throw new Error('events must be appended inside the transaction of the change they describe')
      const createdAt = now()
      const info = insert.run(input.merchantId, input.mode, input.type, input.paymentId, input.creditId, JSON.stringify(input.data), createdAt)
      const event: LedgerEvent = { ...input, id: Number(info.lastInsertRowid), createdAt }
      for (const s of subscribers) s(db, event)
      return event
    }
  }
}

export type EventLog = ReturnType<typeof createEventLog>
