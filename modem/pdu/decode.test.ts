import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { assembleText } from './assemble.js'
import { decodeDeliver } from './decode.js'
import { septetsToText } from './gsm7.js'
import { encodeDeliver, encodeMultipart } from './encode.js'
import type { SmsDeliver } from './types.js'

interface Vector {
  id: string
  hex: string
  expect: {
    smsc?: string
    sender: string
    time: string
    encoding: string
    concat?: { ref: number, total: number, seq: number }
    text?: string
    data_hex?: string
  }
}

const vectors = JSON.parse(readFileSync(new URL('../../fixtures/pdu-vectors.json', import.meta.url), 'utf8')) as Vector[]

function ok (hex: string): SmsDeliver {
  const r = decodeDeliver(hex)
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  return r.sms
}

describe('decodeDeliver on the shared vectors', () => {
  it('has every vector', () => { expect(vectors.length).toBeGreaterThanOrEqual(15) })
  for (const v of vectors) {
    it(`${v.id}`, () => {
      const sms = ok(v.hex)
      if (v.expect.smsc !== undefined) expect(sms.smsc).toBe(v.expect.smsc)
      expect(sms.sender).toBe(v.expect.sender)
      expect(sms.sentAt?.local).toBe(v.expect.time)
      expect(sms.encoding).toBe(v.expect.encoding)
      if (v.expect.concat !== undefined) expect(sms.concat).toMatchObject(v.expect.concat)
      else expect(sms.concat).toBeNull()
      if (v.expect.text !== undefined) expect(sms.text).toBe(v.expect.text)
      if (v.expect.data_hex !== undefined) expect(sms.payloadHex).toBe(v.expect.data_hex)
    })
  }

  it('converts SCTS to UTC with the quarter-hour offset (+13:00, +05:30, -08:00)', () => {
    expect(ok(vectors.find((v) => v.id === 'V5')!.hex).sentAt).toEqual({ local: '2015-11-05T01:36:26+13:00', utcMs: Date.parse('2015-11-04T12:36:26Z'), offsetMinutes: 780 })
    expect(ok(vectors.find((v) => v.id === 'V11')!.hex).sentAt?.utcMs).toBe(Date.parse('2007-05-03T01:34:40Z'))
    const west = ok(encodeDeliver({ sender: '+15551234567', text: 'x', sentAt: '2020-02-29T23:59:59-08:00' }))
    expect(west.sentAt).toEqual({ local: '2020-02-29T23:59:59-08:00', utcMs: Date.parse('2020-03-01T07:59:59Z'), offsetMinutes: -480 })
  })

  it('reads the 16-bit reference and keeps the IE list', () => {
    const v7 = ok(vectors.find((v) => v.id === 'V7')!.hex)
    expect(v7.concat).toEqual({ refBits: 16, ref: 0x23, total: 2, seq: 2 })
    const v9 = ok(vectors.find((v) => v.id === 'V9')!.hex)
    expect(v9.headers.map((h) => h.iei)).toEqual([0x05, 0x00])
    expect(v9.text).toBeNull()
  })
})

describe('lenient framing', () => {
  const t1 = vectors.find((v) => v.id === 'T1')!.hex
  it('accepts lower case, whitespace and a trailing quote', () => {
    expect(ok(`  ${t1.toLowerCase()}"\r`).text).toBe('BEIIJA 44')
  })
  it('reads a PDU without SMSC prefix when the header length says so', () => {
    const tpdu = t1.slice(16)
    const r = decodeDeliver(tpdu, { tpduLength: tpdu.length / 2 })
    expect(r.ok && r.sms.text).toBe('BEIIJA 44')
    expect(r.ok && r.sms.smsc).toBeNull()
  })
  it('returns typed errors, never throws', () => {
    expect(decodeDeliver('')).toMatchObject({ ok: false, error: { code: 'bad_hex' } })
    expect(decodeDeliver('07913366003000F00')).toMatchObject({ ok: false, error: { code: 'bad_hex' } })
    expect(decodeDeliver(t1.slice(0, 40))).toMatchObject({ ok: false, error: { code: 'truncated' } })
    // SMS-STATUS-REPORT from the FrontlineSMS capture: stored raw, not decoded as a message.
    const report = decodeDeliver('079144973770939906660C91449788515605903021514363009030215143040000')
    expect(report).toMatchObject({ ok: false, error: { code: 'not_deliver' } })
    expect(!report.ok && report.error.tpduHex).toMatch(/^0666/)
  })
  it('survives arbitrary input', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const r = decodeDeliver(Buffer.from(bytes).toString('hex'))
      expect(typeof r.ok).toBe('boolean')
    }), { numRuns: 2000 })
  })
})

describe('GSM alphabet', () => {
  it('maps 0x5F to § and every extension character', () => {
    const text = '§ ^{}\\[~]|€\f @£$¥ èé'
    const sms = ok(encodeDeliver({ sender: 'MobileMoney', text }))
    expect(sms.encoding).toBe('gsm7')
    expect(sms.text).toBe(text)
    expect(sms.sender).toBe('MobileMoney')
    expect(sms.senderKind).toBe('alphanumeric')
  })
  it('does not read padding as a trailing @ (7 characters in 7 octets)', () => {
    expect(ok(encodeDeliver({ sender: '+233244000000', text: 'Testing' })).text).toBe('Testing')
  })
  it('shows the base character for an unassigned escape', () => {
    // 0x1B 0x41 is unassigned: TS 23.038 says display 'A'; a lone trailing escape shows nothing.
    expect(septetsToText([0x1B, 0x41, 0x1B, 0x65, 0x1B])).toBe('A€')
  })
  it('keeps a leading U+FEFF of UCS-2 text (it is a character there, not a byte-order mark)', () => {
    // A test SMS of "\uFEFF…" came back without it, so the API waited 15 s for a message that never matched.
    for (const text of ['\uFEFF', '\uFEFFhello', 'a\uFEFF']) expect(ok(encodeDeliver({ sender: 'MobileMoney', text })).text).toBe(text)
  })
  it('round-trips random text through the encoder (gsm7 or ucs2)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 70, unit: 'grapheme' }), fc.constantFrom('+233244123456', 'MobileMoney', 'T-CASH', '1234'), (text, sender) => {
      const sms = ok(encodeDeliver({ sender, text }))
      expect(sms.text).toBe(text)
      expect(sms.sender).toBe(sender)
    }), { numRuns: 500 })
  })
})

describe('multipart', () => {
  it('joins UCS-2 bytes so a surrogate pair split across parts survives', () => {
    const text = `${'a'.repeat(66)}🚀 done ${'é'.repeat(70)}`
    const parts = encodeMultipart({ sender: 'T-CASH', text, ref: 7, encoding: 'ucs2' })
    expect(parts).toHaveLength(3)
    const decoded = parts.map((p) => ok(p))
    // The rocket's high surrogate ends part 1, its low surrogate starts part 2.
    expect(decoded[0]!.text!.endsWith('\uFFFD') || decoded[0]!.text!.endsWith('\uD83D')).toBe(true)
    const shuffled = [decoded[2]!, decoded[0]!, decoded[1]!]
    expect(assembleText(shuffled.map((d) => ({ seq: d.concat!.seq, encoding: d.encoding, text: d.text, payloadHex: d.payloadHex })))).toBe(text)
  })
  it('splits 7-bit text at 153 septets without cutting an escape', () => {
    const text = `${'x'.repeat(152)}€${'y'.repeat(200)}`
    const parts = encodeMultipart({ sender: 'MobileMoney', text, ref: 300, refBits: 16 }).map((p) => ok(p))
    expect(parts.map((p) => p.concat?.refBits)).toEqual([16, 16, 16])
    expect(assembleText(parts.map((d) => ({ seq: d.concat!.seq, encoding: d.encoding, text: d.text, payloadHex: d.payloadHex })))).toBe(text)
  })
})
