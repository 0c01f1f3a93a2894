import type { Migration } from './migration.js'

/**
 * Webhook endpoints, their signing secrets, the delivery outbox and its attempt log. Times are epoch
 * ms. Version 2 is the SMS inbox of another branch; the migrator applies versions in order.
 */
export const webhooks: Migration = {
  version: 3,
  name: 'webhooks',
  up: `
CREATE TABLE webhook_endpoints (
  id                   TEXT PRIMARY KEY,
  merchant_id          TEXT NOT NULL REFERENCES merchants(id),
  mode                 TEXT NOT NULL CHECK (mode IN ('live', 'test')),
  url                  TEXT NOT NULL,
  events               TEXT NOT NULL,
  description          TEXT,
  is_active            INTEGER NOT NULL DEFAULT 1,
  disabled_reason      TEXT,
  last_success_at      INTEGER,
  last_failure_at      INTEGER,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  -- Start of the current run of failures: 5 days of it disable the endpoint.
  failing_since        INTEGER,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL,
  -- Deleted endpoints stay as rows so their deliveries keep their history.
  deleted_at           INTEGER
);
CREATE INDEX webhook_endpoints_owner ON webhook_endpoints(merchant_id, mode, created_at);

-- Several secrets are valid during a rotation overlap; NULL expires_at means "until rotated".
CREATE TABLE webhook_secrets (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
  secret      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER
);
CREATE INDEX webhook_secrets_endpoint ON webhook_secrets(endpoint_id, id);

-- The outbox: one row per (event, endpoint), written in the transaction of the change. The body is
-- built once and sent byte for byte on every attempt and replay.
CREATE TABLE webhook_deliveries (
  id               TEXT PRIMARY KEY,
  webhook_id       TEXT NOT NULL UNIQUE,
  endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints(id),
  merchant_id      TEXT NOT NULL,
  mode             TEXT NOT NULL,
  event_id         INTEGER REFERENCES events(id),
  event_type       TEXT NOT NULL,
  body             TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  -- Failures since the delivery was (re)armed: the index into retry_schedule.
  retry_index      INTEGER NOT NULL DEFAULT 0,
  -- Retries allowed after the first attempt; NULL = the configured schedule's length.
  max_retries      INTEGER,
  next_attempt_at  INTEGER,
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  last_attempt_at  INTEGER,
  last_status_code INTEGER,
  last_error       TEXT,
  delivered_at     INTEGER,
  dead_at          INTEGER,
  replays          INTEGER NOT NULL DEFAULT 0,
  created_at       INTEGER NOT NULL,
  UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, status, created_at);

CREATE TABLE webhook_attempts (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id   TEXT NOT NULL REFERENCES webhook_deliveries(id),
  outcome       TEXT NOT NULL CHECK (outcome IN ('delivered', 'failed', 'abandoned')),
  status_code   INTEGER,
  error         TEXT,
  response_body TEXT,
  duration_ms   INTEGER,
  started_at    INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);
`
}
