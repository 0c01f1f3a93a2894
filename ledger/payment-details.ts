import type { LedgerScope } from './scope.js'
import { sql } from './sql.js'
import { columns } from './columns.js'

/** What an API initialize records beside the payment (migration 010, `payment_details`). */
export interface PaymentDetails {
  customerName: string | null
  description: string | null
  /** Where the hosted checkout page returns the customer (with `?reference=`). */
  redirectUrl: string | null
  /** The payment's own webhook target: its events also go there (webhooks/outbox.ts). */
  webhookUrl: string | null
  /** The API key that initialized it: a publishable key reads back only its own payments. */
  createdByKey: string | null
}

interface DetailsRow {
  customer_name: string | null
  description: string | null
  redirect_url: string | null
  webhook_url: string | null
  created_by_key: string | null
}

const DETAIL_COLUMNS = columns<DetailsRow>()(['customer_name', 'description', 'redirect_url', 'webhook_url', 'created_by_key'])

export interface PaymentDetailsStore {
  /** Writes the details of a payment just created. Only inside the transaction that created it. */
  record: (paymentId: number, details: PaymentDetails) => Promise<void>
  of: (paymentId: number) => Promise<PaymentDetails | undefined>
}

export class SqlPaymentDetailsStore implements PaymentDetailsStore {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async record (paymentId: number, d: PaymentDetails): Promise<void> {
    this.#s.inTransaction('recording payment details')
    await this.#s.ex.run(sql`INSERT INTO payment_details (payment_id, customer_name, description, redirect_url, webhook_url, created_by_key)
      VALUES (${paymentId}, ${d.customerName}, ${d.description}, ${d.redirectUrl}, ${d.webhookUrl}, ${d.createdByKey})`)
  }

  async of (paymentId: number): Promise<PaymentDetails | undefined> {
    const r = await this.#s.ex.get<DetailsRow>(sql`SELECT ${DETAIL_COLUMNS} FROM payment_details WHERE payment_id = ${paymentId}`)
    if (r === undefined) return undefined
    return { customerName: r.customer_name, description: r.description, redirectUrl: r.redirect_url, webhookUrl: r.webhook_url, createdByKey: r.created_by_key }
  }
}
