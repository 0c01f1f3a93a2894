import { describe, expect, it } from 'vitest'
import { internationalPhone, kenyaInternational, normaliseAnyInternational, normaliseGhanaPhone, normaliseKenyaPhone, normalisePhone } from './phone.js'

describe('normaliseGhanaPhone', () => {
  it.each([
    ['0244123456', '0244123456'], ['+233244123456', '0244123456'], ['233244123456', '0244123456'],
    ['00233244123456', '0244123456'], ['024 412-3456', '0244123456']
  ])('%s → %s', (input, display) => { expect(normaliseGhanaPhone(input)).toBe(display) })

  it.each(['', '024412345', '+2330244123456', '+254712345678', 'abc'])('refuses %j', (input) => {
    expect(normaliseGhanaPhone(input)).toBeNull()
  })
})

describe('normaliseKenyaPhone', () => {
  it.each([
    ['0712345678', '0712345678'], ['0110123456', '0110123456'], ['0100123456', '0100123456'],
    ['254712345678', '0712345678'], ['+254712345678', '0712345678'], ['00254712345678', '0712345678'],
    ['+254 712 345 678', '0712345678'], ['(0712) 345-678', '0712345678'], ['254110123456', '0110123456']
  ])('%s → %s', (input, display) => { expect(normaliseKenyaPhone(input)).toBe(display) })

  it.each([
    '', '071234567', '07123456789', '0212345678', '254212345678', '+2540712345678', '+233244123456', '712345678', '07a2345678'
  ])('refuses %j (not a Kenyan mobile number in a known form)', (input) => {
    expect(normaliseKenyaPhone(input)).toBeNull()
  })

  it('gives the 254… form gateways take', () => {
    expect(kenyaInternational('0712345678')).toBe('254712345678')
    expect(kenyaInternational('0110123456')).toBe('254110123456')
  })
})

describe('normalisePhone (per-country numbering)', () => {
  it.each([
    ['UG', '+256772123456', '0772123456'], ['UG', '0772 123 456', '0772123456'],
    ['RW', '250788123456', '0788123456'], ['ZM', '0977123456', '0977123456'],
    ['CM', '+237 671 23 45 67', '+237671234567'], ['CM', '671234567', '+237671234567'],
    ['SZ', '+26876123456', '+26876123456'], ['SZ', '76123456', '+26876123456'],
    ['GH', '00233244123456', '0244123456']
  ])('%s %s → %s', (country, input, display) => { expect(normalisePhone(country, input)).toBe(display) })

  it.each([
    ['UG', '0244123456'], ['UG', '+233772123456'], ['CM', '0671234567'], ['SZ', '+2687612345'], ['RW', '']
  ])('%s refuses %j', (country, input) => { expect(normalisePhone(country, input)).toBeNull() })

  it('gives the international digits MTN takes, from any accepted form', () => {
    expect(internationalPhone('GH', '0244123456')).toBe('233244123456')
    expect(internationalPhone('CM', '+237671234567')).toBe('237671234567')
    expect(internationalPhone('SZ', '76123456')).toBe('26876123456')
    expect(internationalPhone('UG', '0244123456')).toBeNull()
  })

  it('reads a number of no particular country only in international form', () => {
    expect(normaliseAnyInternational('46733123450')).toBe('+46733123450')
    expect(normaliseAnyInternational('+46 733 123 450')).toBe('+46733123450')
    expect(normaliseAnyInternational('0244')).toBeNull()
    expect(normaliseAnyInternational('0244123456')).toBeNull()
  })
})
