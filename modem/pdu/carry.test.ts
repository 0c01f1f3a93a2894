import { describe, expect, it } from 'vitest'
import { senderProblem, textProblem } from './carry.js'
import { decodeDeliver } from './decode.js'
import { encodeDeliver } from './encode.js'

function roundTrip (sender: string, text = 'x'): { sender: string, text: string } {
  const r = decodeDeliver(encodeDeliver({ sender, text }))
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  return { sender: r.sms.sender, text: r.sms.text ?? '' }
}

describe('what one SMS can carry', () => {
  it('takes every sender it accepts through encode and decode unchanged', () => {
    for (const sender of ['ABCDEFGHIJK', 'T-CASH', 'AT Money', 'MobileMoney', 'Shop€[1]', '+233244123456', '1'.repeat(20)]) {
      expect(senderProblem(sender), sender).toBeNull()
      expect(roundTrip(sender).sender).toBe(sender)
    }
  })

  it('refuses the senders an address field cannot hold, and the encoder refuses them too', () => {
    for (const sender of ['ABCDEFGHIJKL', 'MobileMoney€', '1'.repeat(21), '😀', '\u202e', '\u0000', '\ud800']) {
      expect(senderProblem(sender), JSON.stringify(sender)).not.toBeNull()
      expect(() => encodeDeliver({ sender, text: 'x' })).toThrow(/sender/)
    }
  })

  it('carries any well-formed text, emoji included, and refuses half a surrogate pair and NUL', () => {
    const text = 'Akwaaba 😀 ₵5 ŋ'
    expect(textProblem(text)).toBeNull()
    expect(roundTrip('ABC', text).text).toBe(text)
    expect(textProblem('a \ud83d b')).toMatch(/surrogate/)
    expect(textProblem('a \udc00')).toMatch(/surrogate/)
    expect(textProblem('a \u0000 b')).toMatch(/NUL/)
  })
})
