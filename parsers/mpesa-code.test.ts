import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseSms } from './index.js'
import { checkMpesaCodeDate, decodeMpesaCodeDate } from './mpesa-code.js'

interface Fixture { id: string, network: string, sender: string, text: string }
const KENYA = (JSON.parse(readFileSync(new URL('../fixtures/sms-kenya.json', import.meta.url), 'utf8')) as Fixture[])
  .filter((f) => f.network === 'mpesa' && f.sender === 'MPESA')

/** Each M-Pesa fixture with its code and the SMS's own time, as the parser reads them. */
const DATED = KENYA.map((f) => ({ id: f.id, ...parseSms({ network: 'mpesa', sender: f.sender, text: f.text }) }))
  .filter((p) => p.transaction_id !== null && p.time !== null)

describe('the date in an M-Pesa code', () => {
  it('decodes the dated samples of the research note (C.2) and a Daraja receipt', () => {
    const samples: Array<[string, string]> = [
      ['LGR7OWQX0R', '2017-07-27'], ['MAO0DO9BYO', '2018-01-24'], ['NE10MHGI7K', '2019-05-01'], ['NFU51H9FM1', '2019-06-30'],
      // Daraja STK callback: MpesaReceiptNumber OEB44R5U3U, TransactionDate 20200511201419.
      ['OEB44R5U3U', '2020-05-11'],
      ['SLR41L5AO8', '2024-12-27'], ['THJ51ALLE3', '2025-08-19'], ['UBR7L7TLNN', '2026-02-27'], ['UEVLA5Z1RU', '2026-05-31'], ['UF1LA62OX6', '2026-06-01']
    ]
    for (const [code, date] of samples) {
      const d = decodeMpesaCodeDate(code)
      expect(d && `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`, code).toBe(date)
    }
  })

  it('agrees with the SMS\'s own date on every dated 10-character fixture code but the one the note calls edited', () => {
    const tenChar = DATED.filter((p) => p.transaction_id?.length === 10)
    expect(tenChar.length).toBeGreaterThanOrEqual(14)
    const verdicts = Object.fromEntries(tenChar.map((p) => [p.id, checkMpesaCodeDate(p.transaction_id as string, p.time as string, 0).status]))
    // ke-mpesa-k26: REK3YEJE2F says 20 May 2023, the text 20/5/22 (research note C.2: the fixture's date looks edited).
    expect(verdicts).toEqual(Object.fromEntries(tenChar.map((p) => [p.id, p.id === 'ke-mpesa-k26' ? 'disagrees' : 'agrees'])))
    expect(checkMpesaCodeDate('REK3YEJE2F', DATED.find((p) => p.id === 'ke-mpesa-k26')?.time as string)).toMatchObject({ code_date: '2023-05-20', days_apart: 365 })
  })

  it('compares Kenyan calendar days: 2:26 AM in Nairobi is the previous day in UTC but the same day for the code', () => {
    const k26 = DATED.find((p) => p.id === 'ke-mpesa-k26')
    expect(k26?.time).toBe('2022-05-19T23:26:00Z')
    expect(checkMpesaCodeDate('QEK3YEJE2F', '2022-05-19T23:26:00Z', 0)).toMatchObject({ status: 'agrees', code_date: '2022-05-20', days_apart: 0 })
    // 31 May 2026, 23:59 in Nairobi.
    expect(checkMpesaCodeDate('UEVLA5Z1RU', '2026-05-31T20:59:00Z', 0).status).toBe('agrees')
    expect(checkMpesaCodeDate('UEVLA5Z1RU', '2026-05-31T21:01:00Z', 0)).toMatchObject({ status: 'disagrees', days_apart: 1 })
  })

  it('takes a tolerance, for a modem that read the SMS late', () => {
    const receivedLate = new Date('2026-06-03T08:00:00Z')
    expect(checkMpesaCodeDate('UEVLA5Z1RU', receivedLate)).toMatchObject({ status: 'disagrees', days_apart: 3 })
    expect(checkMpesaCodeDate('UEVLA5Z1RU', receivedLate, 3).status).toBe('agrees')
    expect(checkMpesaCodeDate('UEVLA5Z1RU', receivedLate.getTime(), 3).status).toBe('agrees')
  })

  it('Airtel receipts\' "MPESA ID" codes follow the same scheme', () => {
    expect(checkMpesaCodeDate('UECRI3YR0M', '2026-05-12T12:26:00Z', 0).status).toBe('agrees')
    expect(checkMpesaCodeDate('UHRS04XXX7', '2026-08-27T05:00:00Z', 0).status).toBe('agrees')
  })

  it('9-character codes carry no date; letters naming no day are not a date', () => {
    expect(checkMpesaCodeDate('DT85TH896', '2013-07-31T15:43:00Z').status).toBe('not_dated')
    expect(checkMpesaCodeDate('not a code', '2026-01-01T00:00:00Z').status).toBe('not_dated')
    for (const code of ['UZ1LA5Z1RU', 'UAWXLA5Z1R', 'UBU1234567', 'UDV1234567']) {
      expect(checkMpesaCodeDate(code, '2026-02-27T09:00:00Z').status, code).toBe('not_a_date')
    }
    expect(decodeMpesaCodeDate('UEVLA5Z1R')).toBeNull()
  })

  it('reads the year letter in the 26-year cycle nearest the compared date', () => {
    expect(decodeMpesaCodeDate('AEV1234567')?.year).toBe(2006)
    expect(checkMpesaCodeDate('AEV1234567', '2032-05-31T09:00:00Z').code_date).toBe('2032-05-31')
  })

  it('refuses a date it cannot read', () => {
    expect(() => checkMpesaCodeDate('UEVLA5Z1RU', 'yesterday')).toThrow(RangeError)
  })
})
