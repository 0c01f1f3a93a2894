import type { Migration } from '../../migration.js'

/**
 * Publishable keys with their allowed origins and IP allow-lists; what `/v1/transactions/initialize`
 * records beside a payment; hashed checkout tokens; deliveries to a payment's own `webhook_url` (see
 * the SQLite 010 for each). As there, a delivery row with a `target_url` has a NULL `event_id`, which
 * the UNIQUE (event_id, endpoint_id) of 003 lets through on PostgreSQL as on SQLite (NULLs are
 * distinct). 009 belongs to another branch: the migrators take gaps (ledger/migration.ts).
 */
export const hostedApi: Migration = {
  version: 10,
  name: 'hosted-api',
  up: `
ALTER TABLE api_keys ADD COLUMN key_type TEXT NOT NULL DEFAULT 'secret' CHECK (key_type IN ('secret', 'publishable'));
ALTER TABLE api_keys ADD COLUMN allowed_origins TEXT;
ALTER TABLE api_keys ADD COLUMN allowed_ips TEXT;

CREATE TABLE payment_details (
  payment_id     BIGINT PRIMARY KEY REFERENCES payments(id) DEFERRABLE,
  customer_name  TEXT,
  description    TEXT,
  redirect_url   TEXT,
  webhook_url    TEXT,
  created_by_key TEXT REFERENCES api_keys(id) DEFERRABLE
);

CREATE TABLE checkout_tokens (
  token_hash BYTEA PRIMARY KEY,
  payment_id BIGINT NOT NULL REFERENCES payments(id) DEFERRABLE,
  created_at BIGINT NOT NULL
);
CREATE INDEX checkout_tokens_payment ON checkout_tokens(payment_id);

ALTER TABLE webhook_deliveries ADD COLUMN target_url TEXT;
`
}
