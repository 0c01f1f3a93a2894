import type { Migration } from './migration.js'

/**
 * The SMS inbox: every raw PDU read from a SIM (committed before AT+CMGD deletes it), multipart
 * groups waiting for their parts, and assembled messages handed to ingest. Times are epoch ms.
 */
export const smsInbox: Migration = {
  version: 2,
  name: 'sms-inbox',
  up: `
CREATE TABLE sms_messages (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  modem_id       TEXT NOT NULL,
  modem_key      TEXT NOT NULL,
  network        TEXT,
  mode           TEXT NOT NULL CHECK (mode IN ('live', 'test')),
  sender         TEXT NOT NULL,
  text           TEXT NOT NULL,
  smsc           TEXT,
  -- SMSC wall-clock time with its own offset, and the same instant in UTC ms; NULL when invalid.
  sent_at        TEXT,
  sent_at_ms     INTEGER,
  received_at    INTEGER NOT NULL,
  parts          INTEGER NOT NULL,
  parts_expected INTEGER NOT NULL,
  complete       INTEGER NOT NULL CHECK (complete IN (0, 1)),
  -- JSON array of the raw PDUs (hex, as read) in sequence order.
  raw            TEXT NOT NULL,
  -- Set by ingest in the transaction that parses and matches the message.
  processed      INTEGER NOT NULL DEFAULT 0 CHECK (processed IN (0, 1)),
  outcome        TEXT CHECK (outcome IN ('credit', 'debit', 'other', 'unparsed', 'untrusted', 'duplicate')),
  credit_id      INTEGER REFERENCES credits(id)
);
CREATE INDEX sms_messages_unprocessed ON sms_messages(id) WHERE processed = 0;
CREATE INDEX sms_messages_outcome ON sms_messages(outcome, id);

-- One row per concatenated message being assembled, keyed as the research notes say:
-- (modem identity, sender, reference width and value, total). Refs alone collide across senders.
CREATE TABLE sms_part_groups (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  modem_key     TEXT NOT NULL,
  modem_id      TEXT NOT NULL,
  network       TEXT,
  mode          TEXT NOT NULL CHECK (mode IN ('live', 'test')),
  sender        TEXT NOT NULL,
  ref_bits      INTEGER NOT NULL CHECK (ref_bits IN (8, 16)),
  ref           INTEGER NOT NULL,
  total         INTEGER NOT NULL,
  first_part_at INTEGER NOT NULL,
  -- The timeout restarts with every new part and is checked against this stored time, so it
  -- survives restarts.
  last_part_at  INTEGER NOT NULL,
  message_id    INTEGER REFERENCES sms_messages(id)
);
CREATE UNIQUE INDEX sms_part_groups_open ON sms_part_groups(modem_key, sender, ref_bits, ref, total) WHERE message_id IS NULL;
CREATE INDEX sms_part_groups_expiry ON sms_part_groups(last_part_at) WHERE message_id IS NULL;

CREATE TABLE sms_pdus (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  modem_key   TEXT NOT NULL,
  modem_id    TEXT NOT NULL,
  -- sha256 of the raw TPDU (SMSC prefix excluded): a re-read of the same slot after a crash
  -- between commit and delete hashes identically and is recognised.
  tpdu_hash   TEXT NOT NULL,
  raw_hex     TEXT NOT NULL,
  storage     TEXT,
  sim_index   INTEGER,
  status      TEXT NOT NULL CHECK (status IN ('message', 'part', 'duplicate_part', 'undecodable')),
  error_code  TEXT,
  error       TEXT,
  group_id    INTEGER REFERENCES sms_part_groups(id),
  seq         INTEGER,
  sender      TEXT,
  smsc        TEXT,
  sent_at     TEXT,
  sent_at_ms  INTEGER,
  encoding    TEXT,
  text        TEXT,
  payload_hex TEXT,
  message_id  INTEGER REFERENCES sms_messages(id),
  received_at INTEGER NOT NULL,
  UNIQUE (modem_key, tpdu_hash)
);
CREATE INDEX sms_pdus_group ON sms_pdus(group_id, seq);
CREATE INDEX sms_pdus_undecodable ON sms_pdus(id) WHERE status = 'undecodable';
`
}
