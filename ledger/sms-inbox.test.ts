import { afterEach, describe, expect, it } from 'vitest'
import type { ModemRef } from '../modem/inbox-port.js'
import { assembleText } from '../modem/pdu/assemble.js'
import { encodeDeliver, encodeMultipart } from '../modem/pdu/encode.js'
import { toPduRecord } from '../modem/pdu-record.js'
import { openTestLedger, type TestLedger } from '../test/helpers/ledger.js'
import { tempDir } from '../test/helpers/temp-dir.js'
import { smsInboxPort, storableText } from './sms-inbox.js'
import { sql } from './testing.js'

const modem: ModemRef = { id: 'mtn-1', key: 'imsi:620010000000001', network: 'mtn', mode: 'live' }
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { while (cleanups.length > 0) await cleanups.pop()?.() })

const rules = { assemble: assembleText }

function setup (start = 1_000_000) {
  const dir = tempDir('harpoon-inbox-')
  cleanups.push(dir.cleanup)
  const clock = { t: start, now () { return this.t } }
  const open = async (): Promise<TestLedger & { inbox: ReturnType<typeof smsInboxPort> }> => {
    const test = await openTestLedger({ dir: dir.path, now: () => clock.now() })
    cleanups.push(test.close)
    return { ...test, inbox: smsInboxPort(test.ledger, rules) }
  }
  return { clock, open }
}

const credit = 'Payment received for GHS 100.00 from KOFI MENSAH 0244123456 Current Balance: GHS 1,100.00 . Available Balance: GHS 1,100.00. Reference: HKMVR2. Transaction ID: 45678901234. Fee charged: GHS0.00.'

describe('the SMS inbox', () => {
  it('stores a single message once; a re-read after a crash is recognised', async () => {
    const { open } = setup()
    const { inbox, rows } = await open()
    const hex = encodeDeliver({ sender: 'MobileMoney', text: 'hello', sentAt: '2025-03-01T12:00:00+00:00' })
    const first = await inbox.recordPdu(modem, toPduRecord(hex, 'SM', 1))
    expect(first.isNew).toBe(true)
    expect(first.completed).toMatchObject({ sender: 'MobileMoney', text: 'hello', modemId: 'mtn-1', network: 'mtn', complete: true, parts: [hex], sentAt: { iso: '2025-03-01T12:00:00+00:00', utcMs: Date.parse('2025-03-01T12:00:00Z') } })
    // Same TPDU read from another slot, in lower case with a stray quote: still the same message.
    expect(await inbox.recordPdu(modem, toPduRecord(`${hex.toLowerCase()}"`, 'SM', 4))).toEqual({ isNew: false, completed: null })
    expect(await rows.value(sql`SELECT COUNT(*) FROM sms_messages`)).toBe(1)
  })

  it('assembles out-of-order and duplicated parts exactly, per sender even with the same ref', async () => {
    const { open } = setup()
    const { inbox, rows } = await open()
    const long = `${credit} ${'🚀'.repeat(40)} end`
    const a = encodeMultipart({ sender: 'MobileMoney', text: long, ref: 9 })
    const b = encodeMultipart({ sender: '+233244999999', text: 'x'.repeat(200), ref: 9 })
    expect(a.length).toBe(5)
    const got = []
    for (const [i, p] of [a[4]!, b[1]!, a[0]!, a[4]!, a[2]!, b[0]!, a[1]!, a[3]!].entries()) got.push(await inbox.recordPdu(modem, toPduRecord(p, 'SM', i)))
    expect(got[3]).toEqual({ isNew: false, completed: null })
    expect(got[5]!.completed?.text).toBe('x'.repeat(200))
    expect(got[6]!.completed).toBeNull()
    expect(got[7]!.completed).toMatchObject({ text: long, sender: 'MobileMoney', complete: true, parts: a })
    expect(await rows.value(sql`SELECT COUNT(*) FROM sms_messages`)).toBe(2)
  })

  it('stores a listing\'s PDUs in one batch, in order, as one by one; a resent part of a message assembled in it stays a duplicate', async () => {
    const { open } = setup()
    const { inbox, rows } = await open()
    const a = encodeMultipart({ sender: 'MobileMoney', text: `${credit} first`, ref: 7 })
    const b = encodeMultipart({ sender: 'MobileMoney', text: `${credit} second`, ref: 8 })
    const single = encodeDeliver({ sender: 'MobileMoney', text: 'one part' })
    const got = await inbox.recordPdus(modem, [a[1]!, b[0]!, single, a[0]!, b[1]!, a[0]!].map((p, i) => toPduRecord(p, 'SM', i)))
    expect(got.map((o) => [o.isNew, o.completed?.text ?? null])).toEqual([
      [true, null], [true, null], [true, 'one part'], [true, `${credit} first`], [true, `${credit} second`], [false, null]
    ])
    // Read again after a crash between the commit and the deletes: every PDU is a copy, nothing new.
    const again = await inbox.recordPdus(modem, [a[0]!, a[1]!, single].map((p, i) => toPduRecord(p, 'SM', i)))
    expect(again).toEqual([{ isNew: false, completed: null }, { isNew: false, completed: null }, { isNew: false, completed: null }])
    expect(await rows.value(sql`SELECT COUNT(*) FROM sms_messages`)).toBe(3)
    expect(await rows.value(sql`SELECT COUNT(*) FROM sms_pdus`)).toBe(5)
  })

  it('keeps a resent part with a new hash as a duplicate part, not a second message', async () => {
    const { open } = setup()
    const { inbox } = await open()
    const parts = encodeMultipart({ sender: 'T-CASH', text: 'y'.repeat(300), ref: 77, refBits: 16, sentAt: '2025-03-01T12:00:00+00:00' })
    const again = encodeMultipart({ sender: 'T-CASH', text: 'y'.repeat(300), ref: 77, refBits: 16, sentAt: '2025-03-01T12:00:05+00:00' })
    await inbox.recordPdu(modem, toPduRecord(parts[0]!, 'SM', 0))
    expect(await inbox.recordPdu(modem, toPduRecord(again[0]!, 'SM', 1))).toEqual({ isNew: true, completed: null })
    expect((await inbox.recordPdu(modem, toPduRecord(parts[1]!, 'SM', 2))).completed?.text).toBe('y'.repeat(300))
    expect(await inbox.recordPdu(modem, toPduRecord(again[1]!, 'SM', 3))).toEqual({ isNew: true, completed: null })
    expect(await inbox.releaseExpired(Number.MAX_SAFE_INTEGER)).toEqual([])
  })

  it('releases a group with a missing part after the timeout, counted from the newest part, across a restart', async () => {
    const { open, clock } = setup()
    const first = await open()
    const parts = encodeMultipart({ sender: 'MobileMoney', text: 'z'.repeat(400), ref: 3 })
    await first.inbox.recordPdu(modem, toPduRecord(parts[0]!, 'SM', 0))
    clock.t += 9 * 60_000
    await first.inbox.recordPdu(modem, toPduRecord(parts[2]!, 'SM', 1))
    await first.close()
    const second = await open()
    clock.t += 9 * 60_000
    expect(await second.inbox.releaseExpired(clock.now())).toEqual([])
    clock.t += 2 * 60_000
    const released = await second.inbox.releaseExpired(clock.now())
    expect(released).toHaveLength(1)
    expect(released[0]).toMatchObject({ complete: false, parts: [parts[0], parts[2]] })
    expect(await second.rows.get(sql`SELECT parts, parts_expected, complete FROM sms_messages`)).toEqual({ parts: 2, parts_expected: 3, complete: 0 })
  })

  it('stores text every engine can hold: NUL and unpaired surrogate halves become U+FFFD, pairs stay', async () => {
    expect(storableText('a\u0000b\uD83D\uDE80c\uD83Dd\uDE80')).toBe('a\uFFFDb🚀c\uFFFDd\uFFFD')
    const { open } = setup()
    const { ledger } = await open()
    const sms = await ledger.smsInbox.storeText({ mode: 'test', modemId: 'api', network: 'mtn', sender: 'Mobile\u0000Money', text: 'pay\u0000 \uDE80 🚀' }, 1)
    expect(sms).toMatchObject({ sender: 'Mobile\uFFFDMoney', text: 'pay\uFFFD \uFFFD 🚀', complete: true })
  })

  it('stores undecodable PDUs raw and flagged; re-hands unprocessed messages until ingest marks them', async () => {
    const { open } = setup()
    const { inbox, rows, ledger } = await open()
    const bad = toPduRecord('079144973770939906660C91449788515605903021514363009030215143040000', 'SM', 2)
    expect(await inbox.recordPdu(modem, bad)).toEqual({ isNew: true, completed: null })
    expect((await inbox.recordPdu(modem, bad)).isNew).toBe(false)
    expect(await rows.get(sql`SELECT status, error_code FROM sms_pdus`)).toEqual({ status: 'undecodable', error_code: 'not_deliver' })
    const ok = await inbox.recordPdu(modem, toPduRecord(encodeDeliver({ sender: 'MobileMoney', text: credit }), 'SM', 3))
    expect((await inbox.unprocessed()).map((m) => m.id)).toEqual([ok.completed!.id])
    expect(await ledger.smsInbox.markProcessed(ok.completed!.id, 'credit')).toBe(true)
    expect(await ledger.smsInbox.markProcessed(ok.completed!.id, 'other')).toBe(false)
    expect(await inbox.unprocessed()).toEqual([])
  })
})
