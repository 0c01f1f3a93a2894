/** Public surface of the parsers: what the daemon, the ledger and the config module import. */
export { parseSms, createSmsParser, cleanText, MAX_TEXT_LENGTH, type SmsParser } from './engine.js'
export { FormatEntrySchema, FormatListSchema, checkFormats, compileFormats, type CompiledFormat, type FormatEntryInput, type FormatProblem } from './format-schema.js'
export { BUILT_IN_FORMATS, DEFAULT_TRUSTED_SENDERS, NETWORK_LOCALES } from './formats/index.js'
export {
  FIELD_NAMES, FORMAT_KINDS, NETWORKS, SMS_KINDS, isNetwork,
  type FieldName, type FormatEntry, type FormatKind, type Network, type ParseOptions, type ParsedSms, type SmsInput, type SmsKind
} from './types.js'
export { reversedTransactionId } from './reversal.js'
