import { AMOUNT, END, GREETING, PHONE, RECEIVED_AMOUNT, name } from '../fragments.js'
import type { FormatEntry } from '../types.js'
import { moneyNotices, plainNotices } from './common.js'

/**
 * Telecel Cash (formerly Vodafone Cash, sender `T-CASH`). Receipts open with the transaction id
 * (16 digits, shorter in some samples) and "Confirmed.":
 *   0000014535180494 Confirmed. You have received GHS15.00 from 233500000008 - NAME on 2026-09-19 at
 *   21:37:35. Your Telecel Cash balance is GHS15.00. Reference: Spotify.
 * From another network the payer sits behind "with transaction reference: Transfer From: PHONE-NAME"
 * (fixed wording, not the payer's note). The note comes as "Reference:", "Ref:" or not at all.
 */

/**
 * Telecel's leading "<id> Confirmed.". Credits require the id here, at the start where the payer
 * cannot write: a later "Transaction ID" could come from the payer's note.
 */
const CONFIRMED = String.raw`^\s{0,3}(?<transaction_id>\d{4,20})\s{1,3}confirmed[.!,]?\s{1,3}`
const NAME_END = String.raw`\s{1,3}on\s{1,3}(?:telecel|vodafone|mtn|airteltigo|at\b|\d{4}-\d|\d{1,2}/)|\s{1,3}with\s{1,3}transaction\b|${END}`
const RECEIVED = String.raw`you\s{1,3}have\s{1,3}${RECEIVED_AMOUNT}\s{1,3}(?:as\s{1,3}payment\s{1,3})?from\s{1,3}`

export const TELECEL_FORMATS: readonly FormatEntry[] = [
  {
    id: 'telecel.credit.cross_network',
    network: 'telecel',
    kind: 'credit',
    description: 'received from another network: "… with transaction reference: Transfer From: PHONE-NAME"',
    // Split phone and name on the first hyphen only: names such as ASANTE-KWABENA keep theirs.
    pattern: String.raw`${CONFIRMED}${RECEIVED}[^\n]{1,60}?\s{1,3}with\s{1,3}transaction\s{1,3}reference\s{0,3}:?\s{0,3}transfer\s{1,3}from\s{0,3}:?\s{0,3}(?<payer_phone>${PHONE})\s{0,3}-\s{0,3}${name('payer_name', NAME_END)}`
  },
  {
    id: 'telecel.credit.phone_name',
    network: 'telecel',
    kind: 'credit',
    description: 'received from a Telecel wallet: "from 233XXXXXXXXX - NAME on …" (hyphen or name may be missing)',
    pattern: String.raw`${CONFIRMED}${RECEIVED}(?<payer_phone>${PHONE})(?:(?:\s{0,3}-\s{0,3}|\s{1,3})${name('payer_name', NAME_END)})?`
  },
  {
    id: 'telecel.credit.name',
    network: 'telecel',
    kind: 'credit',
    description: 'received from a named payer without a phone (merchants, aggregators, banks)',
    pattern: String.raw`${CONFIRMED}${RECEIVED}${name('payer_name', NAME_END)}`
  },
  {
    id: 'telecel.credit.deposit',
    network: 'telecel',
    kind: 'credit',
    description: 'cash deposit: "On DATE at TIME, a deposit of GHS X was made to your account from AGENT"',
    pattern: String.raw`${CONFIRMED}(?:on\s{1,3}[^\n,]{1,40},\s{0,3})?a\s{1,3}deposit\s{1,3}of\s{1,3}${AMOUNT}\s{1,3}(?:was|has\s{1,3}been)\s{1,3}made\s{1,3}to\s{1,3}your\s{1,3}(?:account|wallet)\s{1,3}from\s{1,3}${name('payer_name', NAME_END)}`
  },
  ...moneyNotices('telecel'),
  {
    id: 'telecel.debit.verb_first',
    network: 'telecel',
    kind: 'debit',
    description: 'You have sent / paid / transferred / bought … GHS X',
    pattern: String.raw`^\s{0,3}(?:(?<transaction_id>\d{4,20})\s{1,3})?(?:confirmed[.!,]?\s{1,3})?${GREETING}you\s{1,3}(?:have\s{1,3})?(?:successfully\s{1,3})?(?:sent|paid|transferred|bought|purchased|withdrawn|withdrew|cashed\s{1,3}out|made\s{1,3}a\s{1,3}payment\s{1,3}of)\b[^\n]{0,30}?${AMOUNT}`
  },
  {
    id: 'telecel.debit.amount_first',
    network: 'telecel',
    kind: 'debit',
    description: 'GHS X sent / paid / transferred to …',
    pattern: String.raw`^\s{0,3}(?:(?<transaction_id>\d{4,20})\s{1,3})?(?:confirmed[.!,]?\s{1,3})?${AMOUNT}\s{1,3}(?:sent|paid|transferred|withdrawn)\s{1,3}(?:to|from|at)\b`
  },
  {
    id: 'telecel.other.merchant_balance',
    network: 'telecel',
    kind: 'other',
    description: 'balance reply on a merchant SIM: the merchant account is where payments land',
    pattern: String.raw`\bmerchant\s{1,3}account\s{1,3}balance\s{1,3}is\s{0,3}(?:GHS|GHC)?\s{0,3}(?<balance>\d[\d,]{0,16}(?:\.\d{1,2})?)`
  },
  ...plainNotices('telecel')
]
