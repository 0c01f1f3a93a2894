import { formatAmount, parseTelcoAmount } from '../core/money.js'
import { normaliseGhanaPhone } from '../core/phone.js'

/**
 * How a network's texts are read once a format matched: its currency, the zone of its wall clock,
 * its phone numbers and names. Kept per network, so Kenya's UTC+3 never shifts a Ghanaian time.
 */
export interface NetworkLocale {
  /** The currency of an amount written without one (every amount a network's formats accept is in it). */
  currency: string
  /** The telco's wall clock, in minutes east of UTC; neither Ghana nor Kenya has daylight saving. */
  utcOffsetMinutes: number
  phone: (raw: string) => string | null
  names: 'collapse' | 'as_printed'
  /**
   * The credit guard reads the text only up to the end of the balance clause. Kenyan receipts end
   * in advertising that changes monthly and says things like "Earn interest daily on Ziidi MMF";
   * what the transaction is comes before the balance.
   */
  guardStopsAtBalance: boolean
}

/**
 * Normalisation rules applied to every captured field, whichever format captured it. They turn
 * the telcos' many spellings into the one shape of ParsedSms and return null for anything that
 * does not read cleanly: a field the daemon cannot trust is better absent than wrong.
 */

export function normaliseMoney (raw: string | undefined): string | null {
  if (raw === undefined) return null
  const minor = parseTelcoAmount(raw)
  return minor === null ? null : formatAmount(minor)
}

/** GHC (pre-2007 code, still in MTN bundle texts), GH₵, ₵ and "cedis" are all GHS; Ksh and Kshs are KES. */
export function normaliseCurrency (raw: string | undefined): string | null {
  if (raw === undefined) return null
  const compact = raw.replace(/\s+/g, '').toUpperCase()
  if (compact === '') return null
  if (/^(?:GHS|GHC|GH₵|GH¢|₵|¢|GHCEDIS?|CEDIS?)$/.test(compact)) return 'GHS'
  if (/^(?:KES|KSHS?)$/.test(compact)) return 'KES'
  return /^[A-Z]{3}$/.test(compact) ? compact : null
}

/**
 * A Kenyan number as M-Pesa and Airtel print it, masked (Safaricom masks payers' numbers in SMS
 * since 24 March 2026): `0722***000`, `0722XXXXXX`, `2547****9422`, `2547....9422`. Some digits
 * after the prefix must show; the hidden ones may be stars, X, dots or bullets.
 */
const MASKED_KENYA_PHONE = /^(?:\+?254|0)\d{1,4}[*xX•.]{2,8}\d{0,4}$/

/**
 * Kenyan mobile numbers (07…, 01…, 2547…, +254…) in the display form `07XXXXXXXX` / `01XXXXXXXX`.
 * A masked number is returned exactly as printed: completing it would invent a customer's number,
 * and reading its visible digits as a whole number would name the wrong one.
 */
export function normaliseKenyaPhone (raw: string): string | null {
  const printed = raw.trim()
  if (MASKED_KENYA_PHONE.test(printed)) return printed
  const digits = printed.replace(/[\s\-.()]/g, '')
  const m = /^(?:\+254|00254|254|0)([17]\d{8})$/.exec(digits)
  return m === null ? null : `0${m[1]}`
}

/** True for a phone normaliseKenyaPhone kept masked, as printed. */
export function isMaskedPhone (phone: string): boolean {
  return MASKED_KENYA_PHONE.test(phone)
}

export function normalisePhone (raw: string | undefined, read: (raw: string) => string | null = normaliseGhanaPhone): string | null {
  return raw === undefined ? null : read(raw)
}

/**
 * Drop the punctuation telcos put around names. `collapse` (Ghana) also folds runs of whitespace;
 * `as_printed` (Kenya) keeps them, because M-Pesa prints a registered name's empty middle part as a
 * double space (`MERCY  MUTUA`) and the name is shown as the telco gave it.
 */
export function normaliseName (raw: string | undefined, style: 'collapse' | 'as_printed' = 'collapse'): string | null {
  if (raw === undefined) return null
  const spaced = style === 'collapse' ? raw.replace(/\s+/g, ' ') : raw.replace(/\s*\n\s*/g, ' ')
  const text = spaced.replace(/^[\s.,;:-]+|[\s.,;:-]+$/g, '')
  return text === '' ? null : text
}

/** Telcos write an empty note as "", ".", "-" or " ."; all mean "no note". */
export function normaliseReference (raw: string | undefined): string | null {
  if (raw === undefined) return null
  const text = raw.replace(/\s+/g, ' ').trim().replace(/[\s.]+$/, '')
  return /^[\s.,\-_]*$/.test(text) ? null : text
}

export function normaliseTransactionId (raw: string | undefined): string | null {
  if (raw === undefined) return null
  const text = raw.trim().toUpperCase()
  return /^[A-Z0-9]{4,40}$/.test(text) ? text : null
}

/**
 * "2026-07-11 23:09:24", "2026-09-19 at 21:37", "01/05/2026 10:15" (day first, as in Ghana and Kenya),
 * M-Pesa's "31/5/26 at 8:06 PM" (two-digit year, 12-hour clock), "13/1/25 saa 5:39 PM" (Swahili).
 * The telco writes its own wall clock; `utcOffsetMinutes` is the network's zone (Ghana 0, Kenya
 * +180; neither has daylight saving), so the result is the instant in UTC.
 */
export function normaliseTime (raw: string | undefined, utcOffsetMinutes = 0): string | null {
  if (raw === undefined) return null
  const clock = String.raw`(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s{0,3}([AP])\.?M\.?)?`
  let m = new RegExp(String.raw`^(\d{4})-(\d{1,2})-(\d{1,2})\D{1,6}${clock}$`, 'i').exec(raw.trim())
  let parts: Array<string | undefined>
  if (m !== null) {
    parts = [m[1], m[2], m[3], m[4], m[5], m[6], m[7]]
  } else {
    m = new RegExp(String.raw`^(\d{1,2})\/(\d{1,2})\/(\d{4}|\d{2})\D{1,6}${clock}$`, 'i').exec(raw.trim())
    if (m === null) return null
    parts = [m[3], m[2], m[1], m[4], m[5], m[6], m[7]]
  }
  const meridiem = parts[6]?.toUpperCase()
  const [y, mo, d, h12, mi, s] = parts.slice(0, 6).map((p) => Number(p ?? '0')) as [number, number, number, number, number, number]
  // M-Pesa writes the year with two digits; its receipts start in 2007.
  const year = y < 100 ? 2000 + y : y
  if (meridiem !== undefined && (h12 < 1 || h12 > 12)) return null
  const h = meridiem === undefined ? h12 : (h12 % 12) + (meridiem === 'P' ? 12 : 0)
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null
  const wall = new Date(Date.UTC(year, mo - 1, d, h, mi, s))
  // Date.UTC rolls 31 February into March: refuse rather than invent a day.
  if (wall.getUTCDate() !== d) return null
  return new Date(wall.getTime() - utcOffsetMinutes * 60_000).toISOString().replace('.000Z', 'Z')
}

export interface CrossNetworkNote { payer_name: string | null, payer_phone: string, note: string | null }

/**
 * MTN's receipt for money from another network carries the sender in the note:
 * "ABENA KOJO ,233520000002,1 from VODAFONE" → name, phone 0520000002, note "1". Only this full
 * shape with a known network at the end is split; "Akua ,0551000001" stays the payer's raw note.
 */
const CROSS_NETWORK = /^(?<name>[^,\n]{0,80}?)\s{0,3},\s{0,3}(?<phone>(?:\+?233|0)\d{9})\s{0,3},(?<note>[^\n]{0,200})\bfrom\s{1,3}(?:VODAFONE|TELECEL|AIRTEL\s?TIGO|AIRTEL|TIGO|AT|GLO|G-MONEY|GMONEY|GHIPSS)(?:\s{1,3}(?:CASH|MONEY|MOBILE\s{1,3}MONEY))?\s{0,3}$/i

export function splitCrossNetworkReference (reference: string): CrossNetworkNote | null {
  const m = CROSS_NETWORK.exec(reference)
  const phone = normalisePhone(m?.groups?.['phone'])
  if (m === null || phone === null) return null
  return { payer_name: normaliseName(m.groups?.['name']), payer_phone: phone, note: normaliseReference(m.groups?.['note']) }
}
