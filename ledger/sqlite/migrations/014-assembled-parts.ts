import type { Migration } from './migration.js'

/**
 * Issue 17: a resent part of a message assembled moments ago is found by its group's key
 * (ledger/sms-inbox.ts). The only index on those columns covered open groups (`message_id IS NULL`),
 * so the lookup scanned every stored PDU for each first part of a multipart message: quadratic in
 * the inbox, 74 ms of a 500-message burst and more each month. This is its index for assembled groups.
 */
export const assembledParts: Migration = {
  version: 14,
  name: 'assembled-parts',
  up: `
CREATE INDEX sms_part_groups_assembled ON sms_part_groups(modem_key, sender, ref_bits, ref, total, last_part_at) WHERE message_id IS NOT NULL;
`
}
