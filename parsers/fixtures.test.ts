import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { DEFAULT_TRUSTED_SENDERS, isNetwork, parseSms, type ParsedSms } from './index.js'

interface Fixture {
  id: string
  network: string
  sender: string | null
  kind: ParsedSms['kind']
  text: string
  expect: Partial<Record<keyof ParsedSms, string | null>>
}

// The project's own copies (fixtures/), never ../shared: the suite must run from a clean checkout.
const load = (file: string): Fixture[] => JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8')) as Fixture[]
const FILES = { 'sms-ghana.json': load('sms-ghana.json'), 'sms-kenya.json': load('sms-kenya.json') }

/**
 * The contract writes amounts with two decimals ("50.00"); gh-mtn-37's `expect` copies the text's
 * "GHC50.0". It is compared as the contract says: the same amount, in the contract's shape.
 */
function contractAmount (value: string | null | undefined): string | null | undefined {
  return typeof value === 'string' && /^\d+\.\d$/.test(value) ? `${value}0` : value
}

describe.each(Object.entries(FILES))('every fixture of %s parses to exactly its kind and expect', (_file, fixtures) => {
  it.each(fixtures.map((f) => [f.id, f] as const))('%s', (_id, f) => {
    // `ghanapay` is a built-in network of its own (formats/ghanapay.ts), so every fixture has one.
    if (!isNetwork(f.network)) throw new Error(`fixture ${f.id}: unknown network ${f.network}`)
    // sender null means "sender not recorded by the source" (gh-mtn-37): the message is the telco's
    // own wording, so the test delivers it from the network's default trusted sender.
    const sender = f.sender ?? DEFAULT_TRUSTED_SENDERS[f.network][0] ?? ''
    const got = parseSms({ network: f.network, sender, text: f.text })
    expect(got.kind).toBe(f.kind)
    const picked = Object.fromEntries(Object.keys(f.expect).map((k) => [k, got[k as keyof ParsedSms]]))
    const wanted = Object.fromEntries(Object.entries(f.expect).map(([k, v]) => [k, k === 'amount' || k === 'balance' ? contractAmount(v) : v]))
    expect(picked).toEqual(wanted)
    expect(got.network).toBe(f.network)
  })

  it('covers every kind the contract names', () => {
    expect(new Set(fixtures.map((f) => f.kind))).toEqual(new Set(['credit', 'debit', 'other', 'untrusted']))
  })
})

describe('the Kenyan fixtures', () => {
  const kenya = FILES['sms-kenya.json']
  it('are both Kenyan networks', () => {
    expect(new Set(kenya.map((f) => f.network))).toEqual(new Set(['mpesa', 'airtel_ke']))
  })

  it('a Fuliza notice reusing its payment\'s code parses to another kind, so (code, kind) tells them apart', () => {
    const byId = (id: string): Fixture => kenya.find((f) => f.id === id) as Fixture
    const payment = parseSms({ network: 'mpesa', sender: 'MPESA', text: byId('ke-mpesa-k15a').text })
    const fuliza = parseSms({ network: 'mpesa', sender: 'MPESA', text: byId('ke-mpesa-k15b').text })
    expect(payment.transaction_id).toBe(fuliza.transaction_id)
    expect([payment.kind, fuliza.kind]).toEqual(['debit', 'other'])
  })
})
