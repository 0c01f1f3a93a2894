import type { Migration } from './migration.js'

/**
 * Issue 16, second half: the operators' audit trail and the secret-key check.
 *
 * - `audit_trail`: every state-changing API call and CLI action, append-only, one row per change,
 *   written in the transaction of the change (ledger/audit-trail.ts). `seq` runs 1, 2, 3… without
 *   gaps, so a deleted record leaves one; `hash` is sha256 over `prev_hash` and the record's columns,
 *   so an edited record no longer matches. Not `audit_legs` (009): those are a channel payment's
 *   provider and app legs, many per payment and written by machines.
 * - `audit_trail_head`: the newest record's seq and hash (one row, id 1; none before the first
 *   append). Every append updates it, which is what serialises appends from several daemons on one
 *   PostgreSQL ledger into one chain, and what shows that the newest records were deleted.
 * - `secret_key_check`: proves the key that encrypts secrets at rest (ledger/secret-box.ts) is the one
 *   the database was sealed with: an HMAC of a fixed label under that key, never the key.
 */
export const auditTrail: Migration = {
  version: 13,
  name: 'audit-trail',
  up: `
CREATE TABLE audit_trail (
  seq          INTEGER PRIMARY KEY,
  at           INTEGER NOT NULL,
  -- key: an API key (actor_id its id); cli: an operator's command (actor_id the OS user).
  actor_type   TEXT NOT NULL CHECK (actor_type IN ('key', 'cli')),
  actor_id     TEXT NOT NULL,
  -- The client address of an API call; NULL for the CLI.
  address      TEXT,
  merchant_id  TEXT,
  mode         TEXT CHECK (mode IN ('live', 'test')),
  action       TEXT NOT NULL,
  target_type  TEXT,
  target_id    TEXT,
  -- JSON (secrets redacted), NULL where there was nothing before (a creation) or after (a deletion).
  before_state TEXT,
  after_state  TEXT,
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL
);
CREATE INDEX audit_trail_target ON audit_trail(target_type, target_id, seq);
CREATE INDEX audit_trail_actor ON audit_trail(actor_id, seq);
CREATE INDEX audit_trail_at ON audit_trail(at, seq);

CREATE TABLE audit_trail_head (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  seq  INTEGER NOT NULL,
  hash TEXT NOT NULL
);

CREATE TABLE secret_key_check (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  key_check  TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`
}
