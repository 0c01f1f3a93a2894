import type { ProviderLeg } from '../channel.js'
import type { MtnOperation } from './errors.js'
import type { MtnProduct } from './wire.js'

/**
 * One HTTP exchange with MTN, as the channel's audit log keeps it. Secrets never appear: the
 * Authorization and subscription-key headers, tokens and keys in bodies, and any known secret value
 * anywhere in the text are replaced by `[redacted]` before the record leaves the client.
 */
export interface MtnLeg extends ProviderLeg {
  product: MtnProduct
  operation: MtnOperation
  method: 'GET' | 'POST'
}

export const REDACTED = '[redacted]'

/** Headers that carry credentials, whatever their case. */
const SECRET_HEADERS = new Set(['authorization', 'ocp-apim-subscription-key'])
/** JSON keys whose values are credentials, in MTN's bodies or anyone's. */
const SECRET_KEYS = new Set(['access_token', 'refresh_token', 'token', 'apikey', 'api_key', 'subscription_key', 'password', 'secret'])

/**
 * Scrubs credentials from what the client reports. Knows the product's secrets by value (subscription
 * key, API key, the Basic credential, every token it minted) as well as by position (header and JSON
 * key names), so a secret echoed somewhere unexpected is caught too.
 */
export class Redactor {
  readonly #values = new Set<string>()
  /** Tokens minted lately: an hour-long token may be echoed for a while after its successor came. */
  readonly #tokens: string[] = []

  /** Remembers a secret value; values shorter than 8 characters are ignored (they would mask ordinary text). */
  add (value: string): void {
    if (value.length >= 8) this.#values.add(value)
  }

  addToken (token: string): void {
    if (token.length < 8 || this.#tokens.includes(token)) return
    this.#tokens.push(token)
    if (this.#tokens.length > 4) this.#tokens.shift()
  }

  text (input: string): string {
    let out = input
    for (const v of [...this.#values, ...this.#tokens]) out = out.split(v).join(REDACTED)
    return out
  }

  headers (headers: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [name, value] of Object.entries(headers)) out[name] = SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : this.text(value)
    return out
  }

  /** A body: JSON gets its secret keys masked (at any depth); any text gets known values masked. */
  body (input: string | null): string | null {
    if (input === null || input === '') return input
    let masked = input
    try {
      masked = JSON.stringify(maskKeys(JSON.parse(input)))
    } catch { /* not JSON: value scrubbing below still applies */ }
    return this.text(masked)
  }
}

function maskKeys (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskKeys)
  if (typeof value !== 'object' || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.has(k.toLowerCase()) ? REDACTED : maskKeys(v)
  return out
}
