import type { Migration } from '../../migration.js'

/** The agent's inbox finds a resent part of a message assembled moments ago by its group's key (see the ledger's SQLite 014). */
export const assembledParts: Migration = {
  version: 2,
  name: 'assembled-parts',
  up: `
CREATE INDEX sms_part_groups_assembled ON sms_part_groups(modem_key, sender, ref_bits, ref, total, last_part_at) WHERE message_id IS NOT NULL;
`
}
