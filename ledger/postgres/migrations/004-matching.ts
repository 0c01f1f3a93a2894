import type { Migration } from '../../migration.js'

/** Matching: the wallet balance chain and the link from a credit to its SMS (see the SQLite 004). */
export const matching: Migration = {
  version: 4,
  name: 'matching',
  up: `
ALTER TABLE credits ADD COLUMN sms_id BIGINT;
ALTER TABLE credits ADD COLUMN fee_minor BIGINT;
ALTER TABLE credits ADD COLUMN duplicate_of BIGINT REFERENCES credits(id) DEFERRABLE;
ALTER TABLE credits ADD COLUMN note TEXT;
CREATE INDEX credits_telco_lookup ON credits(telco_transaction_id);

ALTER TABLE sms_messages ADD COLUMN merchant_id TEXT REFERENCES merchants(id) DEFERRABLE;
CREATE INDEX sms_messages_list ON sms_messages(merchant_id, mode, id);

CREATE TABLE wallet_balances (
  wallet        TEXT NOT NULL,
  mode          TEXT NOT NULL,
  balance_minor BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  PRIMARY KEY (wallet, mode)
);
`
}
