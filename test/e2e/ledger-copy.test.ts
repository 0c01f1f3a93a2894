import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { runCli } from '../../daemon/cli.js'
import { openPostgresEngine, type PostgresEngine } from '../../ledger/postgres/engine.js'
import { sql } from '../../ledger/sql.js'
import { migrate } from '../../ledger/sqlite/migrate.js'
import { MIGRATIONS } from '../../ledger/sqlite/migrations/index.js'
import { GENESIS_HASH, recordHash } from '../../ledger/audit-trail.js'
import { openLedger } from '../../ledger/open.js'
import { SecretBox } from '../../ledger/secret-box.js'
import { testSecretKey } from '../secret-key.js'
import { captureIo } from '../helpers/capture-io.js'
import { cleanupAfterEach } from '../helpers/cleanup.js'
import { spawnDaemon } from '../helpers/daemon-process.js'
import { apiCall, firstKey } from '../helpers/http.js'
import { createTestDatabase } from '../helpers/postgres-database.js'
import { tempDir } from '../helpers/temp-dir.js'

const track = cleanupAfterEach()

/** `harpoon ledger copy`, through the CLI's entry point (in this process: no Node start-up per call). */
async function copy (...args: string[]): Promise<{ code: number, out: string, err: string }> {
  const { io, out, err } = captureIo()
  const code = await runCli(['ledger', 'copy', ...args], io)
  return { code, out: out(), err: err() }
}

async function target (url: string): Promise<PostgresEngine> {
  const e = await openPostgresEngine(url)
  track.later(async () => { await e.close() })
  return e
}

const T = 1_767_225_600_000 // 2026-01-01, epoch ms
const KEY_HASH = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37) % 256)) // holds 0x00 and 0xff
const TOKEN_HASH = Buffer.from(Array.from({ length: 32 }, (_, i) => (255 - i * 11) % 256)) // a BYTEA primary key: sorts as on SQLite
const NEWEST = Math.max(...MIGRATIONS.map((m) => m.version))

/**
 * A SQLite ledger with rows in every table, written as SQL so it holds what the stores would and the
 * awkward values they could: payments of every status (an open code shared with a settled one), credits
 * with a duplicate and a test-mode twin, a two-part SMS with its PDUs and an open part group, webhook
 * deliveries in each state with attempts, a rolled key whose predecessor sorts after it, idempotency
 * records, text in several scripts, amounts beyond 32 bits, and a deleted payment whose id must never
 * be handed out again.
 */
function fillLedger (path: string): void {
  const db = new Database(path)
  try {
    migrate(db)
    db.exec(`
INSERT INTO merchants (id, name, created_at) VALUES ('default', 'Kofi''s Shop', ${T}), ('ama-kitchen', 'Ama’s Kitchen ₵ — 🍲', ${T + 1});
INSERT INTO api_keys (id, merchant_id, name, mode, scopes, secret_hash, hint, created_at, expires_at, revoked_at, last_used_at, rolled_from)
  VALUES ('key_z', 'default', 'old', 'live', 'payments:read,payments:write', X'00ff10', 'hpn_live_…abcd', ${T}, NULL, ${T + 50}, ${T + 40}, NULL),
         ('key_a', 'default', 'rolled', 'live', 'payments:read', X'${KEY_HASH.toString('hex')}', 'hpn_live_…efgh', ${T + 50}, ${T + 86_400_000}, NULL, NULL, 'key_z'),
         ('key_t', 'ama-kitchen', 'test key', 'test', '*', X'0102', 'hpn_test_…1234', ${T + 2}, NULL, NULL, NULL, NULL);
INSERT INTO api_keys (id, merchant_id, name, mode, scopes, secret_hash, hint, created_at, key_type, allowed_origins, allowed_ips)
  VALUES ('key_p', 'default', 'web', 'live', 'payments:read,payments:write', X'0203', 'hpn_live_pk_…wxyz', ${T + 3}, 'publishable', '["https://shop.example","http://localhost:3000"]', '["203.0.113.0/24","2001:db8::/32"]');
INSERT INTO payments (id, reference, merchant_id, mode, hpn_code, status, expected_minor, actual_minor, currency, client_reference, customer_phone, payer_phone, telco_provider, telco_transaction_id, meta, note, expires_at, verified_at, created_at, updated_at)
  VALUES (1, 'pay_1', 'default', 'live', 'HKMVR2', 'SUCCESS', 10000, 10000, 'GHS', 'order-1', '0244123456', '0244123456', 'mtn', '51234567890', '{"cart":[1,2]}', NULL, ${T + 600_000}, ${T + 100}, ${T}, ${T + 100}),
         (2, 'pay_2', 'default', 'live', 'HKMVR2', 'PENDING', 5000, NULL, 'GHS', NULL, NULL, NULL, NULL, NULL, NULL, 'line one
line two "quoted" \\ back', ${T + 900_000}, NULL, ${T + 200}, ${T + 200}),
         (3, 'pay_3', 'default', 'live', 'QX7P2M', 'PARTIAL', 1125899906842624, 600000, 'GHS', 'big', NULL, '0201234567', 'telecel', 'T-2', NULL, NULL, ${T + 900_000}, NULL, ${T + 300}, ${T + 400}),
         (4, 'pay_4', 'ama-kitchen', 'test', 'ZZ9PLQ', 'EXPIRED', 700, NULL, 'GHS', NULL, NULL, NULL, NULL, NULL, NULL, 'Ṣé àlàáfíà ni? 中文', ${T + 1000}, NULL, ${T + 400}, ${T + 1000}),
         (5, 'pay_5', 'default', 'live', 'OVR123', 'OVERPAID', 100, 250, 'GHS', NULL, NULL, NULL, 'at', 'AT-9', NULL, NULL, ${T + 1000}, ${T + 500}, ${T + 450}, ${T + 500}),
         (7, 'pay_7', 'default', 'live', 'GONE00', 'PENDING', 100, NULL, 'GHS', NULL, NULL, NULL, NULL, NULL, NULL, NULL, ${T + 1000}, NULL, ${T + 460}, ${T + 460});
DELETE FROM payments WHERE id = 7;
INSERT INTO payments (id, reference, merchant_id, mode, hpn_code, status, expected_minor, currency, expires_at, created_at, updated_at, amount_to_pay_minor)
  VALUES (8, 'pay_8', 'default', 'live', 'KES8AA', 'PENDING', 50000, 'KES', ${T + 900_000}, ${T + 470}, ${T + 470}, 50300);
INSERT INTO payments (id, reference, merchant_id, mode, hpn_code, status, expected_minor, currency, customer_phone, failure_reason, expires_at, created_at, updated_at,
    channel_id, channel_type, channel_reference)
  VALUES (6, 'pay_6', 'default', 'live', 'MTN6AA', 'FAILED', 15000, 'GHS', '0240000100', 'APPROVAL_REJECTED', ${T + 900_000}, ${T + 455}, ${T + 458},
    'mtn-gh', 'mtn_momo', '3f1c2b9e-8d4a-4c6e-9f7a-1b2c3d4e5f60');
INSERT INTO credits (id, public_id, merchant_id, mode, network, telco_transaction_id, amount_minor, currency, payer_phone, payer_name, reference, balance_minor, risk_flags, status, payment_id, match_method, received_at, applied_at, sms_id, fee_minor, duplicate_of, note)
  VALUES (1, 'crd_1', 'default', 'live', 'mtn', '51234567890', 10000, 'GHS', '0244123456', 'ANSAH KOFI', 'HKMVR2', 4294967296000, '[]', 'matched', 1, 'reference', ${T + 90}, ${T + 100}, 1, 0, NULL, NULL),
         (2, 'crd_2', 'default', 'live', 'mtn', '51234567890', 10000, 'GHS', '0244123456', 'ANSAH KOFI', 'HKMVR2', NULL, '["replayed_sms"]', 'duplicate', NULL, NULL, ${T + 95}, NULL, NULL, NULL, 1, 'seen before'),
         (3, 'crd_3', 'ama-kitchen', 'test', 'mtn', '51234567890', 700, 'GHS', NULL, NULL, NULL, NULL, '[]', 'unmatched', NULL, NULL, ${T + 96}, NULL, NULL, NULL, NULL, NULL),
         (4, 'crd_4', 'default', 'live', 'telecel', 'T-2', 600000, 'GHS', '0201234567', 'Ṣadé', 'QX7P2M', NULL, '[]', 'matched', 3, 'reference', ${T + 390}, ${T + 400}, 2, 150, NULL, NULL);
INSERT INTO payment_details (payment_id, customer_name, description, redirect_url, webhook_url, created_by_key)
  VALUES (1, 'Ama Mensah', 'Order #1234 — 2 × jollof', 'https://shop.example/done?o=1&x=é', 'https://shop.example/pay-hook', 'key_a'),
         (2, NULL, NULL, NULL, NULL, 'key_p');
INSERT INTO checkout_tokens (token_hash, payment_id, created_at)
  VALUES (X'${TOKEN_HASH.toString('hex')}', 2, ${T + 200}), (X'00', 2, ${T + 201}), (X'ff', 3, ${T + 300});
INSERT INTO events (id, merchant_id, mode, type, payment_id, credit_id, data, created_at)
  VALUES (1, 'default', 'live', 'payment.completed', 1, 1, '{"status":"SUCCESS"}', ${T + 100}),
         (2, 'default', 'live', 'payment.partial', 3, 4, '{"status":"PARTIAL","amount":"6000.00"}', ${T + 400}),
         (3, 'ama-kitchen', 'test', 'payment.expired', 4, NULL, '{}', ${T + 1000});
INSERT INTO idempotency_keys (merchant_id, mode, key, fingerprint, state, response_status, response_body, created_at)
  VALUES ('default', 'live', 'order-1-init', 'sha256:aa', 'done', 200, '{"reference":"pay_1"}', ${T}),
         ('default', 'live', 'Order-1-init', 'sha256:bb', 'in_flight', NULL, NULL, ${T + 1}),
         ('default', 'test', 'order-1-init', 'sha256:cc', 'done', 422, '{"error":{"code":"invalid_amount"}}', ${T + 2});
INSERT INTO sms_messages (id, modem_id, modem_key, network, mode, sender, text, smsc, sent_at, sent_at_ms, received_at, parts, parts_expected, complete, raw, processed, outcome, credit_id, merchant_id)
  VALUES (1, 'modem-1', 'imsi:620011234567890', 'mtn', 'live', 'MobileMoney', 'Payment received for GHS 100.00 from ANSAH KOFI Current Balance: GHS 42949672960.00 . Reference: HKMVR2. Transaction ID: 51234567890.', '+233244000000', '26/01/01,00:00:00+00', ${T + 80}, ${T + 90}, 2, 2, 1, '["0791...","0791..."]', 1, 'credit', 1, 'default'),
         (2, 'modem-2', 'imsi:620021234567890', 'telecel', 'live', 'T-CASH', 'Confirmed. You have received GHS6000.00', NULL, NULL, NULL, ${T + 390}, 1, 1, 1, '["0791aa"]', 1, 'credit', 4, 'default'),
         (3, 'modem-1', 'imsi:620011234567890', NULL, 'live', '+233241112233', 'hello from a friend', NULL, NULL, NULL, ${T + 500}, 1, 1, 1, '["0791bb"]', 0, NULL, NULL, NULL);
INSERT INTO sms_part_groups (id, modem_key, modem_id, network, mode, sender, ref_bits, ref, total, first_part_at, last_part_at, message_id)
  VALUES (1, 'imsi:620011234567890', 'modem-1', 'mtn', 'live', 'MobileMoney', 8, 200, 2, ${T + 85}, ${T + 88}, 1),
         (2, 'imsi:620011234567890', 'modem-1', 'mtn', 'live', 'MobileMoney', 16, 60000, 3, ${T + 600}, ${T + 600}, NULL);
INSERT INTO sms_pdus (id, modem_key, modem_id, tpdu_hash, raw_hex, storage, sim_index, status, error_code, error, group_id, seq, sender, smsc, sent_at, sent_at_ms, encoding, text, payload_hex, message_id, received_at)
  VALUES (1, 'imsi:620011234567890', 'modem-1', 'h1', '0791aa', 'SM', 0, 'part', NULL, NULL, 1, 1, 'MobileMoney', '+233244000000', '26/01/01,00:00:00+00', ${T + 80}, 'gsm7', 'Payment received for GHS 100.00 ', '5061', 1, ${T + 85}),
         (2, 'imsi:620011234567890', 'modem-1', 'h2', '0791ab', 'SM', 1, 'part', NULL, NULL, 1, 2, 'MobileMoney', '+233244000000', '26/01/01,00:00:00+00', ${T + 80}, 'gsm7', 'from ANSAH KOFI …', '6672', 1, ${T + 88}),
         (3, 'imsi:620011234567890', 'modem-1', 'h3', '0791ac', 'SM', 2, 'part', NULL, NULL, 2, 1, 'MobileMoney', NULL, NULL, NULL, 'ucs2', 'أهلا', '0623', NULL, ${T + 600}),
         (4, 'imsi:620011234567890', 'modem-1', 'h4', 'zz', 'ME', 3, 'undecodable', 'bad_hex', 'not hex', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ${T + 700});
INSERT INTO channel_transactions (id, public_id, channel_id, channel_type, kind, merchant_id, mode, payment_id, reference_id, amount_minor, currency, party, request, note,
    phase, outcome, ambiguous, accepted_at, sends, checks, provider_status, provider_transaction_id, failure_reason, last_error, next_at, lease_owner, lease_expires_at,
    created_at, updated_at, finished_at)
  VALUES (1, 'chx_1', 'mtn-gh', 'mtn_momo', 'collection', 'default', 'live', 6, '3f1c2b9e-8d4a-4c6e-9f7a-1b2c3d4e5f60', 15000, 'GHS', '233240000100',
    '{"payerMessage":"Order 6","payeeNote":"Kofi’s Shop"}', NULL, 'done', 'failed', 1, ${T + 456}, 2, 3, 'FAILED', NULL, 'APPROVAL_REJECTED', 'HTTP 500', NULL, NULL, NULL,
    ${T + 455}, ${T + 458}, ${T + 458});
INSERT INTO audit_legs (id, payment_id, channel_id, kind, operation, reference_id, method, url, request_headers, request_body, status_code, response_body, error, duration_ms, started_at)
  VALUES (1, 6, 'mtn-gh', 'provider_call', 'requesttopay', '3f1c2b9e-8d4a-4c6e-9f7a-1b2c3d4e5f60', 'POST', 'https://sandbox.momodeveloper.mtn.com/collection/v1_0/requesttopay',
    '{"Authorization":"[redacted]"}', '{"amount":"150.00"}', 202, '', NULL, 41, ${T + 456}),
         (2, NULL, 'mtn-gh', 'callback', NULL, 'ffffffff-0000-4000-8000-000000000000', 'PUT', '/v1/channels/mtn-gh/callback', NULL, '{"status":"SUCCESSFUL"}', 200, NULL, NULL, 1, ${T + 457});
INSERT INTO webhook_endpoints (id, merchant_id, mode, url, events, description, is_active, disabled_reason, last_success_at, last_failure_at, consecutive_failures, failing_since, created_at, updated_at, deleted_at)
  VALUES ('we_b', 'default', 'live', 'https://shop.example/hooks?x=1&y=2', '["payment.completed","payment.partial"]', 'main', 1, NULL, ${T + 120}, ${T + 401}, 1, ${T + 401}, ${T}, ${T + 401}, NULL),
         ('we_a', 'ama-kitchen', 'test', 'http://127.0.0.1:9/hook', '["*"]', NULL, 0, 'failing for 5 days', NULL, ${T + 1001}, 40, ${T + 1}, ${T + 1}, ${T + 1001}, ${T + 2000});
INSERT INTO webhook_endpoints (id, kind, merchant_id, mode, url, events, created_at, updated_at)
  VALUES ('we_p', 'momo_proxy', 'default', 'live', 'https://pos.example/default-cb', '[]', ${T + 3}, ${T + 3});
INSERT INTO webhook_secrets (id, endpoint_id, secret, created_at, expires_at)
  VALUES (1, 'we_b', 'whsec_old', ${T}, ${T + 86_400_000}), (2, 'we_b', 'whsec_new', ${T + 10}, NULL), (3, 'we_a', 'whsec_test', ${T + 1}, NULL), (4, 'we_p', 'mpk_secretkey', ${T + 3}, NULL);
INSERT INTO webhook_deliveries (id, webhook_id, endpoint_id, merchant_id, mode, event_id, event_type, body, status, attempts, retry_index, max_retries, next_attempt_at, lease_owner, lease_expires_at, last_attempt_at, last_status_code, last_error, delivered_at, dead_at, replays, created_at)
  VALUES ('dlv_2', 'msg_2', 'we_b', 'default', 'live', 1, 'payment.completed', '{"type":"payment.completed","data":{"amount":"100.00"}}', 'delivered', 1, 0, NULL, NULL, NULL, NULL, ${T + 120}, 200, NULL, ${T + 120}, NULL, 1, ${T + 100}),
         ('dlv_10', 'msg_10', 'we_b', 'default', 'live', 2, 'payment.partial', '{"type":"payment.partial"}', 'pending', 1, 1, NULL, ${T + 5000}, 'node-a', ${T + 4000}, ${T + 401}, 503, 'HTTP 503', NULL, NULL, 0, ${T + 400}),
         ('dlv_1', 'msg_1', 'we_a', 'ama-kitchen', 'test', 3, 'payment.expired', '{}', 'dead', 12, 12, 3, NULL, NULL, NULL, ${T + 1001}, NULL, 'connect ECONNREFUSED', NULL, ${T + 1001}, 0, ${T + 1000});
INSERT INTO webhook_deliveries (id, webhook_id, endpoint_id, merchant_id, mode, event_id, event_type, body, status, next_attempt_at, created_at, target_url)
  VALUES ('dlv_3', 'msg_3', 'we_b', 'default', 'live', NULL, 'payment.completed', '{"type":"payment.completed"}', 'pending', ${T + 100}, ${T + 100}, 'https://shop.example/pay-hook');
INSERT INTO webhook_deliveries (id, webhook_id, endpoint_id, merchant_id, mode, event_id, event_type, body, target_url, status, attempts, delivered_at, created_at)
  VALUES ('dlv_p', 'msg_p', 'we_p', 'default', 'live', NULL, 'transaction.failed', '{"status":"FAILED"}', 'https://pos.example/cb', 'delivered', 1, ${T + 459}, ${T + 458});
INSERT INTO proxy_clients (id, name, merchant_id, endpoint_id, key_hash, hint, created_at, revoked_at)
  VALUES ('pxc_1', 'POS app', 'default', 'we_p', 'ab12', 'mpk_abcd…wxyz', ${T + 3}, NULL);
INSERT INTO proxy_requests (reference_id, client_id, payment_id, external_id, payer_type, payer_id, payer_message, payee_note, callback_url, forwarded_status, forward_delivery_id, created_at)
  VALUES ('3f1c2b9e-8d4a-4c6e-9f7a-1b2c3d4e5f60', 'pxc_1', 6, 'order-6', 'MSISDN', '233240000100', 'Order 6', '', 'https://pos.example/cb', 'FAILED', 'dlv_p', ${T + 455});
INSERT INTO webhook_attempts (id, delivery_id, outcome, status_code, error, response_body, duration_ms, started_at)
  VALUES (1, 'dlv_2', 'delivered', 200, NULL, 'ok', 35, ${T + 110}),
         (2, 'dlv_10', 'failed', 503, 'HTTP 503', '<html>busy</html>', 1200, ${T + 401}),
         (3, 'dlv_1', 'abandoned', NULL, 'connect ECONNREFUSED', NULL, 2, ${T + 1001});
INSERT INTO credit_reversals (id, merchant_id, mode, network, telco_transaction_id, reversal_transaction_id, sms_id, credit_id, received_at)
  VALUES (1, 'default', 'live', 'mtn', '51234567890', 'R-1', 3, 1, ${T + 800}), (2, 'ama-kitchen', 'test', 'mpesa', 'UF3LA1B2E1', NULL, NULL, NULL, ${T + 801});
INSERT INTO wallet_balances (wallet, mode, balance_minor, updated_at)
  VALUES ('modem-1', 'live', 4294967296000, ${T + 90}), ('modem-1', 'test', 0, ${T + 96}), ('virtual:telecel', 'live', 600000, ${T + 390});
INSERT INTO agents (id, merchant_id, mode, key_id, version, first_seen_at, last_contact_at, backlog, oldest_pending_at)
  VALUES ('kumasi', 'default', 'live', 'key_z', '0.1.0', ${T}, ${T + 700}, 2, ${T + 650}), ('laptop', 'ama-kitchen', 'test', 'key_t', NULL, ${T + 1}, ${T + 2}, 0, NULL);
INSERT INTO agent_modems (agent_id, modem_id, network, msisdn, status, reported_at)
  VALUES ('kumasi', 'mtn-1', 'mtn', '0244000011', '{"id":"mtn-1","connected":true,"signal_dbm":-71,"counters":{"stored":3}}', ${T + 700}),
         ('laptop', 'virtual-telecel', 'telecel', '0200000000', '{"id":"virtual-telecel","virtual":true}', ${T + 2});
INSERT INTO agent_messages (agent_id, modem_key, pdu_hash, modem_id, agent_seq, message_id, stored_at, accepted_at)
  VALUES ('kumasi', 'imsi:620010000000011', 'aa01', 'mtn-1', 1, 3, ${T + 495}, ${T + 500}),
         ('kumasi', 'imsi:620010000000011', 'aa02', 'mtn-1', 2, NULL, ${T + 696}, ${T + 700});
INSERT INTO agent_test_sms (id, agent_id, network, sender, text, created_at, claimed_at)
  VALUES (1, 'laptop', 'telecel', 'T-CASH', 'Confirmed. You have received GHS7.00', ${T + 1}, ${T + 2}), (2, 'laptop', 'mtn', 'MobileMoney', 'waiting', ${T + 2}, NULL);
`)
    // Migration 014: a chained audit trail of two records with its head, and the secret key's check.
    let prev = GENESIS_HASH
    const records = [
      { seq: 1, at: T + 10, actor_type: 'cli', actor_id: 'kofi', address: null, merchant_id: null, mode: null, action: 'merchant.create',
        target_type: 'merchant', target_id: 'ama-kitchen', before_state: null, after_state: '{"id":"ama-kitchen","name":"Ama’s Kitchen ₵ — 🍲"}' },
      { seq: 2, at: T + 20, actor_type: 'key', actor_id: 'key_a', address: '2001:db8::7', merchant_id: 'default', mode: 'live', action: 'payment.cancel',
        target_type: 'payment', target_id: 'pay_2', before_state: '{"status":"PENDING"}', after_state: '{"status":"CANCELLED","note":"line\\none"}' }
    ]
    const insert = db.prepare(`INSERT INTO audit_trail (seq, at, actor_type, actor_id, address, merchant_id, mode, action, target_type, target_id, before_state, after_state, prev_hash, hash)
      VALUES (@seq, @at, @actor_type, @actor_id, @address, @merchant_id, @mode, @action, @target_type, @target_id, @before_state, @after_state, @prev_hash, @hash)`)
    for (const r of records) {
      const hash = recordHash({ ...r, prev_hash: prev } as Parameters<typeof recordHash>[0])
      insert.run({ ...r, prev_hash: prev, hash })
      prev = hash
    }
    db.prepare('INSERT INTO audit_trail_head (id, seq, hash) VALUES (1, 2, ?)').run(prev)
    db.prepare('INSERT INTO secret_key_check (id, key_check, created_at) VALUES (1, ?, ?)').run(new SecretBox(testSecretKey()).checkValue(), T)
  } finally {
    db.close()
  }
}

function ledgerTables (path: string): Array<{ name: string, rows: number }> {
  const db = new Database(path, { readonly: true })
  try {
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name").pluck().all() as string[]
    return names.map((name) => ({ name, rows: db.prepare(`SELECT count(*) FROM "${name}"`).pluck().get() as number }))
  } finally {
    db.close()
  }
}

function sqliteLedger (): string {
  const dir = tempDir('ledger-copy-')
  track.later(dir.cleanup)
  return join(dir.path, 'harpoon.db')
}

describe('harpoon ledger copy', () => {
  it('copies every table of a SQLite ledger into an empty PostgreSQL database and proves each one', async () => {
    const source = sqliteLedger()
    fillLedger(source)
    const tables = ledgerTables(source)
    // The fixture covers the whole schema: a table added later must be given rows here.
    expect(tables.filter((t) => t.rows === 0)).toEqual([])
    const db = await createTestDatabase({ migrated: false })

    const res = await copy('--from', source, '--to', db.url)
    expect(res.err).toBe('')
    expect(res.code).toBe(0)
    expect(res.out).not.toContain(db.url.split('@')[0]?.split(':')[2] as string) // no password printed
    for (const t of tables) expect(res.out).toMatch(new RegExp(`\\n${t.name} +${t.rows} +${t.rows} +([0-9a-f]{16}) +\\1 +ok`))
    expect(res.out).toContain(`All ${tables.length} tables match`)

    const pg = await target(db.url)
    expect(await pg.value(sql`SELECT max(version) FROM schema_migrations`)).toBe(NEWEST)
    expect(await pg.value(sql`SELECT secret_hash FROM api_keys WHERE id = ${'key_a'}`)).toEqual(KEY_HASH)
    expect(await pg.get(sql`SELECT expected_minor, note FROM payments WHERE id = ${3}`)).toEqual({ expected_minor: 1125899906842624, note: null })
    expect(await pg.value(sql`SELECT name FROM merchants WHERE id = ${'ama-kitchen'}`)).toBe('Ama’s Kitchen ₵ — 🍲')
    // Migration 010's rows: a publishable key's access, a payment's details, hashed checkout links, a delivery to a payment's own URL.
    expect(await pg.get(sql`SELECT key_type, allowed_origins, allowed_ips FROM api_keys WHERE id = ${'key_p'}`))
      .toEqual({ key_type: 'publishable', allowed_origins: '["https://shop.example","http://localhost:3000"]', allowed_ips: '["203.0.113.0/24","2001:db8::/32"]' })
    expect(await pg.value(sql`SELECT payment_id FROM checkout_tokens WHERE token_hash = ${TOKEN_HASH}`)).toBe(2)
    expect(await pg.get(sql`SELECT event_id, target_url FROM webhook_deliveries WHERE id = ${'dlv_3'}`)).toEqual({ event_id: null, target_url: 'https://shop.example/pay-hook' })
    expect(await pg.value(sql`SELECT note FROM payments WHERE id = ${2}`)).toBe('line one\nline two "quoted" \\ back')
    // Migration 014: the audit trail's chain still verifies on the copy, and the key check opens it with the same key.
    const copied = await openLedger({ path: 'unused.db', url: db.url }, { secretKey: testSecretKey() })
    track.later(async () => { await copied.close() })
    expect(await copied.auditTrail.verify()).toMatchObject({ ok: true, records: 2 })
    // Ids go on after the copied ones, and never reuse the deleted payment's.
    const next = await pg.transaction(async (tx) => await tx.value<number>(sql`
      INSERT INTO payments (reference, merchant_id, mode, hpn_code, status, expected_minor, currency, expires_at, created_at, updated_at)
      VALUES (${'pay_new'}, ${'default'}, ${'live'}, ${'NEW123'}, ${'PENDING'}, ${100}, ${'GHS'}, ${T}, ${T}, ${T}) RETURNING id`))
    expect(next).toBe(9)
    const attempt = await pg.transaction(async (tx) => await tx.value<number>(sql`
      INSERT INTO webhook_attempts (delivery_id, outcome, started_at) VALUES (${'dlv_1'}, ${'failed'}, ${T}) RETURNING id`))
    expect(attempt).toBe(4)
    // The copied partial unique indexes hold: the open code of pay_2 cannot be opened twice.
    await expect(pg.run(sql`
      INSERT INTO payments (reference, merchant_id, mode, hpn_code, status, expected_minor, currency, expires_at, created_at, updated_at)
      VALUES (${'pay_dup'}, ${'default'}, ${'live'}, ${'HKMVR2'}, ${'PENDING'}, ${100}, ${'GHS'}, ${T}, ${T}, ${T})`)).rejects.toMatchObject({ code: '23505' })
    // Migration 012: pay_8's unique amount came across, and no second open payment can take it.
    expect(await pg.value(sql`SELECT amount_to_pay_minor FROM payments WHERE id = ${8}`)).toBe(50300)
    await expect(pg.run(sql`
      INSERT INTO payments (reference, merchant_id, mode, hpn_code, status, expected_minor, currency, expires_at, created_at, updated_at, amount_to_pay_minor)
      VALUES (${'pay_same'}, ${'default'}, ${'live'}, ${'KES9BB'}, ${'PENDING'}, ${50000}, ${'KES'}, ${T}, ${T}, ${T}, ${50300})`)).rejects.toMatchObject({ code: '23505' })

    // A second copy into the same, now full, database is refused and changes nothing.
    const again = await copy('--from', source, '--to', db.url)
    expect(again.code).toBe(1)
    expect(again.err).toMatch(/target database is not empty \(\w+ has rows\)/)
    expect(await pg.value(sql`SELECT count(*) FROM payments`)).toBe(8)
  })

  it('refuses text PostgreSQL would receive altered, commits nothing, and copies once the source is fixed', async () => {
    const source = sqliteLedger()
    fillLedger(source)
    // A Latin-1 byte in a TEXT column (not UTF-8): it would arrive as U+FFFD.
    const raw = new Database(source)
    raw.exec("UPDATE payments SET note = CAST(X'4e6fe9' AS TEXT) WHERE id = 1")
    raw.close()
    const db = await createTestDatabase({ migrated: false })
    const res = await copy('--from', source, '--to', db.url)
    expect(res.code).toBe(1)
    expect(res.out).toMatch(/\npayments +7 +7 +([0-9a-f]{16}) +(?!\1)[0-9a-f]{16} +MISMATCH/)
    expect(res.out).toMatch(/\ncredits +4 +4 .* ok/)
    expect(res.err).toContain('differs from the SQLite ledger in payments; nothing was committed')
    const pg = await target(db.url)
    expect(await pg.value(sql`SELECT count(*) FROM payments`)).toBe(0)
    expect(await pg.value(sql`SELECT count(*) FROM merchants`)).toBe(0)

    const fix = new Database(source)
    fix.exec("UPDATE payments SET note = 'Noé' WHERE id = 1")
    fix.close()
    const retry = await copy('--from', source, '--to', db.url, '--json')
    expect(retry.code).toBe(0)
    const report = JSON.parse(retry.out) as { ok: boolean, schemaVersion: number, tables: Array<{ ok: boolean }> }
    expect(report.ok).toBe(true)
    expect(report.schemaVersion).toBe(NEWEST)
    expect(report.tables.every((t) => t.ok)).toBe(true)
    expect(await pg.value(sql`SELECT note FROM payments WHERE id = ${1}`)).toBe('Noé')
  })

  it('stops with a clear error on text PostgreSQL cannot hold (NUL), leaving the target empty', async () => {
    const source = sqliteLedger()
    fillLedger(source)
    const raw = new Database(source)
    raw.prepare('UPDATE sms_messages SET text = ? WHERE id = 3').run('hello\u0000friend')
    raw.close()
    const db = await createTestDatabase({ migrated: false })
    const res = await copy('--from', source, '--to', db.url)
    expect(res.code).toBe(1)
    expect(res.err).toMatch(/copying table sms_messages failed .*0x00.*nothing was written/)
    const pg = await target(db.url)
    expect(await pg.value(sql`SELECT count(*) FROM merchants`)).toBe(0)
  })

  it('refuses a ledger a running daemon has open, and a target holding other tables', async () => {
    const dir = tempDir()
    track.later(dir.cleanup)
    const daemon = track.daemon(await spawnDaemon(dir.path, { virtual_modems: false, api: { port: 0 } }))
    const key = firstKey(daemon.output())
    const payment = await apiCall<{ hpn_code: string }>(`${daemon.url}/v1/payments/initialize`, key, 'POST', { amount: '25.00' })
    await apiCall(`${daemon.url}/v1/test/sms`, key, 'POST', { network: 'mtn', amount: '25.00', reference: payment.hpn_code })
    const config = join(dir.path, 'harpoon.json')
    const db = await createTestDatabase({ migrated: false })

    const running = await copy('--config', config, '--to', db.url)
    expect(running.code).toBe(1)
    expect(running.err).toContain('is open in another process (is the daemon still running?)')

    daemon.child.kill('SIGTERM')
    expect(await daemon.exited).toBe(0)
    const foreign = await target(db.url)
    await foreign.session(async (c) => { await c.query('CREATE TABLE invoices (id BIGINT PRIMARY KEY)') })
    const occupied = await copy('--config', config, '--to', db.url)
    expect(occupied.code).toBe(1)
    expect(occupied.err).toContain("holds tables that are not a Harpoon ledger's (invoices)")
    await foreign.session(async (c) => { await c.query('DROP TABLE invoices') })

    // Stopped, the daemon's own ledger copies whole.
    const res = await copy('--config', config, '--to', db.url)
    expect(res.code).toBe(0)
    expect(res.out).toMatch(/\npayments +1 +1 /)
    expect(res.out).toMatch(/\ncredits +1 +1 /)
    expect(await foreign.value(sql`SELECT status FROM payments`)).toBe('SUCCESS')
  })
})
