import { Value } from '@sinclair/typebox/value'
import { describe, expect, it } from 'vitest'
import { isHarpoonError } from '../core/errors.js'
import { BUILT_IN_FORMATS, FormatEntrySchema, NETWORKS, checkFormats, compileFormats, createSmsParser, parseSms } from './index.js'

const good = {
  id: 'mtn.credit.new_wording',
  kind: 'credit',
  pattern: String.raw`^MoMo in: (?<amount>[\d,.]+) GHS from (?<payer_name>[^.]+)\. Id (?<transaction_id>\d+)`
}

describe('FormatEntrySchema and compileFormats', () => {
  it('every built-in entry passes the same checks as an operator entry', () => {
    for (const n of NETWORKS) {
      for (const entry of BUILT_IN_FORMATS[n]) expect(Value.Check(FormatEntrySchema, entry)).toBe(true)
      expect(checkFormats(n, BUILT_IN_FORMATS[n], 'built-in').problems).toEqual([])
    }
  })

  it('accepts a good operator entry', () => {
    expect(Value.Check(FormatEntrySchema, good)).toBe(true)
    expect(compileFormats('mtn', [good])).toHaveLength(1)
  })

  const bad: Array<[string, unknown, RegExp]> = [
    ['unknown key', [{ ...good, colour: 'red' }], /networks\.mtn\.formats\[0\]/],
    ['bad kind', [{ ...good, kind: 'unparsed' }], /kind/],
    ['bad regex', [{ ...good, pattern: '(?<amount>[' }], /\(mtn\.credit\.new_wording\)\.pattern is not a valid regular expression/],
    ['unknown group', [{ ...good, pattern: `${good.pattern}(?<amt>x)?` }], /unknown group name "amt"/],
    ['credit without transaction id', [{ ...good, pattern: '(?<amount>\\d+)' }], /captures no "transaction_id" group/],
    ['credit without amount', [{ ...good, pattern: '(?<transaction_id>\\d+)' }], /captures no "amount" group/],
    ['field pattern without its group', [{ ...good, fields: { balance: 'balance (\\d+)' } }], /fields\.balance must contain the named group/],
    ['wrong network', [{ ...good, network: 'telecel' }], /says telecel but the entry is listed under mtn/],
    ['bad flags', [{ ...good, flags: 'g' }], /flags/],
    ['duplicate id', [good, good], /\[1\] \(mtn\.credit\.new_wording\)\.id is used by another entry/]
  ]
  it.each(bad)('rejects %s with a message naming the entry', (_name, entries, message) => {
    try {
      compileFormats('mtn', entries)
      expect.unreachable()
    } catch (err) {
      expect(isHarpoonError(err) && err.code).toBe('invalid_format')
      expect((err as Error).message).toMatch(message)
    }
  })

  it('a credit may take its transaction id from a field pattern', () => {
    const entry = { ...good, pattern: String.raw`^MoMo in: (?<amount>[\d,.]+) GHS`, fields: { transaction_id: String.raw`Id (?<transaction_id>\d+)` } }
    expect(checkFormats('mtn', [entry], 'x').problems).toEqual([])
  })
})

describe('operator formats in the engine', () => {
  const text = 'MoMo in: 1,250.5 GHS from Kofi Mensah. Id 99887766'
  it('run before the built-ins', () => {
    expect(parseSms({ network: 'mtn', sender: 'MobileMoney', text }).kind).toBe('unparsed')
    const got = parseSms({ network: 'mtn', sender: 'MobileMoney', text }, { formats: { mtn: [good as never] } })
    expect(got).toMatchObject({ kind: 'credit', amount: '1250.50', currency: 'GHS', payer_name: 'Kofi Mensah', transaction_id: '99887766' })
  })
  it('replace the built-in with the same id', () => {
    const receipt = 'Payment received for GHS 100.00 from AAA Current Balance: GHS 179.29 . Reference: 1. Transaction ID: 88139850923.'
    const parser = createSmsParser({ formats: { mtn: [{ id: 'mtn.credit.received_for', kind: 'other', pattern: '^Payment received' }] } })
    expect(parser.parse({ network: 'mtn', sender: 'MobileMoney', text: receipt }).kind).toBe('other')
  })
  it('cannot make a refund into a credit', () => {
    const entry = { id: 'x', kind: 'credit' as const, pattern: String.raw`refunded (?<amount>\d+\.\d\d).*Id: (?<transaction_id>\d+)` }
    const got = parseSms({ network: 'mtn', sender: 'MobileMoney', text: 'SHOP has refunded 3.00 GHS. Id: 123456' }, { formats: { mtn: [entry] } })
    expect(got.kind).toBe('other')
  })
  it('a bad entry stops the parser from being built', () => {
    expect(() => createSmsParser({ formats: { at: [{ id: 'a', kind: 'debit', pattern: '(' }] } })).toThrow(/networks\.at\.formats\[0\] \(a\)\.pattern/)
  })
})
