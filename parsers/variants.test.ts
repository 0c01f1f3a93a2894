import { describe, expect, it } from 'vitest'
import { DEFAULT_TRUSTED_SENDERS, parseSms, type Network, type ParsedSms } from './index.js'

/**
 * Wordings the fixtures do not hold but real inboxes plausibly do: spacing, case, line breaks,
 * currency spellings, clause order, missing optional clauses. Written from the formats, not from
 * samples, so that they check that the patterns generalise.
 */
const parse = (network: Network, text: string): ParsedSms => parseSms({ network, sender: DEFAULT_TRUSTED_SENDERS[network][0] ?? '', text })

/** Each case is a credit with at least the fields given. */
function creditCases (network: Network, cases: Array<[string, string, Partial<ParsedSms>]>): void {
  it.each(cases)('%s', (_name, text, want) => {
    expect(parse(network, text)).toMatchObject({ ...want, kind: 'credit' })
  })
}

describe('MTN credit variants', () => {
  const cases: Array<[string, string, Partial<ParsedSms>]> = [
    ['no Current Balance clause', 'Payment received for GHS 250.00 from KOFI MENSAH. Reference: HKMVR2. Transaction ID: 51234567890. TRANSACTION FEE: 0.00',
      { amount: '250.00', payer_name: 'KOFI MENSAH', reference: 'HKMVR2', transaction_id: '51234567890', balance: null }],
    ['thousands separators and no space after GHS', 'Payment received for GHS1,234.5 from AMA  Current Balance: GHS 2,000.00 . Reference: x. Transaction ID: 51234567891.',
      { amount: '1234.50', balance: '2000.00', payer_name: 'AMA', transaction_id: '51234567891' }],
    ['all lower case and CRLF line breaks', 'payment received for ghs 20 from yaw boateng\r\ncurrent balance: ghs 30.00\r\nreference: order 12\r\ntransaction id: 51234567892\r\n',
      { amount: '20.00', payer_name: 'yaw boateng', reference: 'order 12', transaction_id: '51234567892', balance: '30.00' }],
    ['payer phone after the name', 'Payment received for GHS 150.00 from KWAME MENSAH 233241234567. Current Balance: GHS 1,250.00. Reference: Order 1001. Transaction ID: 51234567893.',
      { payer_name: 'KWAME MENSAH', payer_phone: '0241234567', reference: 'Order 1001' }],
    ['greeting first, amount after currency', "Y'ello. Payment received for 45.00GHS from ESI. Transaction ID: 51234567894. Reference: 9",
      { amount: '45.00', payer_name: 'ESI', transaction_id: '51234567894', reference: '9' }],
    ['cross-network note from TELECEL with a note containing "from"', 'Payment received for GHS 10.00 from ESI ADJEI Current Balance: GHS 11.00 . Reference: ESI ADJEI ,233201234567,gift from mum from TELECEL. Transaction ID: 51234567895.',
      { payer_phone: '0201234567', reference: 'gift from mum', payer_name: 'ESI ADJEI' }],
    ['"You have received" wording', 'You have received GHS 75.00 from JOHN DOE (0244123456). Reference: K7M3F6. Transaction ID: 51234567896. Your new balance: GHS 80.00',
      { amount: '75.00', payer_name: 'JOHN DOE', payer_phone: '0244123456', reference: 'K7M3F6', transaction_id: '51234567896', balance: '80.00' }],
    ['note with a full stop inside', 'Payment received for GHS 20.00 from ABA Current Balance: GHS 25.00 . Reference: order no. HKMVR2. Transaction ID: 51234567810. TRANSACTION FEE: 0.00',
      { reference: 'order no. HKMVR2', transaction_id: '51234567810' }],
    ['note that mentions a balance', 'Payment received for GHS 20.00 from ABA Current Balance: GHS 25.00 . Reference: balance payment HKMVR2. Transaction ID: 51234567811.',
      { reference: 'balance payment HKMVR2' }],
    ['payer shown only by number', 'Payment received for GHS 20.00 from 233244123456. Current Balance: GHS 25.00 . Reference: 1. Transaction ID: 51234567812.',
      { payer_phone: '0244123456', payer_name: null }],
    ['"received a payment of"', 'You have received a payment of GHS 12.00 from ADWOA. Reference: HKMVR2. Transaction ID: 51234567813.',
      { amount: '12.00', payer_name: 'ADWOA', reference: 'HKMVR2' }],
    ['promotion footer and emoji', 'Payment received for GHS 5.00 from ABA Current Balance: GHS 5.00 . Reference: 1. Transaction ID: 51234567897. TRANSACTION FEE: 0.00 Download the MoMo App 🎉 https://example.invalid',
      { amount: '5.00', transaction_id: '51234567897', fee: '0.00' }]
  ]
  creditCases('mtn', cases)

  it('takes the last transaction id, so a payer cannot plant one in the note', () => {
    const got = parse('mtn', 'Payment received for GHS 1.00 from EVE Current Balance: GHS 9.00 . Reference: x. Transaction ID: 11111111111. Transaction ID: 51234567898. TRANSACTION FEE: 0.00')
    expect(got.transaction_id).toBe('51234567898')
  })
})

describe('Telecel credit variants', () => {
  const cases: Array<[string, string, Partial<ParsedSms>]> = [
    ['no note, minutes only, separators', '0000013264775053 Confirmed. You have received GHS1,600.00 from MAXPREM ENTERPRISE on 2026-06-05 at 15:08. Your Telecel Cash balance is GHS13,264.53. Reference: GIPOutward 7806617849580',
      { amount: '1600.00', payer_name: 'MAXPREM ENTERPRISE', time: '2026-06-05T15:08:00Z', balance: '13264.53', reference: 'GIPOutward 7806617849580' }],
    ['space before currency, local phone', '0000014535180495 Confirmed. You have received GHS 30.00 from 0201234567 - AMA SERWAA on 2026-05-01 at 10:15:22. Your Telecel Cash balance is GHS 300.00.',
      { amount: '30.00', payer_phone: '0201234567', payer_name: 'AMA SERWAA', reference: null }],
    ['reference on its own line', '0000014535180496 Confirmed. You have received GHS20.00 from 233501234567 - KOFI on 2026-05-01 at 10:15:22. Your Telecel Cash balance is GHS20.00.\nReference: 1.\nStay alert. Never share your PIN or OTP with anyone.',
      { reference: '1', transaction_id: '0000014535180496' }],
    ['phone and name without the hyphen', '0000014535180498 Confirmed. You have received GHS9.00 from 0241234567 KWAME on 2026-05-01 at 10:15:22. Your Telecel Cash balance is GHS9.00.',
      { payer_phone: '0241234567', payer_name: 'KWAME' }],
    ['phone without a name', '0000014535180499 Confirmed. You have received GHS9.00 from 233241234567 on 2026-05-01 at 10:15:22. Your Telecel Cash balance is GHS9.00.',
      { payer_phone: '0241234567', payer_name: null, time: '2026-05-01T10:15:22Z' }],
    ['cross-network from AirtelTigo', '0000014535180497 confirmed. you have received ghs12.00 from AIRTELTIGO MONEY with transaction reference: Transfer From: 233271234567-YAA ASANTEWAA on 2026-05-01 at 10:15:22. Your Telecel Cash balance is GHS12.00. Ref: rent',
      { payer_phone: '0271234567', payer_name: 'YAA ASANTEWAA', reference: 'rent' }]
  ]
  creditCases('telecel', cases)

  it('a receipt without its leading id is not a credit', () => {
    expect(parse('telecel', 'Confirmed. You have received GHS15.00 from 233500000008 - YAW on 2026-09-19 at 21:37:35.').kind).toBe('unparsed')
  })
})

describe('AT Money variants (best knowledge)', () => {
  it('modern-looking receipt with a brand prefix', () => {
    const got = parse('at', 'AT Money: You have received GHS 20.00 from 0271234567 KOFI BOATENG. Trans ID: ATX7781234. Date: 01/05/2026 10:15. New balance: GHS 45.00')
    expect(got).toMatchObject({ kind: 'credit', amount: '20.00', payer_phone: '0271234567', payer_name: 'KOFI BOATENG', transaction_id: 'ATX7781234', time: '2026-05-01T10:15:00Z', balance: '45.00' })
  })
  it('name first, phone in brackets', () => {
    const got = parse('at', 'You have received GHS 8.50 from ABENA (0261234567). Transaction ID: 99887766. Your new balance is GHS 10.00.')
    expect(got).toMatchObject({ kind: 'credit', amount: '8.50', payer_name: 'ABENA', payer_phone: '0261234567', transaction_id: '99887766' })
  })
})

describe('never a credit', () => {
  const cases: Array<[Network, string, string]> = [
    ['mtn', 'reversal', 'Payment received for GHS 50.00 from MTN REVERSALS Current Balance: GHS 50.00 . Reference: 1. Transaction ID: 51234567899. Reversal of transaction 123.'],
    ['mtn', 'interest', 'You have received GHS 0.35 from MTN MOBILE MONEY as interest on your wallet. Transaction ID: 51234567800.'],
    ['mtn', 'cashback', "Y'ello. You have received GHS 2.00 cashback. Transaction ID: 51234567801."],
    ['mtn', 'failed payment', 'Your payment of GHS 5.00 to MTN AIRTIME has failed at 2026-07-15 15:47:43. Financial Transaction Id: 85436498944.'],
    ['mtn', 'refund', 'Hello, SHOP has successfully refunded GHS 3.00 to your mobile money account at 2026-07-11 23:09:24. Financial Transaction Id: 85211519729.'],
    ['mtn', 'outgoing transfer', 'You have sent GHS 20.00 to KOJO. Transaction ID: 51234567802. Current Balance: GHS 3.00.'],
    ['mtn', 'no transaction id', 'Payment received for GHS 100.00 from AAA Current Balance: GHS 179.29 . Reference: 1.'],
    ['mtn', 'zero amount', 'Payment received for GHS 0.00 from AAA Current Balance: GHS 179.29 . Reference: 1. Transaction ID: 51234567803.'],
    ['mtn', 'foreign currency', 'Payment received for USD 100.00 from AAA. Transaction ID: 51234567804.'],
    ['mtn', 'balance notice', 'Your current balance is GHS 120.00. Available balance GHS 120.00.'],
    ['telecel', 'interest', 'Dear customer, you have received GHS0.04 from Telecel Cash as interest earned on your mobile money wallet. Your new balance is GHS6.01.'],
    ['telecel', 'reversal', '0000019472100349 Confirmed. You have received GHS150.00 from 233541234567 - AMA on 2026-01-14 at 09:05:44 as a reversal. Your Telecel Cash balance is GHS205.58.'],
    ['telecel', 'id only in the payer note', 'Confirmed. You have received GHS15.00 from 233500000008 - YAW on 2026-09-19 at 21:37:35. Ref: Transaction ID 12345678'],
    ['mtn', 'not successful', 'Payment received for GHS 50.00 from KOJO was not successful. Transaction ID: 51234567814.'],
    ['mtn', 'pending', 'Payment received for GHS 50.00 from KOJO is pending approval. Transaction ID: 51234567815.'],
    ['telecel', 'sent', '0000019472630582 Confirmed. GHS25.00 sent to 0241234567 - KWAME on 2026-01-15 at 14:22:08. Your Telecel Cash balance is GHS180.45.'],
    ['at', 'sent', 'Trans. ID: 313821006061 You have sent 20GHS to 233261234567. Your available balance is 250.67GHS.']
  ]
  it.each(cases)('%s: %s', (network, _name, text) => {
    expect(parse(network, text).kind).not.toBe('credit')
  })

  it('a note saying "refund" does not stop a real payment', () => {
    const got = parse('mtn', 'Payment received for GHS 10.00 from ESI Current Balance: GHS 11.00 . Reference: refund HKMVR2. Transaction ID: 51234567805. TRANSACTION FEE: 0.00')
    expect(got).toMatchObject({ kind: 'credit', reference: 'refund HKMVR2' })
  })
})

describe('trust', () => {
  const text = 'Payment received for GHS 100.00 from AAA Current Balance: GHS 179.29 . Reference: 1. Transaction ID: 88139850923.'
  it('matches the sender exactly after trim and case-fold', () => {
    expect(parseSms({ network: 'mtn', sender: '  mobilemoney ', text }).kind).toBe('credit')
    expect(parseSms({ network: 'mtn', sender: 'MobileMoney2', text }).kind).toBe('untrusted')
    expect(parseSms({ network: 'mtn', sender: 'MTN', text }).kind).toBe('untrusted')
    expect(parseSms({ network: 'telecel', sender: 'MobileMoney', text }).kind).toBe('untrusted')
  })
  it('untrusted yields no field at all', () => {
    const got = parseSms({ network: 'mtn', sender: '+233244000000', text })
    expect(Object.entries(got).filter(([k, v]) => k !== 'network' && k !== 'kind' && v !== null)).toEqual([])
  })
  it('config sender lists replace the defaults', () => {
    const options = { trustedSenders: { mtn: ['MoMo'] } }
    expect(parseSms({ network: 'mtn', sender: 'MobileMoney', text }, options).kind).toBe('untrusted')
    expect(parseSms({ network: 'mtn', sender: 'momo', text }, options).kind).toBe('credit')
  })
})
