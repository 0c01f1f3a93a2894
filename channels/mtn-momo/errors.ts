import { HarpoonError } from '../../core/errors.js'
import { MTN_DECLINE_CODES, type MtnProduct } from './wire.js'

/** Every call the client makes, named as in legs and errors. */
export type MtnOperation =
  | 'token' | 'requesttopay' | 'requesttopay-status' | 'transfer' | 'transfer-status'
  | 'account-balance' | 'accountholder-active'

/**
 * Why a call failed, coarsely enough to act on:
 * - `timeout`, `network`: no answer (or half of one). Retryable; for a POST the outcome is unknown.
 * - `server_error`: a 5xx outage (INTERNAL_PROCESSING_ERROR, SERVICE_UNAVAILABLE, none). Retryable.
 * - `rate_limited`: 429. Retryable after `retryAfterMs` when MTN gives one.
 * - `bad_response`: a 2xx whose body is not what MTN documents. Retryable for reads.
 * - `declined`: a 500 carrying a business code (PAYER_NOT_FOUND, NOT_ENOUGH_FUNDS, …): MTN refused
 *   the transaction and created nothing. Not retryable; `mtnCode` says why.
 * - `invalid_request`: a 400, or refused before sending because MTN would 400 it. Not retryable.
 * - `unauthorized`: a 401 that a fresh token did not cure (wrong subscription key or credentials).
 * - `forbidden`: a 403 (MTN's IP allow-list, Disbursement). `not_found`: a 404 (unknown reference).
 * - `not_configured`: the product has no credentials in the channel's config.
 * - `unexpected`: any other status.
 */
export type MtnErrorKind =
  | 'timeout' | 'network' | 'server_error' | 'rate_limited' | 'bad_response' | 'declined'
  | 'invalid_request' | 'unauthorized' | 'forbidden' | 'not_found' | 'not_configured' | 'unexpected'

const RETRYABLE: ReadonlySet<MtnErrorKind> = new Set(['timeout', 'network', 'server_error', 'rate_limited', 'bad_response'])

export interface MtnErrorFacts {
  kind: MtnErrorKind
  product: MtnProduct
  operation: MtnOperation
  httpStatus?: number | null
  mtnCode?: string | null
  mtnMessage?: string | null
  retryAfterMs?: number | null
  /** True when the request may have reached MTN and taken effect (a POST that timed out or got a 5xx). */
  ambiguous?: boolean
  details?: ReadonlyArray<{ field: string, message: string }>
}

/**
 * The one error the client throws. `retryable` says whether repeating the same call (same
 * reference id) is safe and may succeed; `ambiguous` whether MTN may already have acted on it, so
 * the caller must settle the truth with a status query rather than assume a failure.
 */
export class MtnError extends HarpoonError {
  readonly kind: MtnErrorKind
  readonly product: MtnProduct
  readonly operation: MtnOperation
  readonly retryable: boolean
  readonly ambiguous: boolean
  readonly httpStatus: number | null
  readonly mtnCode: string | null
  readonly mtnMessage: string | null
  readonly retryAfterMs: number | null

  constructor (message: string, facts: MtnErrorFacts, options?: ErrorOptions) {
    super(`mtn_${facts.kind}`, message, facts.details ?? [], options)
    this.name = 'MtnError'
    this.kind = facts.kind
    this.product = facts.product
    this.operation = facts.operation
    this.retryable = RETRYABLE.has(facts.kind)
    this.ambiguous = facts.ambiguous ?? false
    this.httpStatus = facts.httpStatus ?? null
    this.mtnCode = facts.mtnCode ?? null
    this.mtnMessage = facts.mtnMessage ?? null
    this.retryAfterMs = facts.retryAfterMs ?? null
  }
}

export function isMtnError (err: unknown): err is MtnError {
  return err instanceof MtnError
}

/** MTN's error body `{code, message}`; Azure's gateway answers `{statusCode, message}`, the token endpoint `{error}`. */
export function readErrorBody (text: string): { code: string | null, message: string | null } {
  try {
    const o = JSON.parse(text) as Record<string, unknown>
    const code = typeof o['code'] === 'string' ? o['code'] : typeof o['error'] === 'string' ? o['error'] : null
    const message = typeof o['message'] === 'string' ? o['message'] : null
    return { code, message }
  } catch {
    return { code: null, message: text === '' ? null : text.slice(0, 200) }
  }
}

/** The error for an HTTP answer the operation does not treat as success. */
/** `idempotent`: false for the POSTs that create a payment, whose 5xx leaves the outcome unknown. */
export function errorForStatus (product: MtnProduct, operation: MtnOperation, idempotent: boolean, statusCode: number, body: string, retryAfterMs: number | null): MtnError {
  const { code, message } = readErrorBody(body)
  const facts = { product, operation, httpStatus: statusCode, mtnCode: code, mtnMessage: message }
  const what = `MTN ${operation} answered HTTP ${statusCode}${code === null ? '' : ` ${code}`}`
  if (statusCode === 400) return new MtnError(what, { ...facts, kind: 'invalid_request' })
  if (statusCode === 401) return new MtnError(`${what}: check the ${product} subscription key, API user and API key`, { ...facts, kind: 'unauthorized' })
  if (statusCode === 403) return new MtnError(`${what}: MTN refuses this IP address (ask MTN to allow-list it)`, { ...facts, kind: 'forbidden' })
  if (statusCode === 404) return new MtnError(what, { ...facts, kind: 'not_found' })
  if (statusCode === 429) return new MtnError(what, { ...facts, kind: 'rate_limited', retryAfterMs })
  if (statusCode >= 500 && code !== null && MTN_DECLINE_CODES.has(code)) return new MtnError(what, { ...facts, kind: 'declined' })
  if (statusCode >= 500) return new MtnError(what, { ...facts, kind: 'server_error', ambiguous: !idempotent, retryAfterMs })
  return new MtnError(what, { ...facts, kind: 'unexpected' })
}
