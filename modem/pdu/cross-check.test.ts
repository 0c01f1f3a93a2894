import fc from 'fast-check'
import { parse as nodePduParse } from 'node-pdu'
import { describe, expect, it } from 'vitest'
import vectors from '../../fixtures/pdu-vectors.json' with { type: 'json' }
import { decodeDeliver } from './decode.js'
import { encodeDeliver } from './encode.js'

/**
 * node-pdu as an independent oracle (never in production: it has open decoding bugs in the GSM
 * alphabet's corners, see the research notes). Where it is known to be right, the two decoders must
 * agree; our own expectations in pdu-vectors.json stay the authority.
 */
function oracleText (hex: string): string {
  const parsed = nodePduParse(hex)
  if (!('data' in parsed)) throw new Error('node-pdu read a status report')
  return parsed.data.getText()
}

describe('our PDU decoder against node-pdu', () => {
  const textVectors = (vectors as Array<{ id: string, hex: string, expect: { encoding: string, text?: string } }>)
    .filter((v) => v.expect.encoding !== '8bit')
  it.each(textVectors.map((v) => [v.id, v.hex] as const))('agrees on vector %s', (_id, hex) => {
    const ours = decodeDeliver(hex)
    expect(ours.ok).toBe(true)
    if (ours.ok) expect(ours.sms.text).toBe(oracleText(hex))
  })

  it('agrees on generated 7-bit and UCS-2 messages (letters, digits, punctuation, CJK, emoji)', () => {
    const plain = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;!?-+()/*#%&\'"'), minLength: 1, maxLength: 150 })
    const wide = fc.string({ unit: fc.constantFrom(...'GHS 收款確認 ₵😀🚀ßé', 'a', '1'), minLength: 1, maxLength: 60 })
    fc.assert(fc.property(fc.oneof(plain, wide), fc.constantFrom('MobileMoney', 'T-CASH', '+233244123456'), (text, sender) => {
      const hex = encodeDeliver({ sender, text })
      const ours = decodeDeliver(hex)
      if (!ours.ok) return false
      return ours.sms.text === text && oracleText(hex) === text
    }), { numRuns: 500 })
  })
})
