import { describe, expect, it } from 'vitest'
import { IPAY_STATUS, PAYMENT_STATUS_FOR, isFinal, moneyKindFor, outcomeFromCode, outcomeFromSearchText } from './outcomes.js'

describe('iPay status codes → outcomes → payment statuses', () => {
  const money = { mc: '1500', txncd: 'UEVLA5Z1RU', msisdn_id: 'JANE WANJIKU', msisdn_idnum: '254712345678', channel: 'MPESA' }

  it.each([
    [IPAY_STATUS.paid, 'paid', 'SUCCESS'],
    [IPAY_STATUS.less, 'less', 'PARTIAL'],
    [IPAY_STATUS.more, 'more', 'OVERPAID'],
    [IPAY_STATUS.used, 'used', 'MANUAL_REVIEW'],
    [IPAY_STATUS.pending, 'pending', null],
    [IPAY_STATUS.failed, 'unverified', null],
    ['zz9unknown', 'unverified', null]
  ] as const)('%s → %s → %s', (code, kind, status) => {
    const outcome = outcomeFromCode(code, money)
    expect(outcome.kind).toBe(kind)
    expect(PAYMENT_STATUS_FOR[outcome.kind]).toBe(status)
    expect(isFinal(outcome)).toBe(status !== null)
  })

  it('reads the money fields: mc as the amount, txncd as the receipt, the payer in display form', () => {
    expect(outcomeFromCode(IPAY_STATUS.less, money)).toEqual({
      kind: 'less',
      text: 'The amount paid is less than the amount required',
      payment: { amountMinor: 150000, receipt: 'UEVLA5Z1RU', payerName: 'JANE WANJIKU', payerPhone: '0712345678', channel: 'MPESA' }
    })
    const bare = outcomeFromCode(IPAY_STATUS.paid, { mc: 'abc', msisdn_idnum: '2547XXXXXXXX' })
    expect(bare.kind === 'paid' && bare.payment).toEqual({ amountMinor: null, receipt: null, payerName: null, payerPhone: null, channel: null })
  })

  it.each([
    ['no payment record found', 'pending'],
    ['transaction was timed out', 'timed_out'],
    ['The request was canceled by the user', 'cancelled'],
    ['Incorrect pin has been entered', 'wrong_pin'],
    ['The User Wallet balance is insufficient for the transaction', 'insufficient_funds'],
    ['This code has been used already', 'used'],
    ['Something iPay never said before', 'unverified']
  ] as const)('search text %j → %s', (text, kind) => {
    const outcome = outcomeFromSearchText(text)
    expect(outcome.kind).toBe(kind)
    expect(outcome.text).toBe(text)
  })

  it('every failure leads to FAILED with its own reason; the non-final kinds change nothing', () => {
    expect(['cancelled', 'wrong_pin', 'insufficient_funds', 'timed_out'].map((k) => PAYMENT_STATUS_FOR[k as 'cancelled'])).toEqual(['FAILED', 'FAILED', 'FAILED', 'FAILED'])
    expect([PAYMENT_STATUS_FOR.pending, PAYMENT_STATUS_FOR.unverified]).toEqual([null, null])
  })

  it('judges a searched amount against the amount asked', () => {
    expect([moneyKindFor(15000, 15000), moneyKindFor(7500, 15000), moneyKindFor(25000, 15000)]).toEqual(['paid', 'less', 'more'])
  })
})
