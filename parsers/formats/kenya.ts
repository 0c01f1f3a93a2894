import { DATE_TIME, NUM, amountNotBalance, money, name } from '../fragments.js'
import type { FieldName, FormatEntry, Network } from '../types.js'
import { FAILURE_WORDS, type MoneyDialect } from './common.js'

/**
 * What M-Pesa and Airtel Money Kenya share: shillings, Kenyan phones (full or masked), dates in
 * `d/m/yy at h:mm AM` (Kenyan time, UTC+3) and the balance, fee and account clauses. Research:
 * shared/research/next-wave.md section C; samples in fixtures/sms-kenya.json.
 */

/** Kenyan shillings: `Ksh` (M-Pesa), `KES`, `KSH`, `Kshs`; M-Pesa once doubled it (`Ksh Ksh4,870.00`). */
const KES_ONE = String.raw`(?:KES|KSHS?)`
export const KES = String.raw`${KES_ONE}(?:\s{0,2}${KES_ONE})?`

export const KE_AMOUNT = money('amount', false, KES)
export const KE_BALANCE = money('balance', false, KES)
const KE_FEE = money('fee', false, KES)

/**
 * A Kenyan mobile number as printed: `0722000000`, `0110000000`, `254722000000`, `+254…`, or masked
 * (Safaricom since 24 March 2026): `0722***000`, `0722XXXXXX`, `2547****9422`, `2547....9422`.
 * normaliseKenyaPhone keeps a masked one as printed.
 */
export const KE_PHONE = String.raw`(?:\+?254|0)(?:[17]\d{8}(?!\d)|\d{1,4}[*xX•.]{2,8}\d{0,4}(?![\d*xX•]))`

/** "31/5/26 at 8:06 PM", "27/12/24 3:41 PM", "12/05/26 at 03:26 PM", "27/08/2026 08:00", "13/1/25 saa 5:39 PM". */
export const KE_DATE_TIME = String.raw`\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})(?!\d)\s{0,3}(?:,\s{0,3}|(?:at|saa)\s{1,3})?\d{1,2}:\d{2}(?::\d{2})?(?:\s{0,3}[AP]\.?M\.?)?`

/** "on 1/6/26 at 10:45 AM" in front of the amount (cash-in, till receipts, withdrawals). */
export const DATE_FIRST = String.raw`(?:(?:on|tarehe)\s{1,3}${KE_DATE_TIME}\s{0,3}[,.]?\s{0,3})?`

/**
 * Where a payer's or agent's name ends: their phone, the date clause (`on 7/5/26`, Swahili
 * `mnamo`/`tarehe`), a remittance's origin (`in US via Sendwave`), the paybill account, the balance
 * clause (an agent's name runs straight into it), a line break or a sentence end. A full stop
 * inside a name (`F.M STORES`) is not an end: the stop must be followed by a space.
 */
const NAME_END = String.raw`\s{1,3}\(?${KE_PHONE}|\s{1,3}(?:on|mnamo|tarehe)\s{1,3}\d|\s{1,3}(?:in\s{1,3}[^\n]{2,40}?\s{1,3})?via\s|\s{1,3}for\s{1,3}account\b|\s{1,3}new\s{1,3}(?:(?:m-?pesa|account|business)\s{1,3})?balance\b|\s{0,3}\n|\s{0,3}[.,;](?:\s|$)|\s{0,3}$`

/** A phone after a name: "MERCY  MUTUA 0140***619", "DAVID OMONDI (254712***444)". */
const PHONE_AFTER = String.raw`(?:\s{1,3}\(?(?<payer_phone>${KE_PHONE})\)?)?`

/**
 * The two credit formats of one received wording (`lead` ends where the payer starts): the phone
 * before the name ("from 254700000031 MERCY WANJIRU", as till receipts print it), then the name
 * with an optional phone after it ("from MERCY  MUTUA 0140***619"). The phone-first one runs first:
 * the other would take the phone for part of the name.
 */
export function payerFormats (network: Network, id: string, lead: string, description: string): FormatEntry[] {
  return [
    {
      id: `${id}.phone_first`,
      network,
      kind: 'credit',
      description: `${description}: a phone before the name`,
      pattern: String.raw`${lead}(?<payer_phone>${KE_PHONE})(?:\s{0,3}[-,]?\s{1,3}${name('payer_name', NAME_END)})?`
    },
    { id, network, kind: 'credit', description: `${description}: NAME [PHONE]`, pattern: String.raw`${lead}${name('payer_name', NAME_END)}${PHONE_AFTER}` }
  ]
}

/** M-Pesa's own balance wording may leave the currency out: "Your M-PESA balance is 11709.54." */
const BALANCE_MAYBE_BARE = String.raw`(?:${KES}\s{0,3})?(?<balance>${NUM})(?:\s{0,3}${KES}(?![a-z]))?`

/** Where an account typed by the payer ends: the date clause, a sentence end or the line's end. */
const ACCOUNT_END = String.raw`(?=\s{1,3}(?:on|mnamo|tarehe)\s{1,3}\d|\s{0,3}[.,](?:\s|$)|\s{0,3}\n|\s{0,3}$)`

/**
 * Field patterns both Kenyan networks share, in order (the first that finds a field wins). The
 * balance is the M-PESA wallet's: "New M-PESA balance" before "M-PESA balance" before the others,
 * so "KCB M-PESA Account balance" or "new M-Shwari account balance" is never taken for it, and
 * Fuliza's "outstanding amount" never is one.
 */
export const KENYA_FIELDS: ReadonlyArray<readonly [FieldName, string]> = [
  ['balance', String.raw`\bnew\s{1,3}(?:(?:m-?pesa|account|business|till|utility|wallet)\s{1,3})?balance\s{1,3}(?:is|was)\s{0,3}:?\s{0,3}${BALANCE_MAYBE_BARE}`],
  ['balance', String.raw`(?<!kcb\s{1,3})\bm-?pesa\s{1,3}balance\s{1,3}(?:is|was)(?:\s{1,3}now)?\s{0,3}:?\s{0,3}${BALANCE_MAYBE_BARE}`],
  ['balance', String.raw`\b(?:account|available)\s{1,3}(?:balance|bal\.?)\s{1,3}(?:is|was)(?:\s{1,3}now)?\s{0,3}:?\s{0,3}${KE_BALANCE}`],
  // Swahili: "Baki yako ya M-PESA ni", "Baki mpya ya M-PESA ni", "Salio lako jipya la M-PESA ni", "Baki yako ni: Akaunti ya M-PESA :".
  ['balance', String.raw`\b(?:baki|salio)\b[^\n.]{0,40}?\bni\s{0,3}:?\s{0,3}(?:akaunti\s{1,3}ya\s{1,3}m-?pesa\s{0,3}:?\s{0,3})?${KE_BALANCE}`],
  // Airtel: "Bal: Ksh 1282.0."
  ['balance', String.raw`\bbal\s{0,3}[:.]\s{0,3}${KE_BALANCE}`],
  ['balance', String.raw`\bbalance\b(?:\s{1,3}(?:is|was))?(?:\s{1,3}now)?\s{0,3}[:.]?\s{0,3}${KE_BALANCE}`],
  ['fee', String.raw`\btransaction\s{1,3}cost\s{0,3}[,:.]?\s{0,3}${KE_FEE}`],
  ['fee', String.raw`\bgharama\s{1,3}ya\s{1,3}\w{2,12}\s{1,3}ni\s{0,3}${KE_FEE}`],
  ['fee', String.raw`\b(?:access\s{1,3})?fee(?:\s{1,3}charged)?\s{0,3}[:.]?\s{0,3}${KE_FEE}`],
  // The account of a paybill payment ("for account 1137238445", Swahili "kwa akaunti nambari …",
  // Airtel's 2014 "in reference to …"): typed by the payer, so it is the reference.
  ['reference', String.raw`\b(?:for\s{1,3}account|kwa\s{1,3}akaunti(?:\s{1,3}nambari)?|in\s{1,3}reference\s{1,3}to)\s{1,3}(?<reference>[^\s][^\n]{0,60}?)${ACCOUNT_END}`],
  ['time', String.raw`(?<time>${KE_DATE_TIME}|${DATE_TIME})`]
]

/** Money the way Kenyan notices read it: the first shillings that are not a balance. */
export const KENYA_MONEY: MoneyDialect = {
  cur: KES,
  someAmount: amountNotBalance(KE_AMOUNT, String.raw`\b(?:balance|bal|baki|salio)\b[^\d\n]{0,24}`),
  balance: KE_BALANCE
}

/** English and Swahili failures: not enough money, declined, failed ("imefeli", "hakuna pesa za kutosha"). */
export const KENYA_FAILURE_WORDS = String.raw`${FAILURE_WORDS}|insufficient|not\s{1,3}enough|imefeli|imeshindikana|haikufaulu|hakuna\s{1,3}pesa|umekataa`

/**
 * Notices both Kenyan networks send, after their transaction formats: a balance enquiry ("Your
 * M-PESA balance was", "Your available bal. is", Swahili "Baki yako ni") and promotions that name
 * money without confirming a transaction ("Save up to Ksh 5,000 with our new offer!"). `lead` is
 * the network's leading transaction id, optional in both.
 */
export function kenyaNotices (network: Network, lead: string): FormatEntry[] {
  return [
    {
      id: `${network}.other.balance_enquiry`,
      network,
      kind: 'other',
      description: 'balance enquiry: "Your M-PESA balance was Ksh X", "Your available bal. is", Swahili "Baki yako ni"',
      pattern: String.raw`^\s{0,3}(?:${lead})?(?:(?:confirmed|imethibitishwa)\b[.!,]?\s{0,3})?(?:your\s{1,3}(?:m-?pesa\s{1,3}|airtel\s{1,3}money\s{1,3})?(?:account\s{1,3}|available\s{1,3})?(?:balance|bal\.?)\s{1,3}(?:was|is)\b|baki\s{1,3}yako\s{1,3}ni\b)`
    },
    {
      id: `${network}.other.promotion`,
      network,
      kind: 'other',
      description: 'promotion naming money, with no confirmed transaction',
      pattern: String.raw`^(?![\s\S]{0,600}?\b(?:confirmed|imethibitishwa)\b)(?=[\s\S]{0,400}?\b(?:offers?|promo(?:tion)?s?|win|won|discount|enjoy|free|save\s{1,3}up\s{1,3}to|get\s{1,3}up\s{1,3}to|stand\s{1,3}a\s{1,3}chance)\b)${KENYA_MONEY.someAmount}`
    }
  ]
}
