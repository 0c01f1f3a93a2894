import { AMOUNT, END, GREETING, PHONE, name } from '../fragments.js'
import type { FormatEntry } from '../types.js'
import { TRANSACTION_ID_FIELD, moneyNotices, plainNotices } from './common.js'

/**
 * GhanaPay (the banks' wallet, sender `GhanaPay`). It is not a SIM network, so no modem is ever
 * "the GhanaPay modem"; the daemon may still parse a message whose sender is GhanaPay's with this
 * network (the fixture gh-gp-01 is a real credit). Payers from a bank are masked
 * ("2255****789 , Ecobank"): no phone and no person's name come out of those.
 */
export const GHANAPAY_FORMATS: readonly FormatEntry[] = [
  {
    id: 'ghanapay.credit.received',
    network: 'ghanapay',
    kind: 'credit',
    fields: { transaction_id: TRANSACTION_ID_FIELD },
    description: 'You have received GHS X from: PAYER',
    pattern: String.raw`^\s{0,3}${GREETING}you\s{1,3}have\s{1,3}received\s{1,3}${AMOUNT}\s{1,3}from\s{0,3}:?\s{0,3}(?:(?<payer_phone>${PHONE})\s{0,3}[,-]\s{0,3}${name('payer_name', END)})?`
  },
  ...moneyNotices('ghanapay'),
  ...plainNotices('ghanapay')
]
