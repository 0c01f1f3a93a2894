import { NETWORK_LOCALES } from './formats/index.js'

/**
 * The date an M-Pesa transaction code carries (research note shared/research/next-wave.md C.2,
 * inferred from dated samples, not documented by Safaricom). Since about 2015 a code is 10
 * characters whose first three are the Kenyan calendar date of the transaction:
 *   1st: year, A = 2006 … L = 2017, O = 2020, U = 2026 (the alphabet repeats every 26 years)
 *   2nd: month, A = January … L = December
 *   3rd: day, 1–9, then A = 10 … V = 31
 * e.g. UEVLA5Z1RU is 31 May 2026. Older 9-character codes (BS49OR201, 2011) carry no date.
 *
 * A code whose date disagrees with the SMS's own date or the modem's receive time is a soft sign
 * of a forged SMS: the caller adds a `risk_flags` entry, never rejects on it alone (some real
 * samples disagree, probably because someone edited the date).
 */

export interface CodeDate { year: number, month: number, day: number }

/** `agrees`/`disagrees`: a dated code, compared; `not_a_date`: 10 characters whose date letters name no day; `not_dated`: a 9-character or unknown code. */
export type CodeDateStatus = 'agrees' | 'disagrees' | 'not_a_date' | 'not_dated'

export interface CodeDateCheck {
  status: CodeDateStatus
  /** The code's date, YYYY-MM-DD, when it names one. */
  code_date: string | null
  /** Whole days between the code's date and the compared date (Kenyan calendar), when both are known. */
  days_apart: number | null
}

/** The risk flag a caller may add when the check says `disagrees` or `not_a_date`. */
export const MPESA_CODE_DATE_FLAG = 'mpesa_code_date_mismatch'

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
const DAY_MS = 86_400_000
/** M-Pesa's codes follow Kenyan dates (UTC+3). */
const KENYA_OFFSET_MS = NETWORK_LOCALES.mpesa.utcOffsetMinutes * 60_000

/** The Kenyan calendar date of an instant. */
function kenyanDate (at: Date): CodeDate {
  const local = new Date(at.getTime() + KENYA_OFFSET_MS)
  return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() }
}

const iso = (d: CodeDate): string => `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`
const dayNumber = (d: CodeDate): number => Date.UTC(d.year, d.month - 1, d.day) / DAY_MS

/**
 * Decodes the date of a 10-character code. `near` picks the year among those 26 apart that share
 * the year letter (default: the 2006–2031 cycle). Null for a code of another length or characters,
 * or whose letters name no calendar day (a month letter after L, 30 February).
 */
export function decodeMpesaCodeDate (code: string, near?: Date): CodeDate | null {
  const text = code.trim().toUpperCase()
  if (!/^[A-Z][A-Z0-9]{9}$/.test(text)) return null
  const yearIndex = LETTERS.indexOf(text.charAt(0)) + 1
  const month = LETTERS.indexOf(text.charAt(1)) + 1
  const dayChar = text.charAt(2)
  const day = /\d/.test(dayChar) ? Number(dayChar) : LETTERS.indexOf(dayChar) + 10
  if (month < 1 || month > 12 || day < 1 || day > 31) return null
  let year = 2005 + yearIndex
  if (near !== undefined) {
    const target = kenyanDate(near).year
    year += Math.round((target - year) / 26) * 26
  }
  // Date.UTC rolls 30 February into March: a code naming no real day is not a date.
  const probe = new Date(Date.UTC(year, month - 1, day))
  if (probe.getUTCMonth() !== month - 1) return null
  return { year, month, day }
}

/**
 * Whether a code's date agrees with `date` (an instant: the SMS's own time as ISO 8601, or the
 * modem's receive time) within `toleranceDays` Kenyan calendar days. The SMS's own time should
 * agree to the day (tolerance 0 or 1, for a midnight crossing); a receive time may lag by as long
 * as the modem was offline, so callers give it more.
 */
export function checkMpesaCodeDate (code: string, date: Date | string | number, toleranceDays = 1): CodeDateCheck {
  const at = date instanceof Date ? date : new Date(date)
  if (Number.isNaN(at.getTime())) throw new RangeError(`not a date: ${String(date)}`)
  if (!/^[A-Z][A-Z0-9]{9}$/i.test(code.trim())) return { status: 'not_dated', code_date: null, days_apart: null }
  const decoded = decodeMpesaCodeDate(code, at)
  if (decoded === null) return { status: 'not_a_date', code_date: null, days_apart: null }
  const apart = Math.abs(dayNumber(decoded) - dayNumber(kenyanDate(at)))
  return { status: apart <= toleranceDays ? 'agrees' : 'disagrees', code_date: iso(decoded), days_apart: apart }
}
