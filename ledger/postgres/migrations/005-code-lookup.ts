import type { Migration } from '../../migration.js'

/** A payment by its HPN code for one merchant and mode, newest first (see the SQLite 005). */
export const codeLookup: Migration = {
  version: 5,
  name: 'code-lookup',
  up: `
CREATE INDEX payments_owner_code ON payments(merchant_id, mode, hpn_code, id);
`
}
