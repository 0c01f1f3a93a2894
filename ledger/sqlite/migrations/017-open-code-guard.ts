import type { Migration } from './migration.js'

/**
 * Issue 17: a new payment wrote two indexes led by its random HPN code, each a page of its own in
 * every group commit's WAL (a fifth of a group's pages): `payments_by_code` (migration 015, the
 * lookups and the code's reuse check) and the partial unique `payments_open_code`, the guard that a
 * payable code belongs to one payment. On SQLite the guard is two triggers instead, searching
 * `payments_by_code` (pages the INSERT's own reuse check has just read) and writing nothing.
 *
 * Why a trigger guards as well as the index did: SQLite runs one write transaction at a time across
 * every process on the file (the daemon's writer, the CLI), so the trigger's check and the row it
 * lets in are one step no other writer can come between. PostgreSQL has no such single writer (many
 * daemons on one ledger): there the unique index stays (its migration 017 says so).
 *
 * The triggers refuse (`RAISE(ABORT)`, the statement fails and nothing of it is kept) a payable row
 * whose code another payable row holds: a new PENDING or PARTIAL payment, or a payment made payable
 * again or given another code. A payment moving between PENDING and PARTIAL is not checked again.
 * ledger/payments.ts `initialize` never meets them (its INSERT skips any code in use); they catch
 * a writer that does not ask, as the index did.
 */
export const openCodeGuard: Migration = {
  version: 17,
  name: 'open-code-guard',
  up: `
DROP INDEX payments_open_code;
CREATE TRIGGER payments_open_code_insert BEFORE INSERT ON payments
  WHEN NEW.status IN ('PENDING', 'PARTIAL')
BEGIN
  SELECT RAISE(ABORT, 'open_code_taken: a payable payment already has this HPN code')
  WHERE EXISTS (SELECT 1 FROM payments WHERE hpn_code = NEW.hpn_code AND status IN ('PENDING', 'PARTIAL'));
END;
CREATE TRIGGER payments_open_code_update BEFORE UPDATE OF status, hpn_code ON payments
  WHEN NEW.status IN ('PENDING', 'PARTIAL') AND (OLD.status NOT IN ('PENDING', 'PARTIAL') OR NEW.hpn_code IS NOT OLD.hpn_code)
BEGIN
  SELECT RAISE(ABORT, 'open_code_taken: a payable payment already has this HPN code')
  WHERE EXISTS (SELECT 1 FROM payments WHERE hpn_code = NEW.hpn_code AND status IN ('PENDING', 'PARTIAL') AND id <> NEW.id);
END;
`
}
