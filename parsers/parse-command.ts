import { createInterface } from 'node:readline'
import { isHarpoonError } from '../core/errors.js'
import { createSmsParser, type SmsParser } from './engine.js'
import { NETWORKS, isNetwork, type ParseOptions, type ParsedSms } from './types.js'

/**
 * `harpoon parse` (SPEC §3): the command adapter over the pure engine. It touches no file or
 * socket, only the streams it is handed, so daemon/cli.ts passes process.stdin/stdout/stderr and
 * the tests pass in-memory streams.
 *
 * Exit codes: 0 done; 1 with --jsonl when at least one line was bad (each bad line got an error
 * object, the rest were parsed); 2 a usage or configuration error (nothing was parsed).
 */

export interface ParseCommandArgs {
  /** mtn | telecel | at | ghanapay | mpesa | airtel_ke; default mtn. */
  network?: string
  /** Default: the network's first trusted sender, so an operator can paste a text as it came. */
  sender?: string
  /** The message; default stdin. Ignored with jsonl. */
  text?: string
  jsonl: boolean
  /** `networks.<net>.formats` from the config, already schema-checked or not: they are compiled here. */
  formats?: ParseOptions['formats']
  /** `networks.<net>.senders` from the config. */
  trustedSenders?: ParseOptions['trustedSenders']
}

export interface ParseCommandIo {
  stdin: NodeJS.ReadableStream
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

export interface ParseLineError { line: number, error: { code: string, message: string } }

/** Writes and waits for the stream to drain, so a large batch never piles up in memory. */
async function write (stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', resolve))
}

async function readAll (stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return Buffer.concat(chunks).toString('utf8')
}

const networkError = (value: unknown): string =>
  `unknown network ${JSON.stringify(value)} (expected one of ${NETWORKS.join(', ')})`

export async function runParseCommand (args: ParseCommandArgs, io: ParseCommandIo): Promise<number> {
  let parser: SmsParser
  try {
    parser = createSmsParser({ formats: args.formats, trustedSenders: args.trustedSenders })
  } catch (err) {
    await write(io.stderr, `harpoon parse: ${isHarpoonError(err) ? err.message : String(err)}\n`)
    return 2
  }
  if (args.jsonl) return await runBatch(parser, io)

  const network = args.network ?? 'mtn'
  if (!isNetwork(network)) {
    await write(io.stderr, `harpoon parse: ${networkError(network)}\n`)
    return 2
  }
  const sender = args.sender ?? parser.trustedSenders(network)[0] ?? ''
  // A piped message usually ends with the shell's newline, which is not part of the SMS.
  const text = args.text ?? (await readAll(io.stdin)).replace(/\r?\n$/, '')
  await write(io.stdout, `${JSON.stringify(parser.parse({ network, sender, text }))}\n`)
  return 0
}

/** One `{"network","sender","text"}` per line → one result (or one error object) per line. */
async function runBatch (parser: SmsParser, io: ParseCommandIo): Promise<number> {
  let failed = false
  let line = 0
  for await (const raw of createInterface({ input: io.stdin, crlfDelay: Infinity })) {
    line++
    if (raw.trim() === '') continue
    const result = parseLine(parser, raw, line)
    if ('error' in result) failed = true
    await write(io.stdout, `${JSON.stringify(result)}\n`)
  }
  return failed ? 1 : 0
}

function parseLine (parser: SmsParser, raw: string, line: number): ParsedSms | ParseLineError {
  const fail = (message: string): ParseLineError => ({ line, error: { code: 'invalid_line', message: `line ${line}: ${message}` } })
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return fail('not valid JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('expected a JSON object {"network","sender","text"}')
  const obj = value as Record<string, unknown>
  const network = obj['network'] ?? 'mtn'
  if (!isNetwork(network)) return fail(networkError(network))
  const sender = obj['sender'] ?? parser.trustedSenders(network)[0] ?? ''
  if (typeof sender !== 'string') return fail('"sender" must be a string')
  const text = obj['text']
  if (typeof text !== 'string') return fail('"text" must be a string')
  try {
    return parser.parse({ network, sender, text })
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err))
  }
}
