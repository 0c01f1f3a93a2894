import type { Migration } from './migration.js'

/**
 * Issue 17: every new payment writes each of its indexes, and an index on a random key (an HPN
 * code) dirties a page of its own per insert, written to the WAL and fsynced with each commit. Two
 * indexes led with the code: `payments_code(hpn_code, created_at)` for "is this code in use"
 * (the reuse check in ledger/payments.ts initialize) and `payments_owner_code(merchant_id, mode, hpn_code, id)` for the
 * newest payment of an owner with a code (findByCode, GET /v1/payments/{code}). One index serves
 * both: the code first, so the in-use check (any owner) searches it, then owner and id, so the
 * lookup is answered in order from it. SQLite must not pick `payments_list` for the lookup's
 * `ORDER BY id DESC` (a walk of the owner's whole table, migration 005): code-index.test.ts keeps
 * that plan.
 */
export const codeIndex: Migration = {
  version: 15,
  name: 'code-index',
  up: `
DROP INDEX payments_owner_code;
DROP INDEX payments_code;
CREATE INDEX payments_by_code ON payments(hpn_code, merchant_id, mode, id);
`
}
