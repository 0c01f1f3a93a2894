import type { Migration } from './migration.js'

/**
 * Matching: the wallet balance chain (a forger rarely knows the balance) and the link from a credit
 * to the SMS it came from.
 */
export const matching: Migration = {
  version: 4,
  name: 'matching',
  up: `
ALTER TABLE credits ADD COLUMN sms_id INTEGER;
ALTER TABLE credits ADD COLUMN fee_minor INTEGER;
ALTER TABLE credits ADD COLUMN duplicate_of INTEGER REFERENCES credits(id);
ALTER TABLE credits ADD COLUMN note TEXT;
CREATE INDEX credits_telco_lookup ON credits(telco_transaction_id);

-- Whose inbox a message belongs to, set when it is settled (the merchant of its modem).
ALTER TABLE sms_messages ADD COLUMN merchant_id TEXT REFERENCES merchants(id);
CREATE INDEX sms_messages_list ON sms_messages(merchant_id, mode, id);

-- The last balance each wallet reported, per (modem or virtual wallet, mode).
CREATE TABLE wallet_balances (
  wallet        TEXT NOT NULL,
  mode          TEXT NOT NULL,
  balance_minor INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (wallet, mode)
);
`
}
