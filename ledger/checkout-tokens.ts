import { createHash, randomBytes } from 'node:crypto'
import { PAYMENT_COLUMNS, type PaymentRow } from './payment-model.js'
import type { LedgerScope } from './scope.js'
import { sql } from './sql.js'

/** 32 random bytes, base64url: unguessable, and unrelated to the payment's reference or code. */
const TOKEN_BYTES = 32
const TOKEN = /^[A-Za-z0-9_-]{43}$/

const hashToken = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest()

/**
 * Hosted checkout links. The token in a `checkout_url` is the only thing that opens the page, so
 * only its SHA-256 is stored (migration 010): a copy of the database cannot be turned back into
 * links. A payment may have several (every initialize that answers it mints one).
 */
export interface CheckoutTokenStore {
  /** A new token for the payment; inside the transaction that created or returned it. */
  issue: (paymentId: number) => Promise<string>
  /** The payment a token opens, or undefined (malformed and unknown tokens alike). */
  payment: (token: string) => Promise<PaymentRow | undefined>
}

export class SqlCheckoutTokenStore implements CheckoutTokenStore {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async issue (paymentId: number): Promise<string> {
    this.#s.inTransaction('issuing a checkout token')
    const token = randomBytes(TOKEN_BYTES).toString('base64url')
    await this.#s.ex.run(sql`INSERT INTO checkout_tokens (token_hash, payment_id, created_at) VALUES (${hashToken(token)}, ${paymentId}, ${this.#s.now()})`)
    return token
  }

  async payment (token: string): Promise<PaymentRow | undefined> {
    if (!TOKEN.test(token)) return undefined
    return await this.#s.ex.get<PaymentRow>(sql`SELECT ${PAYMENT_COLUMNS} FROM payments
      WHERE id = (SELECT payment_id FROM checkout_tokens WHERE token_hash = ${hashToken(token)})`)
  }
}
