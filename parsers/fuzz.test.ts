import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_TEXT_LENGTH, NETWORKS, SMS_KINDS, parseSms, DEFAULT_TRUSTED_SENDERS, type Network, type ParsedSms } from './index.js'

const FIXTURES = JSON.parse(readFileSync(new URL('../fixtures/sms-ghana.json', import.meta.url), 'utf8')) as Array<{ text: string }>
const SAMPLES = FIXTURES.map((f) => f.text)

/** The invariants that keep money safe, whatever the text. */
function checkInvariants (r: ParsedSms): void {
  expect(SMS_KINDS).toContain(r.kind)
  if (r.kind === 'credit') {
    expect(r.amount).toMatch(/^\d+\.\d{2}$/)
    expect(r.amount).not.toBe('0.00')
    expect(r.transaction_id).not.toBeNull()
  }
  for (const money of [r.amount, r.balance, r.fee]) if (money !== null) expect(money).toMatch(/^\d+\.\d{2}$/)
  if (r.payer_phone !== null) expect(r.payer_phone).toMatch(/^0\d{9}$/)
  if (r.kind === 'untrusted') expect([r.amount, r.transaction_id, r.reference, r.payer_phone]).toEqual([null, null, null, null])
}

const network = fc.constantFrom<Network>(...NETWORKS)
const trusted = (n: Network): string => DEFAULT_TRUSTED_SENDERS[n][0] ?? ''

/** A fixture with random edits: cut, doubled, characters inserted or deleted, case flipped. */
const mutated = fc.tuple(fc.constantFrom(...SAMPLES), fc.array(fc.tuple(fc.nat(), fc.nat(20), fc.string({ unit: 'binary', maxLength: 12 })), { maxLength: 6 }), fc.boolean(), fc.boolean())
  .map(([text, edits, doubled, upper]) => {
    let t = doubled ? `${text} ${text}` : text
    for (const [at, del, insert] of edits) {
      const i = at % (t.length + 1)
      t = t.slice(0, i) + insert + t.slice(i + del)
    }
    return upper ? t.toUpperCase() : t
  })

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  mutated,
  fc.constantFrom(...SAMPLES).chain((t) => fc.nat(t.length).map((n) => t.slice(0, n)))
)

describe('hostile and mutated texts', () => {
  it('never throw, and never yield a credit without amount and transaction id', () => {
    fc.assert(fc.property(network, hostile, (n, text) => {
      checkInvariants(parseSms({ network: n, sender: trusted(n), text }))
    }), { numRuns: 2000 })
  })

  it('stay quick on long pathological lines just under the length cap', () => {
    const unit = ['GHS 1,', '1.', '0000000000 ', 'Payment received for GHS ', 'from ', 'balance is GHS', 'Reference: ,233', '\u00a0', 'Transaction ID: 1']
    for (const piece of unit) {
      const text = piece.repeat(Math.ceil((MAX_TEXT_LENGTH - 10) / piece.length)).slice(0, MAX_TEXT_LENGTH - 10)
      for (const n of NETWORKS) checkInvariants(parseSms({ network: n, sender: trusted(n), text }))
    }
    // Fixture prefixes followed by filler run every pattern to the end of a long text.
    for (const sample of SAMPLES) {
      const text = (sample + ' ' + '9'.repeat(MAX_TEXT_LENGTH)).slice(0, MAX_TEXT_LENGTH)
      for (const n of NETWORKS) checkInvariants(parseSms({ network: n, sender: trusted(n), text }))
    }
  })

  it('treat 10 KB lines as unparsed without reading them', () => {
    const text = 'Payment received for GHS 100.00 from A. Transaction ID: 1234567. '.repeat(160)
    expect(text.length).toBeGreaterThan(10_000)
    expect(parseSms({ network: 'mtn', sender: 'MobileMoney', text }).kind).toBe('unparsed')
  })

  it('survive control characters, emoji and odd senders', () => {
    fc.assert(fc.property(network, fc.string({ unit: 'binary', maxLength: 40 }), mutated, (n, sender, text) => {
      const r = parseSms({ network: n, sender, text })
      checkInvariants(r)
      if (r.kind !== 'untrusted') expect(DEFAULT_TRUSTED_SENDERS[n].map((s) => s.toLowerCase())).toContain(sender.trim().toLowerCase())
    }), { numRuns: 500 })
  })
})
