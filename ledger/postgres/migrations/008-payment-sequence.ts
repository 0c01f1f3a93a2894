import type { Migration } from '../../migration.js'

/** A per-payment change counter (see the SQLite 008): one past the events already told about each payment. */
export const paymentSequence: Migration = {
  version: 8,
  name: 'payment-sequence',
  up: `
ALTER TABLE payments ADD COLUMN sequence BIGINT NOT NULL DEFAULT 1;
UPDATE payments SET sequence = 1 + (SELECT count(*) FROM events WHERE events.payment_id = payments.id);
`
}
