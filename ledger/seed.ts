import type { Mode, PaymentStatus } from '../core/enums.js'
import { engineOf, type Ledger } from './ledger.js'
import { sql } from './sql.js'

/** One payment row as a benchmark wants it, in any state. */
export interface SeedPayment {
  reference: string
  merchantId: string
  mode: Mode
  hpnCode: string
  status: PaymentStatus
  expectedMinor: number
  actualMinor: number | null
  clientReference: string | null
  payerPhone: string | null
  telcoProvider: string | null
  telcoTransactionId: string | null
  expiresAt: number
  verifiedAt: number | null
  createdAt: number
}

/**
 * Bulk loading for benchmarks (bench/seed.ts): payments written as given, in one transaction,
 * without the API's path (no events, no outbox rows, no code search). Never used by the daemon.
 */
export async function seedPayments (ledger: Ledger, rows: Iterable<SeedPayment>): Promise<number> {
  return await engineOf(ledger).transaction(async (tx) => {
    let n = 0
    for (const p of rows) {
      await tx.run(sql`INSERT INTO payments (reference, merchant_id, mode, hpn_code, status, expected_minor, actual_minor, currency, client_reference,
          payer_phone, telco_provider, telco_transaction_id, expires_at, verified_at, created_at, updated_at)
        VALUES (${p.reference}, ${p.merchantId}, ${p.mode}, ${p.hpnCode}, ${p.status}, ${p.expectedMinor}, ${p.actualMinor}, 'GHS', ${p.clientReference},
          ${p.payerPhone}, ${p.telcoProvider}, ${p.telcoTransactionId}, ${p.expiresAt}, ${p.verifiedAt}, ${p.createdAt}, ${p.createdAt})`)
      n++
    }
    return n
  })
}
