import { describe, expect, it } from 'vitest'
import { kenyaInternational, normaliseGhanaPhone, normaliseKenyaPhone } from './phone.js'

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
