import type { Migration } from './migration.js'

/**
 * The central side of `harpoon agent` (README, Multi-site): the agents that forward SMS here, each
 * bound at its first contact to the merchant and mode of its key; their modems as last reported;
 * every message accepted from them, keyed by (agent, modem identity, hash of its PDUs) so a retry
 * after a lost acknowledgement finds its row and changes nothing; and test SMS waiting for a
 * test-mode agent's virtual modem (`harpoon simulate --agent`). Times are epoch ms.
 */
export const agents: Migration = {
  version: 11,
  name: 'agents',
  up: `
CREATE TABLE agents (
  id                TEXT PRIMARY KEY,
  merchant_id       TEXT NOT NULL REFERENCES merchants(id),
  mode              TEXT NOT NULL CHECK (mode IN ('live', 'test')),
  key_id            TEXT NOT NULL,
  version           TEXT,
  first_seen_at     INTEGER NOT NULL,
  last_contact_at   INTEGER NOT NULL,
  -- What the agent said, at its last contact, it still holds for this daemon.
  backlog           INTEGER NOT NULL DEFAULT 0,
  oldest_pending_at INTEGER
);
CREATE INDEX agents_owner ON agents(merchant_id, mode);

-- The agent's modems as its last report described them: a heartbeat replaces the set.
CREATE TABLE agent_modems (
  agent_id    TEXT NOT NULL REFERENCES agents(id),
  modem_id    TEXT NOT NULL,
  network     TEXT,
  msisdn      TEXT,
  -- JSON: the modem's status as the agent read it (the fields of GET /v1/modems).
  status      TEXT NOT NULL,
  reported_at INTEGER NOT NULL,
  PRIMARY KEY (agent_id, modem_id)
);

CREATE TABLE agent_messages (
  agent_id    TEXT NOT NULL REFERENCES agents(id),
  -- The modem identity at the agent (imsi:…, else imei:…, else id:…).
  modem_key   TEXT NOT NULL,
  -- sha256 (hex) of the message's TPDU hashes in part order.
  pdu_hash    TEXT NOT NULL,
  modem_id    TEXT NOT NULL,
  -- The agent's outbox number: increasing per agent in the order it stored its messages.
  agent_seq   INTEGER NOT NULL,
  -- The message this completed here; NULL for an undecodable PDU.
  message_id  INTEGER REFERENCES sms_messages(id),
  -- When the agent stored it (the agent's clock), and when this daemon accepted it.
  stored_at   INTEGER NOT NULL,
  accepted_at INTEGER NOT NULL,
  PRIMARY KEY (agent_id, modem_key, pdu_hash)
);

CREATE TABLE agent_test_sms (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  agent_id   TEXT NOT NULL REFERENCES agents(id),
  network    TEXT NOT NULL,
  sender     TEXT NOT NULL,
  text       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  claimed_at INTEGER
);
CREATE INDEX agent_test_sms_waiting ON agent_test_sms(agent_id, id) WHERE claimed_at IS NULL;
`
}
