import type { Migration } from './migration.js'

/** Merchants, API keys, payments, credits, events and idempotency records. Times are epoch ms. */
export const foundation: Migration = {
  version: 1,
  name: 'foundation',
  up: `
CREATE TABLE merchants (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  merchant_id  TEXT NOT NULL REFERENCES merchants(id),
  name         TEXT NOT NULL,
  mode         TEXT NOT NULL CHECK (mode IN ('live', 'test')),
  scopes       TEXT NOT NULL,
  secret_hash  BLOB NOT NULL UNIQUE,
  hint         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  revoked_at   INTEGER,
  last_used_at INTEGER,
  rolled_from  TEXT REFERENCES api_keys(id)
);
CREATE INDEX api_keys_merchant ON api_keys(merchant_id, created_at);

CREATE TABLE payments (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  reference            TEXT NOT NULL UNIQUE,
  merchant_id          TEXT NOT NULL REFERENCES merchants(id),
  mode                 TEXT NOT NULL CHECK (mode IN ('live', 'test')),
  hpn_code             TEXT NOT NULL,
  status               TEXT NOT NULL,
  expected_minor       INTEGER NOT NULL CHECK (expected_minor > 0),
  actual_minor         INTEGER,
  currency             TEXT NOT NULL,
  client_reference     TEXT,
  customer_phone       TEXT,
  payer_phone          TEXT,
  telco_provider       TEXT,
  telco_transaction_id TEXT,
  meta                 TEXT,
  note                 TEXT,
  expires_at           INTEGER NOT NULL,
  verified_at          INTEGER,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);
-- A code that can still pay belongs to one payment only.
CREATE UNIQUE INDEX payments_open_code ON payments(hpn_code) WHERE status IN ('PENDING', 'PARTIAL');
CREATE INDEX payments_code ON payments(hpn_code, created_at);
CREATE INDEX payments_list ON payments(merchant_id, mode, id);
CREATE INDEX payments_status_list ON payments(merchant_id, mode, status, id);
CREATE INDEX payments_client_reference ON payments(merchant_id, mode, client_reference, id) WHERE client_reference IS NOT NULL;
CREATE INDEX payments_expiry ON payments(expires_at) WHERE status = 'PENDING';

-- Telco payments into a wallet. Filled by the ingest step; applied to payments by matching.
CREATE TABLE credits (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  public_id            TEXT NOT NULL UNIQUE,
  merchant_id          TEXT NOT NULL REFERENCES merchants(id),
  mode                 TEXT NOT NULL CHECK (mode IN ('live', 'test')),
  network              TEXT NOT NULL,
  telco_transaction_id TEXT NOT NULL,
  amount_minor         INTEGER NOT NULL,
  currency             TEXT NOT NULL,
  payer_phone          TEXT,
  payer_name           TEXT,
  reference            TEXT,
  balance_minor        INTEGER,
  risk_flags           TEXT NOT NULL DEFAULT '[]',
  status               TEXT NOT NULL CHECK (status IN ('unmatched', 'matched', 'duplicate')),
  payment_id           INTEGER REFERENCES payments(id),
  match_method         TEXT,
  received_at          INTEGER NOT NULL,
  applied_at           INTEGER
);
-- One telco transaction is counted once, ever (duplicates are recorded with status 'duplicate'
-- and a NULL in this index's key would not be unique, so they carry the original's id instead).
CREATE UNIQUE INDEX credits_telco_id ON credits(network, telco_transaction_id) WHERE status <> 'duplicate';
CREATE INDEX credits_payment ON credits(payment_id);
CREATE INDEX credits_list ON credits(merchant_id, mode, status, id);

-- Every event a merchant can hear about, written in the same transaction as the change it
-- describes. Webhook deliveries are derived from these rows.
CREATE TABLE events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  mode        TEXT NOT NULL,
  type        TEXT NOT NULL,
  payment_id  INTEGER REFERENCES payments(id),
  credit_id   INTEGER REFERENCES credits(id),
  data        TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX events_payment ON events(payment_id, id);

CREATE TABLE idempotency_keys (
  merchant_id     TEXT NOT NULL,
  mode            TEXT NOT NULL,
  key             TEXT NOT NULL,
  fingerprint     TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
  response_status INTEGER,
  response_body   TEXT,
  created_at      INTEGER NOT NULL,
  PRIMARY KEY (merchant_id, mode, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys(created_at);
`
}
