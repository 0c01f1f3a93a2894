import { HarpoonError } from './errors.js'

/**
 * Money is an integer count of minor units (pesewas for GHS) everywhere inside the daemon, and a
 * string with exactly two decimals at the API and webhook edge ("150.00"). Floating point never
 * touches an amount: a JSON number is read through its decimal text.
 */
export type MinorUnits = number

const DECIMAL = /^(\d{1,13})(?:\.(\d{1,2}))?$/

/**
 * Reads an amount typed by a merchant: a JSON number, or a string of ASCII digits with at most two
 * decimals and nothing else (no sign, no spaces, no exponent, hex or leading point). Anything else,
 * booleans and arrays included, is null; the caller names the field.
 */
export function parseAmount (input: unknown): MinorUnits | null {
  let text: string
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return null
    // String(0.1 + 0.2) is "0.30000000000000004": rejected below as more than two decimals.
    text = String(input)
    if (/e/i.test(text)) return null
  } else if (typeof input === 'string') {
    text = input
  } else {
    return null
  }
  const m = DECIMAL.exec(text)
  if (m === null) return null
  const whole = Number(m[1])
  const frac = Number((m[2] ?? '').padEnd(2, '0'))
  const minor = whole * 100 + frac
  return Number.isSafeInteger(minor) ? minor : null
}

/** Like parseAmount, but for trusted text that must be an amount (config values). */
export function requireAmount (input: unknown, field: string): MinorUnits {
  const v = parseAmount(input)
  if (v === null) throw new HarpoonError('invalid_amount', `${field} must be a decimal amount with at most 2 decimals`, [{ field, message: 'must be a decimal amount with at most 2 decimals' }])
  return v
}

/** 15000 → "150.00"; -5000 → "-50.00". */
export function formatAmount (minor: MinorUnits): string {
  const sign = minor < 0 ? '-' : ''
  const abs = Math.abs(minor)
  const whole = Math.floor(abs / 100)
  const frac = String(abs % 100).padStart(2, '0')
  return `${sign}${whole}.${frac}`
}

/**
 * Reads an amount as telcos write it in SMS: "1,234.56", "1234.5", "20", "50.0", ".50".
 * Thousands separators are commas; the decimal separator is a point. Returns null if unreadable.
 */
export function parseTelcoAmount (text: string): MinorUnits | null {
  const cleaned = text.replace(/[\s,]/g, '')
  const m = /^(\d*)(?:\.(\d{1,2}))?$/.exec(cleaned)
  if (m === null || (m[1] === '' && m[2] === undefined)) return null
  if ((m[1] ?? '').length > 13) return null
  const whole = Number(m[1] === '' ? '0' : m[1])
  const frac = Number((m[2] ?? '').padEnd(2, '0'))
  return whole * 100 + frac
}
