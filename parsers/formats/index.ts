import { normaliseGhanaPhone } from '../../core/phone.js'
import { normaliseKenyaPhone, type NetworkLocale } from '../normalise.js'
import type { FieldName, FormatEntry, Network } from '../types.js'
import { AIRTEL_KE_FIELDS, AIRTEL_KE_FORMATS } from './airtel_ke.js'
import { AT_FORMATS } from './at.js'
import { COMMON_FIELDS } from './common.js'
import { GHANAPAY_FORMATS } from './ghanapay.js'
import { MPESA_FIELDS, MPESA_FORMATS } from './mpesa.js'
import { MTN_FORMATS } from './mtn.js'
import { TELECEL_FORMATS } from './telecel.js'

/**
 * Trusted sender IDs (SPEC §3 defaults). AT's list is best knowledge: the 2013–14 Airtel texts came
 * from AIRTELMONEY and no modern AT Money receipt has been seen; config replaces any of these.
 * Kenya: M-Pesa's receipts come from `MPESA`; Airtel Money Kenya's from `AirtelMoney` (the case
 * on the handset is unconfirmed; the comparison ignores case).
 */
export const DEFAULT_TRUSTED_SENDERS: Readonly<Record<Network, readonly string[]>> = {
  mtn: ['MobileMoney'],
  telecel: ['T-CASH'],
  at: ['AT Money', 'AIRTELMONEY', 'AirtelTigo', 'ATMoney'],
  ghanapay: ['GhanaPay'],
  mpesa: ['MPESA'],
  airtel_ke: ['AirtelMoney']
}

/** Built-in formats per network, in the order they are tried (first match wins). */
export const BUILT_IN_FORMATS: Readonly<Record<Network, readonly FormatEntry[]>> = {
  mtn: MTN_FORMATS,
  telecel: TELECEL_FORMATS,
  at: AT_FORMATS,
  ghanapay: GHANAPAY_FORMATS,
  mpesa: MPESA_FORMATS,
  airtel_ke: AIRTEL_KE_FORMATS
}

/** Fallback field patterns per network: Ghana's are shared, Kenya's differ (formats/kenya.ts). */
export const NETWORK_FIELDS: Readonly<Record<Network, ReadonlyArray<readonly [FieldName, string]>>> = {
  mtn: COMMON_FIELDS,
  telecel: COMMON_FIELDS,
  at: COMMON_FIELDS,
  ghanapay: COMMON_FIELDS,
  mpesa: MPESA_FIELDS,
  airtel_ke: AIRTEL_KE_FIELDS
}

const GHANA: NetworkLocale = { currency: 'GHS', utcOffsetMinutes: 0, phone: normaliseGhanaPhone, names: 'collapse', guardStopsAtBalance: false }
const KENYA: NetworkLocale = { currency: 'KES', utcOffsetMinutes: 180, phone: normaliseKenyaPhone, names: 'as_printed', guardStopsAtBalance: true }

/** How each network's fields are normalised (currency, time zone, phones, names): see NetworkLocale. */
export const NETWORK_LOCALES: Readonly<Record<Network, NetworkLocale>> = {
  mtn: GHANA,
  telecel: GHANA,
  at: GHANA,
  ghanapay: GHANA,
  mpesa: KENYA,
  airtel_ke: KENYA
}
