import { afterEach, describe, expect, it } from 'vitest'
import type { ModemRef } from '../modem/inbox-port.js'
import { assembleText } from '../modem/pdu/assemble.js'
import { encodeMultipart } from '../modem/pdu/encode.js'
import { toPduRecord } from '../modem/pdu-record.js'
import { emptyCounters, type ModemStatus } from '../modem/status.js'
import { openTestLedger, type TestLedger } from '../test/helpers/ledger.js'
import { agentModemId, agentOfModemId, AgentConflictError } from './agents.js'
import { sql } from './testing.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { while (cleanups.length > 0) await cleanups.pop()?.() })

async function ledgerWithMerchants (): Promise<TestLedger> {
  const test = await openTestLedger()
  cleanups.push(test.cleanup)
  await test.ledger.merchants.create({ id: 'default', name: 'Shop' })
  await test.ledger.merchants.create({ id: 'other', name: 'Other' })
  return test
}

function status (id: string, over: Partial<ModemStatus> = {}): ModemStatus {
  return {
    id, port: `/dev/serial/by-id/${id}`, network: 'mtn', msisdn: '0244000001', virtual: false, connected: true, signal_dbm: -71, registered: true,
    sim_ready: true, imei: '860000000000001', imsi: '620010000000001', last_sms_at: null, storage_used: 0, storage_total: 30,
    counters: emptyCounters(), last_error: null, ...over
  }
}

const key = { keyId: 'key_a', merchantId: 'default', mode: 'live' as const }
const report = { version: '0.1.0', backlog: 0, oldestPendingAt: null }

describe('the agent registry', () => {
  it('binds an agent to its key\'s merchant and mode at first contact and refuses the id to anyone else', async () => {
    const { ledger } = await ledgerWithMerchants()
    const first = await ledger.agents.contact('kumasi', key, report)
    expect(first).toMatchObject({ id: 'kumasi', merchantId: 'default', mode: 'live', keyId: 'key_a', backlog: 0 })
    // A rolled key of the same merchant and mode speaks for it too.
    const later = await ledger.agents.contact('kumasi', { ...key, keyId: 'key_b' }, { version: '0.2.0', backlog: 7, oldestPendingAt: 5 })
    expect(later).toMatchObject({ keyId: 'key_b', version: '0.2.0', backlog: 7, oldestPendingAt: 5, firstSeenAt: first.firstSeenAt })
    await expect(ledger.agents.contact('kumasi', { ...key, merchantId: 'other' }, report)).rejects.toBeInstanceOf(AgentConflictError)
    await expect(ledger.agents.contact('kumasi', { ...key, mode: 'test' }, report)).rejects.toThrow(/belongs to another merchant or mode/)
    expect((await ledger.agents.get('kumasi'))?.merchantId).toBe('default')
  })

  it('keeps each agent\'s modems as last reported: a heartbeat replaces the set, a message updates one', async () => {
    const { ledger } = await ledgerWithMerchants()
    await ledger.agents.contact('kumasi', key, report)
    await ledger.agents.contact('accra', { ...key, merchantId: 'other' }, report)
    await ledger.agents.reportModems('kumasi', [status('mtn-1'), status('telecel-1', { network: 'telecel', msisdn: '0204000001' })])
    await ledger.agents.reportModems('accra', [status('mtn-1', { msisdn: '0244000009' })])
    await ledger.agents.reportModems('kumasi', [status('mtn-1', { signal_dbm: -90 })])
    await ledger.agents.reportModem('kumasi', status('mtn-1', { last_sms_at: '2026-05-01T10:00:00Z' }))
    const modems = await ledger.agents.modems()
    expect(modems.map((m) => [m.agent.id, m.modemId, m.agent.merchantId])).toEqual([['accra', 'mtn-1', 'other'], ['kumasi', 'mtn-1', 'default']])
    expect(modems[1]?.status).toMatchObject({ signal_dbm: -71, last_sms_at: '2026-05-01T10:00:00Z' })
    expect(await ledger.agents.merchantOfModem(agentModemId('accra', 'mtn-1'))).toBe('other')
    expect(await ledger.agents.merchantOfModem('mtn-1')).toBeUndefined()
    expect(agentOfModemId('kumasi/mtn-1')).toBe('kumasi')
    expect(agentOfModemId('mtn-1')).toBeNull()
  })

  it('records an accepted message once per (agent, modem identity, PDU hash)', async () => {
    const { ledger } = await ledgerWithMerchants()
    await ledger.agents.contact('kumasi', key, report)
    const message = { agentId: 'kumasi', modemKey: 'imsi:620010000000001', pduHash: 'ab'.repeat(32), modemId: 'mtn-1', agentSeq: 3, messageId: null, storedAt: 17 }
    expect(await ledger.agents.accepted('kumasi', message.modemKey, message.pduHash)).toBeUndefined()
    await ledger.agents.recordAccepted(message)
    expect(await ledger.agents.accepted('kumasi', message.modemKey, message.pduHash)).toEqual(message)
    await expect(ledger.agents.recordAccepted(message)).rejects.toThrow()
  })

  it('hands each test SMS to its agent once, oldest first', async () => {
    const { ledger } = await ledgerWithMerchants()
    await ledger.agents.contact('laptop', { ...key, mode: 'test' }, report)
    expect(await ledger.agents.claimTestSms('laptop')).toEqual([])
    await ledger.agents.queueTestSms('laptop', { network: 'mtn', sender: 'MobileMoney', text: 'one' })
    await ledger.agents.queueTestSms('laptop', { network: 'telecel', sender: 'T-CASH', text: 'two' })
    expect((await ledger.agents.claimTestSms('laptop')).map((t) => t.text)).toEqual(['one', 'two'])
    expect(await ledger.agents.claimTestSms('laptop')).toEqual([])
  })
})

describe('the inbox, for a multipart message an agent released with parts missing', () => {
  it('releases the open group holding a PDU now, flagged incomplete, and finds none once it is released', async () => {
    const { ledger, rows } = await ledgerWithMerchants()
    const modem: ModemRef = { id: 'kumasi/mtn-1', key: 'agent:kumasi:imsi:620010000000001', network: 'mtn', mode: 'live' }
    const rules = { assemble: assembleText }
    const parts = encodeMultipart({ sender: 'MobileMoney', text: 'w'.repeat(300), ref: 4 })
    const held = toPduRecord(parts[0] as string, null, null)
    expect((await ledger.smsInbox.recordPdu(modem, held, rules)).completed).toBeNull()
    const released = await ledger.smsInbox.releaseGroupOf(modem, held.tpduHash, rules)
    expect(released).toMatchObject({ modemId: 'kumasi/mtn-1', complete: false, parts: [parts[0]] })
    expect(await ledger.smsInbox.releaseGroupOf(modem, held.tpduHash, rules)).toBeNull()
    expect(await rows.value(sql`SELECT COUNT(*) FROM sms_part_groups WHERE message_id IS NULL`)).toBe(0)
  })
})
