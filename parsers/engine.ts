import { HarpoonError } from '../core/errors.js'
import { compileFormats, type CompiledFormat } from './format-schema.js'
import { BUILT_IN_FORMATS, DEFAULT_TRUSTED_SENDERS, NETWORK_FIELDS, NETWORK_LOCALES } from './formats/index.js'
import {
  normaliseCurrency, normaliseMoney, normaliseName, normalisePhone, normaliseReference, normaliseTime,
  normaliseTransactionId, splitCrossNetworkReference
} from './normalise.js'
import { FIELD_NAMES, NETWORKS, isNetwork, type FieldName, type Network, type ParseOptions, type ParsedSms, type SmsInput } from './types.js'

/**
 * Real telco SMS are a few hundred characters (a three-part message is under 500). Anything far
 * longer is not a receipt; it is stored as `unparsed` without running a single pattern, which also
 * bounds the time an operator's careless regex can take.
 */
export const MAX_TEXT_LENGTH = 4096

/**
 * Telco wording that means "this money is not a customer's payment". A credit format that matched
 * is still turned into `other` when any of these appears outside the payer's own note (the note is
 * typed by the payer and may say anything; the rest is the telco's text).
 */
const NOT_A_CREDIT = /\b(?:refund(?:ed|s)?|revers(?:al|als|ed|e)|interest|failed|failure|unsuccessful|declined|rejected|cancell?ed|voided|pending|on\s{1,3}hold|not\s{1,3}(?:successful|completed|processed)|could\s{1,3}not|unable|cash\s?back|bonus|commission|reward)\b/i

interface FieldSearch { field: FieldName, regex: RegExp, global: RegExp }

interface NetworkParser {
  formats: ReadonlyArray<{ format: CompiledFormat, fields: readonly FieldSearch[] }>
  trusted: ReadonlySet<string>
  senders: readonly string[]
}

export interface SmsParser {
  parse: (input: SmsInput) => ParsedSms
  /** The trusted sender IDs in use for a network, first one first (what `harpoon parse` defaults to). */
  trustedSenders: (network: Network) => readonly string[]
}

const foldSender = (sender: string): string => sender.trim().toLowerCase()

function toSearch (field: FieldName, regex: RegExp): FieldSearch {
  return { field, regex, global: new RegExp(regex.source, `${regex.flags}g`) }
}

const BUILT_IN: Readonly<Record<Network, CompiledFormat[]>> = Object.fromEntries(NETWORKS.map((n) => [
  n, compileFormats(n, BUILT_IN_FORMATS[n], `built-in formats of ${n}`, 'built-in')
])) as Record<Network, CompiledFormat[]>

const FALLBACK_FIELDS: Readonly<Record<Network, FieldSearch[]>> = Object.fromEntries(NETWORKS.map((n) => [
  n, NETWORK_FIELDS[n].map(([f, source]) => toSearch(f, new RegExp(source, 'id')))
])) as Record<Network, FieldSearch[]>

/**
 * Builds a parser with the operator's formats and sender lists. Throws HarpoonError
 * `invalid_format` naming every bad entry, so a bad config stops start-up instead of a payment.
 */
export function createSmsParser (options: ParseOptions = {}): SmsParser {
  const networks = {} as Record<Network, NetworkParser>
  for (const network of NETWORKS) {
    const own = compileFormats(network, options.formats?.[network] ?? [])
    const overridden = new Set(own.map((f) => f.id))
    const ordered = [...own, ...BUILT_IN[network].filter((f) => !overridden.has(f.id))]
    const senders = options.trustedSenders?.[network] ?? DEFAULT_TRUSTED_SENDERS[network]
    networks[network] = {
      formats: ordered.map((format) => ({
        format,
        fields: [...format.fields.map((f) => toSearch(f.field, f.regex)), ...FALLBACK_FIELDS[network]]
      })),
      trusted: new Set(senders.map(foldSender)),
      senders
    }
  }
  return {
    parse: (input) => parseWith(networks, input),
    trustedSenders: (network) => networks[network].senders
  }
}

let defaultParser: SmsParser | undefined
const parserCache = new WeakMap<ParseOptions, SmsParser>()

/** Parses one SMS. With options, the compiled parser is cached per options object. */
export function parseSms (input: SmsInput, options?: ParseOptions): ParsedSms {
  if (options === undefined) {
    defaultParser ??= createSmsParser()
    return defaultParser.parse(input)
  }
  let parser = parserCache.get(options)
  if (parser === undefined) {
    parser = createSmsParser(options)
    parserCache.set(options, parser)
  }
  return parser.parse(input)
}

function empty (network: Network, kind: 'unparsed' | 'untrusted'): ParsedSms {
  return {
    network, kind, amount: null, currency: null, payer_phone: null, payer_name: null, reference: null,
    transaction_id: null, balance: null, fee: null, time: null
  }
}

/**
 * Line breaks become \n; tabs, no-break and other exotic spaces become a space; zero-width and
 * control characters go. Patterns then only deal with ordinary whitespace.
 */
export function cleanText (text: string): string {
  return text
    .replace(/\r\n?|[\u2028\u2029\u0085]/g, '\n')
    .replace(/[\u200b-\u200d\u2060\ufeff]/g, '')
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g, ' ')
}

interface Span { value: string, start: number, end: number }

function search (s: FieldSearch, text: string): Span | null {
  if (s.field !== 'transaction_id') {
    const m = s.regex.exec(text)
    const v = m?.groups?.[s.field]
    const at = m?.indices?.groups?.[s.field]
    return v === undefined || at === undefined ? null : { value: v, start: at[0], end: at[1] }
  }
  // The last transaction id wins: see TRANSACTION_ID_FIELD.
  let last: Span | null = null
  s.global.lastIndex = 0
  for (let m = s.global.exec(text), n = 0; m !== null && n < 200; m = s.global.exec(text), n++) {
    const v = m.groups?.[s.field]
    const at = m.indices?.groups?.[s.field]
    if (v !== undefined && at !== undefined) last = { value: v, start: at[0], end: at[1] }
    if (m[0] === '') s.global.lastIndex++
  }
  return last
}

function parseWith (networks: Record<Network, NetworkParser>, input: SmsInput): ParsedSms {
  if (!isNetwork(input.network)) {
    throw new HarpoonError('unknown_network', `unknown network ${JSON.stringify(String(input.network))} (expected one of ${NETWORKS.join(', ')})`)
  }
  const net = networks[input.network]
  // Runtime guards: callers are typed, but raw rows and JSON lines reach here too.
  const sender = typeof input.sender === 'string' ? input.sender : ''
  if (!net.trusted.has(foldSender(sender))) return empty(input.network, 'untrusted')
  if (typeof input.text !== 'string' || input.text.length > MAX_TEXT_LENGTH) return empty(input.network, 'unparsed')
  const text = cleanText(input.text)

  for (const { format, fields } of net.formats) {
    const m = format.regex.exec(text)
    if (m === null) continue
    const raw: Partial<Record<FieldName, Span>> = {}
    for (const f of FIELD_NAMES) {
      const v = m.groups?.[f]
      const at = m.indices?.groups?.[f]
      if (v !== undefined && at !== undefined) raw[f] = { value: v, start: at[0], end: at[1] }
    }
    for (const s of fields) raw[s.field] ??= search(s, text) ?? undefined
    return build(input.network, format, raw, text)
  }
  return empty(input.network, 'unparsed')
}

function build (network: Network, format: CompiledFormat, raw: Partial<Record<FieldName, Span>>, text: string): ParsedSms {
  const locale = NETWORK_LOCALES[network]
  const amount = normaliseMoney(raw.amount?.value)
  const balance = normaliseMoney(raw.balance?.value)
  const fee = normaliseMoney(raw.fee?.value)
  let payerPhone = normalisePhone(raw.payer_phone?.value, locale.phone)
  let payerName = normaliseName(raw.payer_name?.value, locale.names)
  // "from 233244123456" with no name: the "name" is the payer's number.
  if (payerName !== null && payerPhone === null && normalisePhone(payerName, locale.phone) !== null) {
    payerPhone = normalisePhone(payerName, locale.phone)
    payerName = null
  }
  let reference = normaliseReference(raw.reference?.value)
  if (format.referenceStyle === 'cross_network' && reference !== null) {
    const split = splitCrossNetworkReference(reference)
    if (split !== null) {
      payerPhone ??= split.payer_phone
      payerName ??= split.payer_name
      reference = split.note
    }
  }
  const transactionId = normaliseTransactionId(raw.transaction_id?.value)
  const anyMoney = amount !== null || balance !== null || fee !== null
  const result: ParsedSms = {
    network,
    kind: format.kind,
    amount,
    currency: normaliseCurrency(raw.currency?.value) ?? (anyMoney ? locale.currency : null),
    payer_phone: payerPhone,
    payer_name: payerName,
    reference,
    transaction_id: transactionId,
    balance,
    fee,
    time: normaliseTime(raw.time?.value, locale.utcOffsetMinutes)
  }
  if (result.kind === 'credit') {
    if (NOT_A_CREDIT.test(telcoWording(text, raw, locale.guardStopsAtBalance))) result.kind = 'other'
    // Only a credit can pay an order, and only with an amount and the telco's id to dedupe on.
    else if (amount === null || amount === '0.00' || transactionId === null) result.kind = 'unparsed'
  }
  if (result.kind === 'debit' || result.kind === 'other') {
    // Payer fields describe a customer's payment; a debit's counterparty is the payee.
    result.payer_phone = null
    result.payer_name = null
  }
  return result
}

/**
 * The text the credit guard reads: everything but the payer's own note (blanked, so offsets stay),
 * and, where the network's receipts end in advertising, nothing after the balance clause.
 */
function telcoWording (text: string, raw: Partial<Record<FieldName, Span>>, stopAtBalance: boolean): string {
  const note = raw.reference
  const wording = note === undefined ? text : text.slice(0, note.start) + ' '.repeat(note.end - note.start) + text.slice(note.end)
  return stopAtBalance && raw.balance !== undefined ? wording.slice(0, raw.balance.end) : wording
}
