import type { Migration } from './migration.js'

/**
 * A telco taking back money that had come in ("Transaction EQ47FM754 has been reversed", M-PESA):
 * one row per reversed telco transaction, whether its credit is known yet or not. A reversal that
 * arrives before its credit (a modem's backlog is read in storage order, not in the telco's) is kept
 * here, so the credit, when it comes, goes to review instead of paying an order (ledger/credits.ts).
 */
export const creditReversals: Migration = {
  version: 16,
  name: 'credit-reversals',
  up: `
CREATE TABLE credit_reversals (
  id                      INTEGER PRIMARY KEY AUTOINCREMENT,
  merchant_id             TEXT NOT NULL REFERENCES merchants(id),
  mode                    TEXT NOT NULL CHECK (mode IN ('live', 'test')),
  network                 TEXT NOT NULL,
  telco_transaction_id    TEXT NOT NULL,
  reversal_transaction_id TEXT,
  sms_id                  INTEGER,
  credit_id               INTEGER REFERENCES credits(id),
  received_at             INTEGER NOT NULL
);
CREATE UNIQUE INDEX credit_reversals_telco_id ON credit_reversals(mode, network, telco_transaction_id);
`
}
