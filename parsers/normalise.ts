import { formatAmount, parseTelcoAmount } from '../core/money.js'
import { normaliseGhanaPhone } from '../core/phone.js'

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

/** GHC (pre-2007 code, still in MTN bundle texts), GH₵, ₵ and "cedis" are all GHS. */
export function normaliseCurrency (raw: string | undefined): string | null {
  if (raw === undefined) return null
  const compact = raw.replace(/\s+/g, '').toUpperCase()
  if (compact === '') return null
  if (/^(?:GHS|GHC|GH₵|GH¢|₵|¢|GHCEDIS?|CEDIS?)$/.test(compact)) return 'GHS'
  return /^[A-Z]{3}$/.test(compact) ? compact : null
}

export function normalisePhone (raw: string | undefined): string | null {
  return raw === undefined ? null : normaliseGhanaPhone(raw)
}

/** Collapse runs of whitespace, drop the punctuation telcos put around names. */
export function normaliseName (raw: string | undefined): string | null {
  if (raw === undefined) return null
  const text = raw.replace(/\s+/g, ' ').replace(/^[\s.,;:-]+|[\s.,;:-]+$/g, '')
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
 * "2026-07-11 23:09:24", "2026-09-19 at 21:37", "01/05/2026 10:15" (day first, as in Ghana).
 * Ghana keeps GMT all year without daylight saving, so the wall clock is UTC.
 */
export function normaliseTime (raw: string | undefined): string | null {
  if (raw === undefined) return null
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})\D{1,6}(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(raw.trim())
  let parts: Array<string | undefined>
  if (m !== null) {
    parts = [m[1], m[2], m[3], m[4], m[5], m[6]]
  } else {
    m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})\D{1,6}(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(raw.trim())
    if (m === null) return null
    parts = [m[3], m[2], m[1], m[4], m[5], m[6]]
  }
  const [y, mo, d, h, mi, s] = parts.map((p) => Number(p ?? '0')) as [number, number, number, number, number, number]
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null
  const ms = Date.UTC(y, mo - 1, d, h, mi, s)
  const date = new Date(ms)
  // Date.UTC rolls 31 February into March: refuse rather than invent a day.
  if (date.getUTCDate() !== d) return null
  return date.toISOString().replace('.000Z', 'Z')
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
