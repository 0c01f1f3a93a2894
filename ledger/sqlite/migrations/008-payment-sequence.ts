import type { Migration } from './migration.js'

/**
 * A per-payment change counter. Webhooks of one payment can arrive out of order (a retried event
 * after a later one) and within one second of each other; `sequence` grows by one with every
 * change, is in the payment object and in each webhook envelope, and is how a receiver keeps the
 * newest state (webhooks/README.md). A payment made before this step starts one past the events
 * already told about it, so the numbers its receivers see from now on are above any it could hold.
 */
export const paymentSequence: Migration = {
  version: 8,
  name: 'payment-sequence',
  up: `
ALTER TABLE payments ADD COLUMN sequence INTEGER NOT NULL DEFAULT 1;
UPDATE payments SET sequence = 1 + (SELECT count(*) FROM events WHERE events.payment_id = payments.id);
`
}
