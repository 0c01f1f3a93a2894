import { createApiKeyRepository } from './api-keys.js'
import { createBalanceChain } from './balance-chain.js'
import { createCreditLedger } from './credits.js'
import { openDatabase, type Db } from './db.js'
import { createEventLog } from './events.js'
import { createIdempotencyStore } from './idempotency.js'
import { createMerchantRepository } from './merchants.js'
import { createPaymentStatus } from './payment-status.js'
import { createPaymentRepository } from './payments.js'

/**
 * The ledger's repositories over one database, wired once. Each repository owns its prepared
 * statements; this only composes them (the daemon and tests build one per database file).
 */
export function createLedger (db: Db, now: () => number = Date.now) {
  const events = createEventLog(db, now)
  const paymentStatus = createPaymentStatus(db, events, now)
  const payments = createPaymentRepository(db, paymentStatus, now)
  return {
    db,
    now,
    events,
    paymentStatus,
    merchants: createMerchantRepository(db, now),
    apiKeys: createApiKeyRepository(db, now),
    payments,
    idempotency: createIdempotencyStore(db, now),
    credits: createCreditLedger(db, events, paymentStatus, payments, now),
    balances: createBalanceChain(db, now),
    close (): void {
      if (db.open) db.close()
    }
  }
}

export type Ledger = ReturnType<typeof createLedger>

export function openLedger (path: string, now: () => number = Date.now): Ledger {
  return createLedger(openDatabase(path), now)
}
