import { textToSeptets } from './gsm7.js'

/**
 * What an SMS-DELIVER can carry (TS 23.040), for the senders and texts the daemon is asked to put
 * into one (test SMS through a virtual modem). The originating address holds at most 20 semi-octets:
 * 20 digits, or 11 GSM 7-bit characters packed (an extension character such as `€` takes two).
 */
export const MAX_SENDER_DIGITS = 20
export const MAX_SENDER_SEPTETS = 11

const NUMERIC = /^\+?[0-9]+$/
const LONE_SURROGATE = /\p{Cs}/u

/** Why `sender` cannot be an SMS's originating address, or null when it can. */
export function senderProblem (sender: string): string | null {
  if (NUMERIC.test(sender)) {
    const digits = sender.replace(/^\+/, '').length
    return digits > MAX_SENDER_DIGITS ? `is ${digits} digits; an SMS sender number has at most ${MAX_SENDER_DIGITS}` : null
  }
  const septets = textToSeptets(sender)
  if (septets === null) return 'must be a phone number or an alphanumeric sender ID in the GSM 7-bit alphabet (letters, digits, space and common punctuation)'
  if (septets.length > MAX_SENDER_SEPTETS) return `takes ${septets.length} GSM characters; an alphanumeric sender ID has at most ${MAX_SENDER_SEPTETS} (€ [ ] { } ~ ^ | \\ count as two)`
  return null
}

/**
 * Why `text` cannot be an SMS body, or null when it can. Anything outside GSM 7-bit goes as UCS-2
 * (UTF-16, so emoji survive), but half of a surrogate pair has no character to carry, and a NUL is
 * refused too: no telco sends one, and C strings, SQLite's shell and log pipelines cut text at it.
 */
export function textProblem (text: string): string | null {
  if (LONE_SURROGATE.test(text)) return 'contains half of a UTF-16 surrogate pair, which is no character'
  if (text.includes('\u0000')) return 'contains a NUL character'
  return null
}
