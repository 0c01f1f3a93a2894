import { HarpoonError } from '../../core/errors.js'

/**
 * Whether a failed call may simply be made again:
 * - `safe`: yes, with back-off. The call changes nothing at iPay (status, search, IPN), only opens a
 *   session (transact), or never reached iPay (connection refused, DNS, connect timeout).
 * - `after_check`: it may have taken effect (an STK push or a refund whose answer was lost): learn
 *   the truth first (`status`/`search`), or a customer gets a second prompt or is refunded twice.
 * - `no`: iPay answered and refused; the same request gets the same answer (a wrong hash, an
 *   unknown sid, a bad field). Fix the configuration or the request.
 */
export type IpayRetry = 'safe' | 'after_check' | 'no'

export type IpayCall = 'transact' | 'stk_push' | 'status' | 'search' | 'refund' | 'ipn'

export type IpayErrorCode =
  | 'ipay_timeout' // no answer within the timeout
  | 'ipay_unreachable' // connection refused, reset, DNS failure
  | 'ipay_server_error' // HTTP 5xx
  | 'ipay_rejected' // iPay answered with an error it explains (bad hash, unknown sid, missing field)
  | 'ipay_bad_response' // an answer this client cannot read
  | 'ipay_invalid_request' // refused before sending (a phone or amount iPay cannot take)

export class IpayError extends HarpoonError {
  readonly call: IpayCall
  readonly retry: IpayRetry
  /** iPay's HTTP status, null when none came. */
  readonly statusCode: number | null

  constructor (code: IpayErrorCode, call: IpayCall, retry: IpayRetry, message: string, statusCode: number | null = null, options?: ErrorOptions) {
    super(code, `iPay ${call}: ${message}`, [], options)
    this.name = 'IpayError'
    this.call = call
    this.retry = retry
    this.statusCode = statusCode
  }

  get retrySafe (): boolean { return this.retry === 'safe' }
}
