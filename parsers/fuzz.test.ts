import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isMaskedPhone } from './normalise.js'
import { MAX_TEXT_LENGTH, NETWORKS, SMS_KINDS, cleanText, parseSms, DEFAULT_TRUSTED_SENDERS, type Network, type ParsedSms } from './index.js'

const load = (file: string): Array<{ text: string }> => JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8')) as Array<{ text: string }>
const SAMPLES = [...load('sms-ghana.json'), ...load('sms-kenya.json')].map((f) => f.text)

const KENYAN: ReadonlySet<Network> = new Set(['mpesa', 'airtel_ke'])

/** The invariants that keep money safe, whatever the text. */
function checkInvariants (r: ParsedSms, raw: string): void {
  const text = cleanText(raw)
  expect(SMS_KINDS).toContain(r.kind)
  if (r.kind === 'credit') {
    expect(r.amount).toMatch(/^\d+\.\d{2}$/)
    expect(r.amount).not.toBe('0.00')
    expect(r.transaction_id).not.toBeNull()
    expect(r.currency).toBe(KENYAN.has(r.network) ? 'KES' : 'GHS')
  }
  for (const money of [r.amount, r.balance, r.fee]) if (money !== null) expect(money).toMatch(/^\d+\.\d{2}$/)
  if (r.payer_phone !== null) {
    // Kenya: a full number in display form, or a masked one exactly as it stands in the text.
    if (KENYAN.has(r.network)) expect(/^0[17]\d{8}$/.test(r.payer_phone) || (isMaskedPhone(r.payer_phone) && text.includes(r.payer_phone))).toBe(true)
    else expect(r.payer_phone).toMatch(/^0\d{9}$/)
  }
  // A Kenyan credit's id is the telco's leading code, never one written further in.
  if (r.kind === 'credit' && KENYAN.has(r.network)) expect(text.trimStart().slice(0, 40).toUpperCase()).toContain(r.transaction_id)
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
      checkInvariants(parseSms({ network: n, sender: trusted(n), text }), text)
    }), { numRuns: 3000 })
  })

  it('stay quick on long pathological lines just under the length cap', () => {
    const unit = ['GHS 1,', '1.', '0000000000 ', 'Payment received for GHS ', 'from ', 'balance is GHS', 'Reference: ,233', '\u00a0', 'Transaction ID: 1',
      'UEVLA5Z1RU Confirmed. ', 'You have received Ksh', 'Ksh Ksh1,', '0722***', ' on 1/6/26 at 10:15 AM', 'MERCY  ', 'for account ', 'Baki yako ni ', 'Fuliza ', 'in US via ']
    for (const piece of unit) {
      const text = piece.repeat(Math.ceil((MAX_TEXT_LENGTH - 10) / piece.length)).slice(0, MAX_TEXT_LENGTH - 10)
      for (const n of NETWORKS) checkInvariants(parseSms({ network: n, sender: trusted(n), text }), text)
    }
    // Fixture prefixes followed by filler run every pattern to the end of a long text.
    for (const sample of SAMPLES) {
      const text = (sample + ' ' + '9'.repeat(MAX_TEXT_LENGTH)).slice(0, MAX_TEXT_LENGTH)
      for (const n of NETWORKS) checkInvariants(parseSms({ network: n, sender: trusted(n), text }), text)
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
      checkInvariants(r, text)
      if (r.kind !== 'untrusted') expect(DEFAULT_TRUSTED_SENDERS[n].map((s) => s.toLowerCase())).toContain(sender.trim().toLowerCase())
    }), { numRuns: 500 })
  })
})
