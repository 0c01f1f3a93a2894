import type { Migration } from '../../migration.js'

/**
 * The operators' audit trail and the secret-key check (see the SQLite 013). On PostgreSQL the head
 * row is what keeps one chain when several daemons append at once: each append updates it, and of
 * two serializable transactions updating it together one is rolled back and run again on top of the
 * other's record.
 */
export const auditTrail: Migration = {
  version: 13,
  name: 'audit-trail',
  up: `
CREATE TABLE audit_trail (
  seq          BIGINT PRIMARY KEY,
  at           BIGINT NOT NULL,
  actor_type   TEXT NOT NULL CHECK (actor_type IN ('key', 'cli')),
  actor_id     TEXT NOT NULL,
  address      TEXT,
  merchant_id  TEXT,
  mode         TEXT CHECK (mode IN ('live', 'test')),
  action       TEXT NOT NULL,
  target_type  TEXT,
  target_id    TEXT,
  before_state TEXT,
  after_state  TEXT,
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL
);
CREATE INDEX audit_trail_target ON audit_trail(target_type, target_id, seq);
CREATE INDEX audit_trail_actor ON audit_trail(actor_id, seq);
CREATE INDEX audit_trail_at ON audit_trail(at, seq);

CREATE TABLE audit_trail_head (
  id   BIGINT PRIMARY KEY CHECK (id = 1),
  seq  BIGINT NOT NULL,
  hash TEXT NOT NULL
);

CREATE TABLE secret_key_check (
  id         BIGINT PRIMARY KEY CHECK (id = 1),
  key_check  TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
`
}
