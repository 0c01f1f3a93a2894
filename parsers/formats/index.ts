import type { FieldName, FormatEntry, Network } from '../types.js'
import { AT_FORMATS } from './at.js'
import { COMMON_FIELDS } from './common.js'
import { GHANAPAY_FORMATS } from './ghanapay.js'
import { MTN_FORMATS } from './mtn.js'
import { TELECEL_FORMATS } from './telecel.js'

/**
 * Trusted sender IDs (SPEC §3 defaults). AT's list is best knowledge: the 2013–14 Airtel texts came
 * from AIRTELMONEY and no modern AT Money receipt has been seen; config replaces any of these.
 */
export const DEFAULT_TRUSTED_SENDERS: Readonly<Record<Network, readonly string[]>> = {
  mtn: ['MobileMoney'],
  telecel: ['T-CASH'],
  at: ['AT Money', 'AIRTELMONEY', 'AirtelTigo', 'ATMoney'],
  ghanapay: ['GhanaPay']
}

/** Built-in formats per network, in the order they are tried (first match wins). */
export const BUILT_IN_FORMATS: Readonly<Record<Network, readonly FormatEntry[]>> = {
  mtn: MTN_FORMATS,
  telecel: TELECEL_FORMATS,
  at: AT_FORMATS,
  ghanapay: GHANAPAY_FORMATS
}

/** Fallback field patterns per network (all alike today; a network may diverge here). */
export const NETWORK_FIELDS: Readonly<Record<Network, ReadonlyArray<readonly [FieldName, string]>>> = {
  mtn: COMMON_FIELDS,
  telecel: COMMON_FIELDS,
  at: COMMON_FIELDS,
  ghanapay: COMMON_FIELDS
}
