import { describe, expect, it } from 'vitest'
import { Redactor, REDACTED } from './legs.js'
import { SimClock } from './sim/clock.js'
import { mapMtnStatus, readMtnTransaction } from './transaction.js'
import { checkPaymentBody, isUuidV4, normaliseMtnAmount, safeMtnNote } from './wire.js'

describe('MTN wire rules', () => {
  it('normalises amounts as MTN echoes them', () => {
    expect(['5.0', '5', '05.50', '150.00', '0.10', '1000'].map(normaliseMtnAmount)).toEqual(['5', '5', '5.5', '150', '0.1', '1000'])
  })

  it('accepts only version-4 UUIDs as references', () => {
    expect(isUuidV4('3f1c1c52-7c3e-4d64-9a53-1e7c0b1f9d2a')).toBe(true)
    expect(isUuidV4('3F1C1C52-7C3E-4D64-9A53-1E7C0B1F9D2A')).toBe(true)
    expect(isUuidV4('3f1c1c52-7c3e-1d64-9a53-1e7c0b1f9d2a')).toBe(false)
    expect(isUuidV4('3f1c1c52-7c3e-4d64-7a53-1e7c0b1f9d2a')).toBe(false)
    expect(isUuidV4('3f1c1c527c3e4d649a531e7c0b1f9d2a')).toBe(false)
  })

  it('makes merchant text safe for payerMessage/payeeNote', () => {
    expect(safeMtnNote("Ama's  <Kitchen> & Bar")).toBe('Amas Kitchen Bar')
    expect(safeMtnNote('x'.repeat(200))).toHaveLength(160)
    expect(checkPaymentBody({ amount: '1', currency: 'EUR', externalId: '', payer: { partyIdType: 'MSISDN', partyId: '46733123400' }, payerMessage: safeMtnNote("it's & fine"), payeeNote: '' }, 'payer', { strict: true }).problems).toEqual([])
  })

  it('names every problem of a payment body at once', () => {
    const { problems } = checkPaymentBody({ amount: 5, currency: 'eur', payee: { partyIdType: 'MSISDN', partyId: '0244' }, payerMessage: 3 }, 'payee', { strict: true })
    expect(problems.map((p) => p.field)).toEqual(['amount', 'currency', 'payee.partyId', 'payerMessage'])
  })
})

describe('reading MTN status bodies', () => {
  it('maps status words: only SUCCESSFUL succeeds, failure words fail, the unknown stays PENDING', () => {
    expect(['SUCCESSFUL', 'FAILED', 'REJECTED', 'TIMEOUT', 'PENDING', 'ONGOING', 'CREATED', 'successful', 'WHATEVER'].map(mapMtnStatus))
      .toEqual(['SUCCESSFUL', 'FAILED', 'FAILED', 'FAILED', 'PENDING', 'PENDING', 'PENDING', 'SUCCESSFUL', 'PENDING'])
  })

  it('reads a reason given as a string or as {code, message}, and numbers as text', () => {
    expect(readMtnTransaction({ status: 'FAILED', reason: 'APPROVAL_REJECTED', amount: 5, payer: { partyIdType: 'MSISDN', partyId: 46733123451 } }, 'payer'))
      .toMatchObject({ status: 'FAILED', reason: 'APPROVAL_REJECTED', reasonMessage: null, amount: '5', payer: { partyIdType: 'MSISDN', partyId: '46733123451' } })
    expect(readMtnTransaction({ status: 'FAILED', reason: { code: 'NOT_ENOUGH_FUNDS', message: 'Balance too low' }, payee: { partyIdType: 'msisdn', partyId: '1' } }, 'payee'))
      .toMatchObject({ reason: 'NOT_ENOUGH_FUNDS', reasonMessage: 'Balance too low', payee: { partyIdType: 'MSISDN', partyId: '1' } })
    expect(readMtnTransaction({ status: 'REJECTED' }, 'payer')).toMatchObject({ status: 'FAILED', mtnStatus: 'REJECTED', reason: 'REJECTED' })
  })

  it('returns null for a body that is not a status', () => {
    for (const body of [null, 'SUCCESSFUL', [], {}, { status: '' }, { status: 1 }]) expect(readMtnTransaction(body, 'payer')).toBeNull()
  })
})

describe('Redactor', () => {
  it('masks credential headers, secret JSON keys at any depth, and known values anywhere', () => {
    const r = new Redactor()
    r.add('sub-key-0123456789')
    r.addToken('eyJ0eXAi.token.part')
    r.add('short')
    expect(r.headers({ Authorization: 'Bearer x', 'OCP-APIM-SUBSCRIPTION-KEY': 'y', 'X-Note': 'sub-key-0123456789' })).toEqual({ Authorization: REDACTED, 'OCP-APIM-SUBSCRIPTION-KEY': REDACTED, 'X-Note': REDACTED })
    expect(JSON.parse(r.body('{"a":{"apiKey":"k","list":[{"access_token":"t"}]},"b":"short"}') ?? '')).toEqual({ a: { apiKey: REDACTED, list: [{ access_token: REDACTED }] }, b: 'short' })
    expect(r.body('not json eyJ0eXAi.token.part')).toBe(`not json ${REDACTED}`)
    expect(r.text('https://x/?k=sub-key-0123456789')).toBe(`https://x/?k=${REDACTED}`)
  })
})

describe('SimClock (manual)', () => {
  it('runs timers in time order when advanced, never inside the caller, and can cancel them', async () => {
    const clock = new SimClock({ manual: true, start: 1_000 })
    const ran: string[] = []
    clock.at(1_500, () => ran.push('b'))
    clock.at(1_200, () => { ran.push('a'); clock.at(1_200, () => ran.push('a2')) })
    const cancel = clock.at(1_300, () => ran.push('cancelled'))
    cancel()
    clock.advance(100)
    expect(ran).toEqual([])
    clock.advance(400)
    expect(ran).toEqual(['a', 'a2', 'b'])
    clock.at(clock.now(), () => ran.push('now'))
    expect(ran).toHaveLength(3)
    await new Promise((resolve) => setImmediate(resolve))
    expect(ran).toEqual(['a', 'a2', 'b', 'now'])
    expect(clock.now()).toBe(1_500)
    expect(() => { clock.advance(-1) }).toThrow(RangeError)
  })
})
