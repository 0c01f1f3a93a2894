import type { Migration } from './migration.js'

/**
 * Channels (issue 14): payments collected through a provider's API (MTN MoMo request-to-pay), the
 * durable outbox of calls to providers, the audit log of every leg, and the MoMo proxy's clients
 * and requests. Times are epoch ms; integers only (BIGINT on PostgreSQL), booleans 0/1.
 */
export const channels: Migration = {
  version: 9,
  name: 'channels',
  up: `
-- Which channel collects a payment (NULL: by SMS), the provider's reference (MTN's X-Reference-Id)
-- and why a FAILED payment failed (the provider's reason code).
ALTER TABLE payments ADD COLUMN channel_id TEXT;
ALTER TABLE payments ADD COLUMN channel_type TEXT;
ALTER TABLE payments ADD COLUMN channel_reference TEXT;
ALTER TABLE payments ADD COLUMN failure_reason TEXT;

-- Provider transactions: a payment's collection and the refunds paid back, each with the reference
-- the provider knows it by. Written in the transaction of the payment (or refund) it serves and
-- worked from there like the webhook outbox: due rows are claimed under a lease, so a crash between
-- commit and call sends the same reference again, and a call in flight is never made twice at once.
CREATE TABLE channel_transactions (
  id                      INTEGER PRIMARY KEY AUTOINCREMENT,
  public_id               TEXT NOT NULL UNIQUE,
  channel_id              TEXT NOT NULL,
  channel_type            TEXT NOT NULL,
  kind                    TEXT NOT NULL CHECK (kind IN ('collection', 'refund')),
  merchant_id             TEXT NOT NULL REFERENCES merchants(id),
  mode                    TEXT NOT NULL CHECK (mode IN ('live', 'test')),
  payment_id              INTEGER NOT NULL REFERENCES payments(id),
  reference_id            TEXT NOT NULL,
  amount_minor            INTEGER NOT NULL CHECK (amount_minor > 0),
  currency                TEXT NOT NULL,
  -- The payer (collection) or payee (refund), in the international form the provider takes.
  party                   TEXT NOT NULL,
  -- JSON: what the provider call needs beyond these columns (notes, callback URL, original transaction).
  request                 TEXT NOT NULL,
  note                    TEXT,
  -- send: ask the provider (again, same reference); check: it holds it, ask for the truth; done.
  phase                   TEXT NOT NULL CHECK (phase IN ('send', 'check', 'done')),
  outcome                 TEXT CHECK (outcome IN ('succeeded', 'failed', 'abandoned')),
  -- 1 once a send may have reached the provider without an answer (timeout, 5xx, cut connection).
  ambiguous               INTEGER NOT NULL DEFAULT 0 CHECK (ambiguous IN (0, 1)),
  accepted_at             INTEGER,
  sends                   INTEGER NOT NULL DEFAULT 0,
  checks                  INTEGER NOT NULL DEFAULT 0,
  provider_status         TEXT,
  provider_transaction_id TEXT,
  failure_reason          TEXT,
  last_error              TEXT,
  next_at                 INTEGER,
  lease_owner             TEXT,
  lease_expires_at        INTEGER,
  created_at              INTEGER NOT NULL,
  updated_at              INTEGER NOT NULL,
  finished_at             INTEGER,
  UNIQUE (channel_id, reference_id)
);
CREATE INDEX channel_transactions_due ON channel_transactions(next_at) WHERE phase <> 'done';
CREATE INDEX channel_transactions_payment ON channel_transactions(payment_id, kind, id);

-- Every leg of a channel payment: the app's request, each provider call (token calls too), each
-- callback received (also those naming nothing we know: payment_id NULL). Secrets are redacted
-- before a row is written. Forwards to apps are read from webhook_attempts.
CREATE TABLE audit_legs (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  payment_id      INTEGER REFERENCES payments(id),
  channel_id      TEXT,
  kind            TEXT NOT NULL CHECK (kind IN ('app_request', 'provider_call', 'callback')),
  operation       TEXT,
  reference_id    TEXT,
  method          TEXT NOT NULL,
  url             TEXT NOT NULL,
  request_headers TEXT,
  request_body    TEXT,
  status_code     INTEGER,
  response_body   TEXT,
  error           TEXT,
  duration_ms     INTEGER,
  started_at      INTEGER NOT NULL
);
CREATE INDEX audit_legs_payment ON audit_legs(payment_id, id);
CREATE INDEX audit_legs_channel ON audit_legs(channel_id, id);

-- The MoMo proxy's forwards go through the webhook outbox: a proxy client is an endpoint of kind
-- momo_proxy (its key is the signing secret), and a delivery may go to the request's own callbackUrl.
ALTER TABLE webhook_endpoints ADD COLUMN kind TEXT NOT NULL DEFAULT 'webhook' CHECK (kind IN ('webhook', 'momo_proxy'));
-- A forward to a request's own callbackUrl uses webhook_deliveries.target_url, which 010 (hosted API)
-- adds for a payment's own webhook_url: the two branches reserved 009 and 010 and 010 landed first.

CREATE TABLE proxy_clients (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  endpoint_id TEXT NOT NULL UNIQUE REFERENCES webhook_endpoints(id),
  -- sha256 of the X-Proxy-Api-Key, hex; the key itself is the endpoint's signing secret.
  key_hash    TEXT NOT NULL UNIQUE,
  hint        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);

CREATE TABLE proxy_requests (
  reference_id        TEXT PRIMARY KEY,
  client_id           TEXT NOT NULL REFERENCES proxy_clients(id),
  payment_id          INTEGER NOT NULL UNIQUE REFERENCES payments(id),
  external_id         TEXT NOT NULL,
  payer_type          TEXT NOT NULL,
  payer_id            TEXT NOT NULL,
  payer_message       TEXT NOT NULL,
  payee_note          TEXT NOT NULL,
  callback_url        TEXT,
  -- The last final status forwarded (each final status is forwarded once), and its delivery.
  forwarded_status    TEXT,
  forward_delivery_id TEXT,
  created_at          INTEGER NOT NULL
);
CREATE INDEX proxy_requests_client ON proxy_requests(client_id, created_at);
`
}
