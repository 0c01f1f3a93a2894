import type { Migration } from './migration.js'

/**
 * Issue 16 (Harpoon's newer API): publishable keys with their allowed origins and IP allow-lists
 * per key; what `/v1/transactions/initialize` records beside a payment; hosted checkout links; and
 * outbox rows that go to a payment's own `webhook_url` instead of their endpoint's URL.
 *
 * - `api_keys.key_type`: `secret` (hpn_…_sk_…) or `publishable` (hpn_…_pk_…). `allowed_origins` and
 *   `allowed_ips` are JSON arrays, NULL for none / any address.
 * - `payment_details`: one row per payment made through the API, beside `payments` so that table
 *   keeps the shape SPEC §4 gives it. `created_by_key` is what lets a publishable key read back the
 *   payments it made and nothing else.
 * - `checkout_tokens`: only a SHA-256 of each checkout token is kept (the token is in the
 *   `checkout_url` the merchant was given); a payment may have several (the "idempotent by default"
 *   initialize answers the same payment again with a fresh link).
 * - `webhook_deliveries.target_url`: set for a delivery to a payment's `webhook_url`. Such a row
 *   belongs to the merchant endpoint whose secret signs it, which may also have a row of its own
 *   for the same event, so its `event_id` is NULL (the UNIQUE (event_id, endpoint_id) of 003 is for
 *   the endpoint's own rows).
 */
export const hostedApi: Migration = {
  version: 10,
  name: 'hosted-api',
  up: `
ALTER TABLE api_keys ADD COLUMN key_type TEXT NOT NULL DEFAULT 'secret' CHECK (key_type IN ('secret', 'publishable'));
ALTER TABLE api_keys ADD COLUMN allowed_origins TEXT;
ALTER TABLE api_keys ADD COLUMN allowed_ips TEXT;

CREATE TABLE payment_details (
  payment_id     INTEGER PRIMARY KEY REFERENCES payments(id),
  customer_name  TEXT,
  description    TEXT,
  redirect_url   TEXT,
  webhook_url    TEXT,
  created_by_key TEXT REFERENCES api_keys(id)
);

CREATE TABLE checkout_tokens (
  token_hash BLOB PRIMARY KEY,
  payment_id INTEGER NOT NULL REFERENCES payments(id),
  created_at INTEGER NOT NULL
);
CREATE INDEX checkout_tokens_payment ON checkout_tokens(payment_id);

ALTER TABLE webhook_deliveries ADD COLUMN target_url TEXT;
`
}
