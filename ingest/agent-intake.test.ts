import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import type { AgentKey } from '../ledger/agents.js'
import type { Mode } from '../ledger/modes.js'
import { sql } from '../ledger/testing.js'
import { assembleText } from '../modem/pdu/assemble.js'
import { encodeDeliver, encodeMultipart } from '../modem/pdu/encode.js'
import { toPduRecord } from '../modem/pdu-record.js'
import { emptyCounters, type ModemStatus } from '../modem/status.js'
import { createSmsParser } from '../parsers/index.js'
import { openTestLedger, type TestLedger } from '../test/helpers/ledger.js'
import { agentModemRef, createAgentIntake, type AgentIntake, type ForwardedMessage } from './agent-intake.js'
import { createIngest, type Ingest } from './ingest.js'
import { telcoCreditText } from './telco-wording.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { while (cleanups.length > 0) await cleanups.pop()?.() })

const rules = { assemble: assembleText }
const live: AgentKey = { keyId: 'key_kumasi', merchantId: 'default', mode: 'live' }

async function setup (): Promise<TestLedger & { intake: AgentIntake, ingest: Ingest }> {
  const test = await openTestLedger()
  cleanups.push(test.cleanup)
  await test.ledger.merchants.create({ id: 'default', name: 'Shop' })
  await test.ledger.merchants.create({ id: 'other', name: 'Other' })
  const logger = pino({ level: 'silent' })
  // Local modems would serve `default`; an agent's must never fall back to it.
  const ingest = createIngest({ ledger: test.ledger, logger, parser: createSmsParser(), holdBrokenChains: false, merchantOf: () => 'default' })
  return { ...test, ingest, intake: createAgentIntake({ ledger: test.ledger, ingest, logger, rules }) }
}

function modem (over: Partial<ModemStatus> = {}): ModemStatus {
  return {
    id: 'mtn-1', port: '/dev/serial/by-id/usb-mtn', network: 'mtn', msisdn: '0244000001', virtual: false, connected: true, signal_dbm: -70, registered: true,
    sim_ready: true, imei: '860000000000001', imsi: '620010000000001', last_sms_at: null, storage_used: 1, storage_total: 30, counters: emptyCounters(), last_error: null, ...over
  }
}

let txId = 61_000_000_000
function credit (code: string, amountMinor: number): string {
  return telcoCreditText({ network: 'mtn', amountMinor, reference: code, payerPhone: '0244123456', payerName: 'AMA SERWAA', transactionId: String(txId++), balanceMinor: 500_000, at: new Date() })
}

function message (pdus: readonly string[], over: Partial<ForwardedMessage> = {}): ForwardedMessage {
  return { agentId: 'kumasi', seq: 1, modem: modem(), modemKey: 'imsi:620010000000001', pdus, complete: true, storedAt: 1_000, ...over }
}

async function payment (test: TestLedger, merchantId: string, mode: Mode, amountMinor: number): Promise<{ id: number, code: string }> {
  const { payment } = await test.ledger.payments.initialize({ merchantId, mode }, { amountMinor, currency: 'GHS', clientReference: null, customerPhone: null, meta: null, expiresInSeconds: 3600 })
  return { id: payment.id, code: payment.hpn_code }
}

describe('the central accepting an agent\'s forwarded messages', () => {
  it('stores a multipart credit like a local modem\'s and settles it once, however often it is sent', async () => {
    const test = await setup()
    const p = await payment(test, 'default', 'live', 15_000)
    const pdus = encodeMultipart({ sender: 'MobileMoney', text: `${credit(p.code, 15_000)} ${'padding '.repeat(20)}`, ref: 12 })
    expect(pdus.length).toBeGreaterThan(1)
    const first = await test.intake.accept(live, message(pdus, { seq: 5 }))
    expect(first).toMatchObject({ duplicate: false, outcome: 'credit' })
    const again = await test.intake.accept(live, message(pdus, { seq: 5 }))
    expect(again).toEqual({ duplicate: true, smsId: first.smsId, outcome: null })

    expect((await test.ledger.payments.getById(p.id))?.status).toBe('SUCCESS')
    expect(await test.rows.value(sql`SELECT COUNT(*) FROM credits`)).toBe(1)
    expect(await test.rows.get(sql`SELECT modem_id, modem_key, mode, parts, complete, merchant_id FROM sms_messages WHERE id = ${first.smsId}`))
      .toEqual({ modem_id: 'kumasi/mtn-1', modem_key: 'agent:kumasi:imsi:620010000000001', mode: 'live', parts: pdus.length, complete: 1, merchant_id: 'default' })
    expect(await test.rows.value(sql`SELECT COUNT(*) FROM sms_pdus WHERE modem_key = 'agent:kumasi:imsi:620010000000001'`)).toBe(pdus.length)
    expect(await test.rows.get(sql`SELECT agent_seq, message_id, stored_at FROM agent_messages`)).toEqual({ agent_seq: 5, message_id: first.smsId, stored_at: 1_000 })
    // The modem's status came with the message; the agent's last contact with it.
    const [m] = await test.ledger.agents.modems()
    expect(m).toMatchObject({ modemId: 'mtn-1', agent: { id: 'kumasi', merchantId: 'default', mode: 'live' }, status: { signal_dbm: -70 } })
  })

  it('settles only the key\'s merchant\'s payments, in the key\'s mode', async () => {
    const test = await setup()
    const theirs = await payment(test, 'default', 'live', 5_000)
    const otherKey: AgentKey = { keyId: 'key_accra', merchantId: 'other', mode: 'live' }
    const result = await test.intake.accept(otherKey, message([encodeDeliver({ sender: 'MobileMoney', text: credit(theirs.code, 5_000) })], { agentId: 'accra' }))
    expect(result.outcome).toBe('credit')
    expect((await test.ledger.payments.getById(theirs.id))?.status).toBe('PENDING')
    expect(await test.rows.get(sql`SELECT merchant_id, mode, status FROM credits`)).toEqual({ merchant_id: 'other', mode: 'live', status: 'unmatched' })
    // An agent id is bound to the first key's merchant: another merchant cannot speak as it.
    await expect(test.intake.accept(live, message([encodeDeliver({ sender: 'MobileMoney', text: 'hello' })], { agentId: 'accra' }))).rejects.toThrow(/belongs to another merchant/)
  })

  it('settles a message the agent released with parts missing as incomplete, and keeps an undecodable PDU raw', async () => {
    const test = await setup()
    const p = await payment(test, 'default', 'live', 2_000)
    const parts = encodeMultipart({ sender: 'MobileMoney', text: `${credit(p.code, 2_000)} ${'x'.repeat(200)}`, ref: 3 })
    const result = await test.intake.accept(live, message([parts[0] as string], { complete: false }))
    expect(result).toMatchObject({ duplicate: false, outcome: 'credit' })
    expect(await test.rows.value(sql`SELECT risk_flags FROM credits`)).toContain('incomplete_sms')
    expect(await test.rows.value(sql`SELECT COUNT(*) FROM sms_part_groups WHERE message_id IS NULL`)).toBe(0)

    const raw = await test.intake.accept(live, message(['07912'], { seq: 2, complete: false }))
    expect(raw).toEqual({ duplicate: false, smsId: null, outcome: null })
    expect(await test.intake.accept(live, message(['07912'], { seq: 2, complete: false }))).toMatchObject({ duplicate: true })
    expect(await test.rows.value(sql`SELECT COUNT(*) FROM sms_pdus WHERE status = 'undecodable'`)).toBe(1)
  })

  it('refuses a virtual modem\'s messages under a live key', async () => {
    const test = await setup()
    await expect(test.intake.accept(live, message([encodeDeliver({ sender: 'MobileMoney', text: 'x' })], { modem: modem({ virtual: true }) }))).rejects.toThrow(/modem.virtual/)
    expect(await test.rows.value(sql`SELECT COUNT(*) FROM sms_messages`)).toBe(0)
  })

  it('settles a stored agent message left unprocessed (a crash before settling) for its agent\'s merchant, on any node', async () => {
    const test = await setup()
    const p = await payment(test, 'other', 'live', 7_000)
    const otherKey: AgentKey = { keyId: 'key_accra', merchantId: 'other', mode: 'live' }
    await test.intake.heartbeat(otherKey, 'accra', { version: 't', backlog: 0, oldestPendingAt: null }, [modem()])
    // Stored as accept stores it, but the process died before settling.
    const ref = agentModemRef(otherKey, message([], { agentId: 'accra' }))
    await test.ledger.smsInbox.recordPdu(ref, toPduRecord(encodeDeliver({ sender: 'MobileMoney', text: credit(p.code, 7_000) }), null, null), rules)
    // Every node's retry pass takes it: an agent's modem belongs to no node (unlike a local one, here `mtn-local`).
    const pending = await test.ledger.smsInbox.unprocessed(['mtn-local'])
    expect(pending.map((m) => m.modemId)).toEqual(['accra/mtn-1'])
    expect(await test.ingest.processPending(pending)).toBe(1)
    expect((await test.ledger.payments.getById(p.id))?.status).toBe('SUCCESS')
  })

  it('hands test SMS only to the agent of the caller\'s merchant and mode', async () => {
    const test = await setup()
    const testKey: AgentKey = { keyId: 'key_laptop', merchantId: 'default', mode: 'test' }
    await test.intake.heartbeat(testKey, 'laptop', { version: 't', backlog: 0, oldestPendingAt: null }, [modem({ virtual: true })])
    await test.ledger.agents.queueTestSms('laptop', { network: 'mtn', sender: 'MobileMoney', text: 'hi' })
    expect(await test.intake.claimTestSms({ ...testKey, merchantId: 'other' }, 'laptop')).toEqual([])
    expect(await test.intake.claimTestSms(live, 'laptop')).toEqual([])
    expect((await test.intake.claimTestSms(testKey, 'laptop')).map((s) => s.text)).toEqual(['hi'])
  })
})
