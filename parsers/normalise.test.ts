import { describe, expect, it } from 'vitest'
import { isMaskedPhone, normaliseCurrency, normaliseKenyaPhone, normaliseName, normaliseTime } from './normalise.js'

describe('normaliseKenyaPhone', () => {
  it.each([
    ['0722000041', '0722000041'], ['0110000041', '0110000041'], ['254722000041', '0722000041'], ['+254722000041', '0722000041'],
    ['00254722000041', '0722000041'], ['+254 722 000 041', '0722000041'], ['0722-000-041', '0722000041']
  ])('%s → %s', (raw, display) => {
    expect(normaliseKenyaPhone(raw)).toBe(display)
  })

  it.each([
    ['0722***000'], ['0140***619'], ['0722XXXXXX'], ['2547****9422'], ['2547....9422'], ['+254722***000'], ['0722•••000']
  ])('keeps the masked %s exactly as printed', (raw) => {
    expect(normaliseKenyaPhone(` ${raw} `)).toBe(raw)
    expect(isMaskedPhone(raw)).toBe(true)
  })

  it.each([
    ['07221889563'], ['072200004'], ['0222000041'], ['233244123456'], ['0244123456x'], ['0***'], ['***000'], ['0722***'.repeat(3)], ['']
  ])('refuses %j', (raw) => {
    expect(normaliseKenyaPhone(raw)).toBeNull()
  })

  it('a full number is not "masked"', () => {
    expect(isMaskedPhone('0722000041')).toBe(false)
  })
})

describe('normaliseTime', () => {
  it('reads M-Pesa\'s clock in Kenyan time', () => {
    expect(normaliseTime('31/5/26 at 8:06 PM', 180)).toBe('2026-05-31T17:06:00Z')
    expect(normaliseTime('13/1/25 saa 5:39 PM', 180)).toBe('2025-01-13T14:39:00Z')
    expect(normaliseTime('27/08/2026 08:00', 180)).toBe('2026-08-27T05:00:00Z')
    expect(normaliseTime('1/1/26 at 12:00 AM', 180)).toBe('2025-12-31T21:00:00Z')
    expect(normaliseTime('1/1/26 at 3:25 P.M.', 180)).toBe('2026-01-01T12:25:00Z')
  })

  it('keeps Ghana\'s forms in UTC', () => {
    expect(normaliseTime('2026-07-11 23:09:24')).toBe('2026-07-11T23:09:24Z')
    expect(normaliseTime('01/05/2026 10:15')).toBe('2026-05-01T10:15:00Z')
  })

  it.each([['31/2/26 at 1:00 PM'], ['3/6/26 at 0:30 AM'], ['3/6/26 at 13:00 PM'], ['3/13/26 at 1:00 PM'], ['3/6/26']])('refuses %j', (raw) => {
    expect(normaliseTime(raw, 180)).toBeNull()
  })
})

describe('names and currency', () => {
  it('Kenya keeps a name as printed, Ghana folds its spaces', () => {
    expect(normaliseName(' MERCY  MUTUA ', 'as_printed')).toBe('MERCY  MUTUA')
    expect(normaliseName('MORRIS M.', 'as_printed')).toBe('MORRIS M')
    expect(normaliseName('JOSEPH\nKAMAU', 'as_printed')).toBe('JOSEPH KAMAU')
    expect(normaliseName(' MERCY  MUTUA ')).toBe('MERCY MUTUA')
  })

  it('Ksh, KSH, Kshs and KES are KES', () => {
    for (const raw of ['Ksh', 'KSH', 'Kshs', 'KES', 'kes']) expect(normaliseCurrency(raw)).toBe('KES')
  })
})
