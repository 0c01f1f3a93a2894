import type { Migration } from '../../migration.js'

/**
 * SQLite's 017 puts two triggers in place of the partial unique index `payments_open_code`, which
 * works there because SQLite has one writer at a time. Several daemons write one PostgreSQL ledger
 * at once: a check in a trigger could pass for two of them together, so the unique index stays the
 * guard here. This step only says so on the index, and keeps the two engines' numbers in step
 * (`ledger copy` migrates PostgreSQL to the SQLite file's versions).
 */
export const openCodeGuard: Migration = {
  version: 17,
  name: 'open-code-guard',
  up: `
COMMENT ON INDEX payments_open_code IS 'one payable payment per HPN code; the SQLite ledger guards this with triggers (migration 017)';
`
}
