import { AMOUNT, END, PHONE, RECEIVED_AMOUNT, name } from '../fragments.js'
import type { FormatEntry } from '../types.js'
import { TRANSACTION_ID_FIELD, moneyNotices, plainNotices } from './common.js'

/**
 * AT Money (AirtelTigo). No modern receipt has been seen (SPEC §6): these formats are best
 * knowledge from the Airtel Money Ghana texts ("Trans. ID: 313821006099 You have received
 * 20.00GHS from233261234567. Your available balance is 270.67GHS.") and kept deliberately loose
 * about the header before "You have…" so a modern brand prefix ("AT Money:") still reads. An
 * operator corrects them from config (`networks.at.formats`) when a real message turns up.
 */

const HEADER = String.raw`^[\s\S]{0,80}?\b`
const NAME_END = String.raw`\s{0,3}[(,]?\s{0,3}${PHONE}|\s{1,3}on\s{1,3}\d|${END}`
const RECEIVED = String.raw`${HEADER}you\s{1,3}have\s{1,3}${RECEIVED_AMOUNT}\s{0,3}from\s{0,3}:?\s{0,3}`

export const AT_FORMATS: readonly FormatEntry[] = [
  {
    id: 'at.credit.phone_first',
    network: 'at',
    kind: 'credit',
    fields: { transaction_id: TRANSACTION_ID_FIELD },
    description: 'You have received GHS X from 0XXXXXXXXX [NAME]',
    pattern: String.raw`${RECEIVED}(?<payer_phone>${PHONE})(?:\s{0,3}[-,]?\s{1,3}${name('payer_name', NAME_END)})?`
  },
  {
    id: 'at.credit.name_first',
    network: 'at',
    kind: 'credit',
    fields: { transaction_id: TRANSACTION_ID_FIELD },
    description: 'You have received GHS X from NAME [(0XXXXXXXXX)]',
    pattern: String.raw`${RECEIVED}${name('payer_name', NAME_END)}(?:\s{0,3}[(,]?\s{0,3}(?<payer_phone>${PHONE})\)?)?`
  },
  ...moneyNotices('at'),
  {
    id: 'at.debit.outgoing',
    network: 'at',
    kind: 'debit',
    description: 'You have sent / paid / transferred GHS X',
    pattern: String.raw`${HEADER}you\s{1,3}have\s{1,3}(?:successfully\s{1,3})?(?:sent|paid|transferred|withdrawn|bought|purchased)\s{1,3}${AMOUNT}`
  },
  ...plainNotices('at')
]
