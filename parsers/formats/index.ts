import { normaliseGhanaPhone } from '../../core/phone.js'
import { normaliseKenyaPhone, type NetworkLocale } from '../normalise.js'
import { NETWORK_INFO } from '../../core/networks.js'
import { NETWORKS, type FieldName, type FormatEntry, type Network } from '../types.js'
import { AIRTEL_KE_FIELDS, AIRTEL_KE_FORMATS } from './airtel_ke.js'
import { AT_FORMATS } from './at.js'
import { COMMON_FIELDS } from './common.js'
import { GHANAPAY_FORMATS } from './ghanapay.js'
import { MPESA_FIELDS, MPESA_FORMATS } from './mpesa.js'
import { MTN_FORMATS } from './mtn.js'
import { TELECEL_FORMATS } from './telecel.js'

/**
 * Trusted sender IDs (SPEC §3 defaults): the registry's (core/networks.ts); config replaces any of
 * them. The comparison ignores case.
 */
export const DEFAULT_TRUSTED_SENDERS: Readonly<Record<Network, readonly string[]>> = byNetwork((n) => NETWORK_INFO[n].senders)

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

/** How a country's receipts write phones and names; currency and time zone come from the registry. */
const COUNTRY_STYLE: Readonly<Record<string, Pick<NetworkLocale, 'phone' | 'names' | 'guardStopsAtBalance'>>> = {
  GH: { phone: normaliseGhanaPhone, names: 'collapse', guardStopsAtBalance: false },
  KE: { phone: normaliseKenyaPhone, names: 'as_printed', guardStopsAtBalance: true }
}

/** How each network's fields are normalised (currency, time zone, phones, names): see NetworkLocale. */
export const NETWORK_LOCALES: Readonly<Record<Network, NetworkLocale>> = byNetwork((n) => {
  const info = NETWORK_INFO[n]
  const style = COUNTRY_STYLE[info.country]
  if (style === undefined) throw new Error(`network ${n}: no receipt style for country ${info.country} (parsers/formats/index.ts)`)
  return { currency: info.currency, utcOffsetMinutes: info.utcOffsetMinutes, ...style }
})

function byNetwork<T> (f: (n: Network) => T): Record<Network, T> {
  return Object.fromEntries(NETWORKS.map((n) => [n, f(n)])) as Record<Network, T>
}
