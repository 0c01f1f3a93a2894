/**
 * The shapes the parser speaks. Kept free of regex and TypeBox so the ledger and the daemon can
 * import them without pulling the engine in.
 */

import type { SmsKind } from '../core/enums.js'
import type { Network } from '../core/networks.js'

/**
 * Networks with built-in formats: every network of the registry (core/networks.ts). `ghanapay` is a
 * wallet, not a SIM network: see formats/ghanapay.ts. `mpesa` (Safaricom M-Pesa) and `airtel_ke`
 * (Airtel Money Kenya) are Kenyan and count in KES.
 */
export { NETWORKS, isNetwork, type Network } from '../core/networks.js'

/** What the parser makes of one SMS: core/enums.ts holds the list (the inbox's outcomes extend it). */
export { SMS_KINDS, type SmsKind } from '../core/enums.js'

/** The kinds a format may yield; `unparsed` and `untrusted` are the engine's own verdicts. */
export const FORMAT_KINDS = ['credit', 'debit', 'other'] as const
export type FormatKind = typeof FORMAT_KINDS[number]

/** Named groups a format pattern may use; each is one field of ParsedSms. */
export const FIELD_NAMES = [
  'amount', 'currency', 'payer_phone', 'payer_name', 'reference', 'transaction_id', 'balance', 'fee', 'time'
] as const
export type FieldName = typeof FIELD_NAMES[number]

/** How a format's `reference` group is read (see normalise.ts). */
export const REFERENCE_STYLES = ['plain', 'cross_network'] as const
export type ReferenceStyle = typeof REFERENCE_STYLES[number]

/** One message format, as data: built-ins ship in formats/, operators add more in `networks.<net>.formats`. */
export interface FormatEntry {
  /** Stable name; an operator entry with the same id replaces the built-in one. */
  id: string
  /** Optional on operator entries (the config key names the network); must agree when given. */
  network?: Network
  kind: FormatKind
  /** Regex source with named groups from FIELD_NAMES; it decides the kind when it matches. */
  pattern: string
  /** Regex flags from `i m s u`; default `i` because telcos change case between releases. */
  flags?: string
  /** Extra patterns searched anywhere in the text for fields the main pattern did not capture. */
  fields?: Partial<Record<FieldName, string>>
  /** `cross_network`: MTN's `NAME ,233XXXXXXXXX,NOTE from VODAFONE` gives payer phone and note. */
  reference_style?: ReferenceStyle
  description?: string
}

export interface SmsInput {
  network: Network
  /** Sender ID as the phone shows it (`MobileMoney`, `T-CASH`, `+233…`). */
  sender: string
  text: string
}

/** Exactly the fields of SPEC §3 `harpoon parse`; null where the message has none. */
export interface ParsedSms {
  network: Network
  kind: SmsKind
  /** Two decimals, "1234.50". */
  amount: string | null
  currency: string | null
  /**
   * Display format 0XXXXXXXXX. Kenyan receipts since March 2026 mask the payer's number
   * (`0722***000`): such a number is given exactly as printed, never completed.
   */
  payer_phone: string | null
  payer_name: string | null
  /** The payer's own note, searched first for the HPN code. */
  reference: string | null
  transaction_id: string | null
  balance: string | null
  fee: string | null
  /** ISO 8601 UTC, from the telco's wall clock in the network's time zone (Ghana UTC, Kenya UTC+3). */
  time: string | null
}

export interface ParseOptions {
  /** Operator formats per network; they run before the built-ins and replace built-ins with the same id. */
  formats?: Partial<Record<Network, readonly FormatEntry[]>>
  /** Trusted sender IDs per network; a network given here replaces its defaults entirely. */
  trustedSenders?: Partial<Record<Network, readonly string[]>>
}
