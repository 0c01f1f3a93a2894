import type { Migration } from '../../migration.js'

/** A telco transaction counts once per mode, not once overall (see the SQLite 007). */
export const creditMode: Migration = {
  version: 7,
  name: 'credit-mode',
  up: `
DROP INDEX credits_telco_id;
CREATE UNIQUE INDEX credits_telco_id ON credits(mode, network, telco_transaction_id) WHERE status <> 'duplicate';
`
}
