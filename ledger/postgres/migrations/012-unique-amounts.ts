import type { Migration } from '../../migration.js'

/**
 * Issue 15, matching without a reference: no M-PESA receipt carries a note the payer typed, so a
 * payment to such a wallet is told apart by its amount. `amount_to_pay_minor` is what the customer
 * must send (the requested `expected_minor` plus a small whole-unit offset); NULL for a payment
 * matched by its HPN code. The partial unique index is the guard that two open payments of a
 * merchant (and mode, and currency) never share an amount, whichever node initialized them.
 */
export const uniqueAmounts: Migration = {
  version: 12,
  name: 'unique-amounts',
  up: `
ALTER TABLE payments ADD COLUMN amount_to_pay_minor BIGINT;
CREATE UNIQUE INDEX payments_open_amount ON payments(merchant_id, mode, currency, amount_to_pay_minor)
  WHERE status = 'PENDING' AND amount_to_pay_minor IS NOT NULL;
-- Finding a free amount also skips those of payments closed a short while ago.
CREATE INDEX payments_amount_to_pay ON payments(merchant_id, mode, currency, amount_to_pay_minor, updated_at)
  WHERE amount_to_pay_minor IS NOT NULL;
`
}
