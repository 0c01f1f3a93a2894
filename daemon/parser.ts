import type { Config } from '../config/load.js'
import { NETWORKS } from '../config/schema.js'
import { createSmsParser, type SmsParser } from '../parsers/index.js'
import type { ParseOptions } from '../parsers/types.js'

/** The parser options a configuration asks for: operator formats and trusted sender lists. */
export function parseOptionsFrom (config: Config): ParseOptions {
  const formats: NonNullable<ParseOptions['formats']> = {}
  const trustedSenders: NonNullable<ParseOptions['trustedSenders']> = {}
  for (const net of NETWORKS) {
    const settings = config.networks[net]
    if (settings.formats.length > 0) formats[net] = settings.formats
    if (settings.senders !== undefined) trustedSenders[net] = settings.senders
  }
  return { formats, trustedSenders }
}

export function parserFrom (config: Config): SmsParser {
  return createSmsParser(parseOptionsFrom(config))
}
