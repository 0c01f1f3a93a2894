/**
 * Regex building blocks for the built-in formats. Every repetition is bounded so that no pattern
 * can backtrack for long on a hostile 10 KB line, and every pattern is a plain string so the
 * finished formats stay data that `harpoon parse` and the config can show and override.
 */

/** Ghana cedi as telcos write it: GHS, GHC (the old code), GH₵, ₵, "cedis". */
export const CUR = String.raw`(?:GHS|GH₵|GH¢|GHC|GH\s?cedis?|cedis?|₵|¢)`

/** 1,234.56 | 1234.5 | 20 — never a piece of a longer number. */
export const NUM = String.raw`(?<![\d.,])(?:\d{1,3}(?:,\d{3}){1,4}|\d{1,13})(?:\.\d{1,2})?(?![\d]|[.,]\d)`

/** A Ghana phone number in local or international form. */
export const PHONE = String.raw`(?:\+?233|0)\d{9}(?!\d)`

/**
 * An amount with a currency on one side or the other: "GHS 1,234.56", "GHS1234.5", "20.00GHS", "20GHS".
 * `cur` is the currency's spellings (Ghana's by default; Kenya's in formats/kenya.ts).
 */
export function money (group: 'amount' | 'balance' | 'fee', withCurrency = false, cur = CUR): string {
  const captured = withCurrency ? `(?<currency>${cur})` : cur
  // The lookahead demands a currency next to the number, so "26.83GB" or an account number is never money.
  return String.raw`(?=${cur}\s{0,3}\d|\d[\d,.]{0,20}\s{0,3}${cur}(?![a-z]))(?:${captured}\s{0,3})?(?<${group}>${NUM})(?:\s{0,3}${cur}(?![a-z]))?`
}

/** The amount of a message: money with its currency captured. */
export const AMOUNT = money('amount', true)

/**
 * The first money in the text that is not a balance ("balance is GHS1.62" is no amount).
 * `notAfter` is what may not come right before it (a country's balance wording).
 */
export function amountNotBalance (amount = AMOUNT, notAfter = String.raw`balance(?:\s{1,3}is)?\s{0,3}[:.]?\s{0,3}`): string {
  return String.raw`(?:[\s\S]{0,400}?(?<!${notAfter})${amount})?`
}
export const AMOUNT_NOT_BALANCE = amountNotBalance()

/** A short greeting before the message proper: "Y'ello!", "Dear Customer,", "MoMo:". */
export const GREETING = String.raw`(?:[^\n.!:]{0,30}[.!:,]\s{0,3})?`

/**
 * A name ending before the terminator given (a lookahead). It starts with something that is not
 * punctuation or a date clause, so ". Your balance…" or "on 2026-05-01 at …" is never read as a name.
 */
export function name (group: 'payer_name', terminator: string): string {
  return String.raw`(?!(?:on|at)\s{1,3}\d)(?<${group}>[^\s.,;:()\-][^\n]{0,79}?)(?=${terminator})`
}

/** "received GHS 5.00", "received a payment of GHS 5.00". */
export const RECEIVED_AMOUNT = String.raw`received\s{1,3}(?:a\s{1,3}(?:payment|transfer|deposit)\s{1,3}of\s{1,3})?${AMOUNT}`

/** Where a sentence or line ends. */
export const END = String.raw`\s{0,3}(?:[.,;](?:\s|$)|\n|$)`

/** "2026-07-11 23:09:24", "2026-09-19 at 21:37:35", "01/05/2026 10:15". */
export const DATE_TIME = String.raw`\d{4}-\d{1,2}-\d{1,2}(?:\s{1,3}at\s{1,3}|\s{1,3}|T)\d{1,2}:\d{2}(?::\d{2})?|\d{1,2}/\d{1,2}/\d{4},?(?:\s{1,3}at\s{1,3}|\s{1,3})\d{1,2}:\d{2}(?::\d{2})?`
