import type { Migration } from '../../migration.js'

/** One index led by the HPN code serves the in-use check and the owner's lookup (see the SQLite 015). */
export const codeIndex: Migration = {
  version: 15,
  name: 'code-index',
  up: `
DROP INDEX payments_owner_code;
DROP INDEX payments_code;
CREATE INDEX payments_by_code ON payments(hpn_code, merchant_id, mode, id);
`
}
