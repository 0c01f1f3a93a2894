import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { ModemRef } from '../../modem/inbox-port.js'
import { assembleText } from '../../modem/pdu/assemble.js'
import { encodeDeliver, encodeMultipart } from '../../modem/pdu/encode.js'
import { toPduRecord } from '../../modem/pdu-record.js'
import { tempDir } from '../../test/helpers/temp-dir.js'
import { openTestLedger } from '../../test/helpers/ledger.js'
import { openAgentStore, type AgentStore } from './store.js'

const mtn: ModemRef = { id: 'mtn-1', key: 'imsi:620010000000001', network: 'mtn', mode: 'live' }
const telecel: ModemRef = { id: 'telecel-1', key: 'imsi:620020000000001', network: 'telecel', mode: 'live' }
const rules = { assemble: assembleText, partTimeoutMs: 60_000 }

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { while (cleanups.length > 0) await cleanups.pop()?.() })

async function setup (): Promise<{ store: AgentStore, path: string, clock: { t: number }, reopen: () => Promise<AgentStore> }> {
  const dir = tempDir('harpoon-agent-store-')
  cleanups.push(dir.cleanup)
  const path = join(dir.path, 'agent.db')
  const clock = { t: 1_000_000 }
  const open = async (): Promise<AgentStore> => {
    const store = await openAgentStore(path, { now: () => clock.t })
    cleanups.push(async () => { await store.close() })
    return store
  }
  return { store: await open(), path, clock, reopen: open }
}

const pdu = (text: string, sender = 'MobileMoney'): string => encodeDeliver({ sender, text, sentAt: '2026-03-01T12:00:00+00:00' })

describe('the agent store', () => {
  it('queues each complete message in the transaction that stored it, per modem in order, and only once', async () => {
    const { store } = await setup()
    const port = store.inboxPort(rules)
    const a = pdu('first')
    expect((await port.recordPdu(mtn, toPduRecord(a, 'SM', 1))).completed).not.toBeNull()
    await port.recordPdu(telecel, toPduRecord(pdu('on telecel'), 'SM', 1))
    const parts = encodeMultipart({ sender: 'MobileMoney', text: 'x'.repeat(250), ref: 7 })
    // Parts out of order; the first alone completes nothing and queues nothing.
    await port.recordPdu(mtn, toPduRecord(parts[1] as string, 'SM', 3))
    expect(await store.backlog()).toMatchObject({ pending: 2 })
    await port.recordPdu(mtn, toPduRecord(parts[0] as string, 'SM', 2))
    // A re-read after a crash between commit and delete: recognised, not queued again.
    expect(await port.recordPdu(mtn, toPduRecord(a, 'SM', 1))).toEqual({ isNew: false, completed: null })

    expect(await store.modemsWithBacklog()).toEqual(['mtn-1', 'telecel-1'])
    const first = await store.next('mtn-1')
    expect(first).toMatchObject({ modemId: 'mtn-1', modemKey: mtn.key, network: 'mtn', pdus: [a], complete: true, storedAt: 1_000_000 })
    // Nothing moves until the central acknowledged: the same item again.
    expect((await store.next('mtn-1'))?.seq).toBe(first?.seq)
    await store.forwarded(first?.seq as number, 41)
    const second = await store.next('mtn-1')
    expect(second).toMatchObject({ pdus: [parts[0], parts[1]], complete: true })
    await store.forwarded(second?.seq as number, 42)
    expect(await store.next('mtn-1')).toBeNull()
    expect(await store.backlog()).toMatchObject({ pending: 1, forwarded: 2, byModem: [{ modemId: 'telecel-1', pending: 1 }] })
  })

  it('queues an undecodable PDU raw, and a multipart message released with parts missing as incomplete', async () => {
    const { store, clock } = await setup()
    const port = store.inboxPort(rules)
    await port.recordPdu(mtn, toPduRecord('0791233', 'SM', 1))
    const parts = encodeMultipart({ sender: 'MobileMoney', text: 'y'.repeat(300), ref: 9 })
    await port.recordPdu(mtn, toPduRecord(parts[0] as string, 'SM', 2))
    clock.t += 61_000
    expect(await port.releaseExpired(clock.t)).toHaveLength(1)
    const raw = await store.next('mtn-1')
    expect(raw).toMatchObject({ pdus: ['0791233'], complete: false, modemKey: mtn.key })
    await store.forwarded(raw?.seq as number, null)
    expect(await store.next('mtn-1')).toMatchObject({ pdus: [parts[0]], complete: false })
  })

  it('keeps a skipped item out of the queue, replays every item held in its order, and purges acknowledged ones with their rows', async () => {
    const { store, clock, path, reopen } = await setup()
    const port = store.inboxPort(rules)
    for (let i = 0; i < 3; i++) await port.recordPdu(mtn, toPduRecord(pdu(`message ${i}`), 'SM', i))
    const parts = encodeMultipart({ sender: 'MobileMoney', text: 'z'.repeat(200), ref: 3 })
    for (const p of parts) await port.recordPdu(mtn, toPduRecord(p, 'SM', 9))
    // A copy of a part arriving after its message was assembled: kept with its group.
    await port.recordPdu(mtn, toPduRecord(parts[0] as string, 'SM', 10))
    const seqs: number[] = []
    for (let item = await store.next('mtn-1'); item !== null; item = await store.next('mtn-1')) {
      seqs.push(item.seq)
      if (seqs.length === 2) await store.refused(item.seq, 'the central refuses it: pdus[0] too long')
      else await store.forwarded(item.seq, seqs.length)
    }
    expect(seqs).toHaveLength(4)
    expect(await store.backlog()).toMatchObject({ pending: 0, skipped: 1, forwarded: 3, lastForwardedAt: clock.t })

    expect(await store.replay()).toBe(4)
    const again: number[] = []
    for (let item = await store.next('mtn-1'); item !== null; item = await store.next('mtn-1')) {
      again.push(item.seq)
      if (again.length === 2) expect(await store.refused(item.seq, 'skipped again')).toBe(true)
      else await store.forwarded(item.seq, null)
    }
    expect(again).toEqual(seqs)
    expect(await store.refused(seqs[0] as number, 'not pending')).toBe(false)

    clock.t += 10_000
    expect(await store.purge(clock.t)).toBe(3)
    await store.close()
    const reopened = await reopen()
    expect(await reopened.backlog()).toMatchObject({ pending: 0, skipped: 1, forwarded: 0 })
    // Only the refused message and its PDU are left; the late copy of a part went with its group.
    const left = await countRows(path)
    expect(left).toEqual({ messages: 1, pdus: 1, groups: 0, outbox: 1 })
  })

  it('refuses a ledger file given as its store, and keeps its file owner-only', async () => {
    const dir = tempDir('harpoon-agent-store-')
    cleanups.push(dir.cleanup)
    const { close, database } = await openTestLedger({ dir: dir.path })
    await close()
    await expect(openAgentStore(database.path)).rejects.toThrow(/is not an agent store/)
    const path = join(dir.path, 'agent.db')
    writeFileSync(path, '')
    const store = await openAgentStore(path)
    cleanups.push(async () => { await store.close() })
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })
})

async function countRows (path: string): Promise<Record<string, number>> {
  const { default: Database } = await import('better-sqlite3')
  const db = new Database(path, { readonly: true })
  try {
    const count = (table: string): number => db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number
    return { messages: count('sms_messages'), pdus: count('sms_pdus'), groups: count('sms_part_groups'), outbox: count('outbox') }
  } finally {
    db.close()
  }
}
