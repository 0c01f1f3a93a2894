import type { Migration } from '../../migration.js'

/**
 * The agent's local store: the SMS inbox tables of the central ledger (as SQLite migrations 002 and
 * 004 left them, without the references to tables an agent does not have), so the one inbox store
 * (`ledger/sms-inbox.ts`: dedup by modem identity and TPDU hash, multipart assembly, release of
 * incomplete groups) serves both; and the outbox, the queue of what the central has not yet
 * acknowledged. Times are epoch ms of the agent's clock.
 */
export const agentStore: Migration = {
  version: 1,
  name: 'agent-store',
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
  sent_at        TEXT,
  sent_at_ms     INTEGER,
  received_at    INTEGER NOT NULL,
  parts          INTEGER NOT NULL,
  parts_expected INTEGER NOT NULL,
  complete       INTEGER NOT NULL CHECK (complete IN (0, 1)),
  -- JSON array of the raw PDUs (hex, as read) in sequence order: what is forwarded.
  raw            TEXT NOT NULL,
  -- Unused on an agent (the central settles), kept so the shared inbox store's statements fit.
  processed      INTEGER NOT NULL DEFAULT 0 CHECK (processed IN (0, 1)),
  outcome        TEXT,
  credit_id      INTEGER,
  merchant_id    TEXT
);

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
  last_part_at  INTEGER NOT NULL,
  message_id    INTEGER REFERENCES sms_messages(id)
);
CREATE UNIQUE INDEX sms_part_groups_open ON sms_part_groups(modem_key, sender, ref_bits, ref, total) WHERE message_id IS NULL;
CREATE INDEX sms_part_groups_expiry ON sms_part_groups(last_part_at) WHERE message_id IS NULL;
CREATE INDEX sms_part_groups_message ON sms_part_groups(message_id);

CREATE TABLE sms_pdus (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  modem_key   TEXT NOT NULL,
  modem_id    TEXT NOT NULL,
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
CREATE INDEX sms_pdus_message ON sms_pdus(message_id);

-- What goes to the central, in the order it was stored: a complete (or released incomplete) message,
-- or a PDU that could not be decoded (the central keeps it raw, as for its own modems). Written in
-- the transaction that stored the PDU, so nothing stored is ever left out of the queue.
CREATE TABLE outbox (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  modem_id       TEXT NOT NULL,
  message_id     INTEGER REFERENCES sms_messages(id),
  pdu_id         INTEGER REFERENCES sms_pdus(id),
  stored_at      INTEGER NOT NULL,
  -- pending: not yet acknowledged; forwarded: the central has it; refused: an operator took it out
  -- of the queue (harpoon agent skip) after the central kept refusing it; kept, never deleted.
  state          TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'forwarded', 'refused')),
  forwarded_at   INTEGER,
  central_sms_id INTEGER,
  refusal        TEXT,
  CHECK ((message_id IS NULL) <> (pdu_id IS NULL))
);
CREATE INDEX outbox_pending ON outbox(modem_id, id) WHERE state = 'pending';
CREATE INDEX outbox_forwarded ON outbox(forwarded_at) WHERE state = 'forwarded';
`
}
