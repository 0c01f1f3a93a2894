import { AMOUNT, END, GREETING, PHONE, RECEIVED_AMOUNT, name } from '../fragments.js'
import type { FormatEntry } from '../types.js'
import { TRANSACTION_ID_FIELD, moneyNotices, plainNotices } from './common.js'

/**
 * MTN MoMo (sender `MobileMoney`). Receipts look like
 *   Payment received for GHS 100.00 from NAME  Current Balance: GHS 179.29 . Available Balance: …
 *   Reference: 1. Transaction ID: 88139850923. TRANSACTION FEE: 0.00
 *   Cash In received for GHS 640.00 from AGENT. Current Balance GHS 655.20 … Transaction ID: …, Fee charged: GHS 0.
 * The credit patterns are anchored at the start of the message (after a short greeting), so a
 * notice that merely contains "received" further in never becomes a credit. Balance, reference,
 * fee, time and transaction id come from the shared field patterns wherever they sit.
 */

/** Where MTN ends a payer's name: two spaces, a sentence end, the balance clause, or a phone. */
const NAME_END = String.raw`${END}|\s{1,3}(?:current|available)\s{1,3}balance\b|\s{0,3}[,(]?\s{0,3}${PHONE}|\s{1,3}(?:reference|ref|transaction\s{1,3}id)\b`
// Both optional: "from 233244123456." has no name, and a payer MTN cannot name still paid.
const PAYER = String.raw`(?:${name('payer_name', NAME_END)})?(?:\s{0,3}[,(]?\s{0,3}(?<payer_phone>${PHONE})\)?)?`

export const MTN_FORMATS: readonly FormatEntry[] = [
  {
    id: 'mtn.credit.received_for',
    network: 'mtn',
    kind: 'credit',
    fields: { transaction_id: TRANSACTION_ID_FIELD },
    description: 'Payment / Cash In / Transfer received for GHS X from NAME',
    pattern: String.raw`^\s{0,3}${GREETING}(?:payment|cash[\s-]{0,2}in|transfer|deposit|money)\s{1,3}received\s{1,3}for\s{1,3}${AMOUNT}\s{1,3}from\s{1,3}${PAYER}`,
    reference_style: 'cross_network'
  },
  {
    id: 'mtn.credit.you_have_received',
    network: 'mtn',
    kind: 'credit',
    fields: { transaction_id: TRANSACTION_ID_FIELD },
    description: 'You have received GHS X from NAME',
    pattern: String.raw`^\s{0,3}${GREETING}(?:you\s{1,3}have\s{1,3})?${RECEIVED_AMOUNT}\s{1,3}from\s{1,3}${PAYER}`,
    reference_style: 'cross_network'
  },
  ...moneyNotices('mtn'),
  {
    id: 'mtn.debit.outgoing',
    network: 'mtn',
    kind: 'debit',
    description: 'payments, transfers, cash-outs and purchases out of the wallet',
    pattern: String.raw`^\s{0,3}${GREETING}(?:(?:your\s{1,3})?(?:payment|transfer|withdrawal|cash[\s-]{0,2}out|(?:airtime\s{1,3})?purchase)(?:\s{1,3}made)?\s{1,3}(?:for|of)|you\s{1,3}have\s{1,3}(?:successfully\s{1,3})?(?:transferred|sent|paid|withdrawn|bought|purchased|made\s{1,3}a\s{1,3}payment\s{1,3}of)|you\s{1,3}(?:sent|paid|bought|withdrew|transferred))\s{1,3}${AMOUNT}`
  },
  ...plainNotices('mtn')
]
