import { HarpoonError } from '../core/errors.js'
import type { ChannelType, Mode } from '../core/enums.js'

/**
 * The shape every channel shares: what the API, the outbox worker and the callback route call
 * without knowing the provider. A channel collects money for a payment (the provider prompts the
 * customer), tells the truth about a transaction when asked, pays money back, and reads which
 * transaction a callback names. It holds no state of its own: the ledger's channel_transactions
 * are the durable outbox its calls are made from (channels/outbound.ts), so every method is one
 * provider call, idempotent by the reference it is given.
 */

/** What the provider says about one transaction, in the channel's own words mapped to four states. */
/**
 * A refund the provider may have paid but cannot confirm: iPay has no refund-status call, so after a
 * lost answer nothing but an operator (looking at the provider's portal) can say what happened.
 */
export const REFUND_UNCONFIRMED = 'REFUND_UNCONFIRMED'

export type ProviderVerdict =
  | { state: 'pending', providerStatus: string }
  | {
      state: 'succeeded'
      providerStatus: string
      /** As the provider reports it; null when it did not say (then the request's amount is assumed). */
      amountMinor: number | null
      currency: string | null
      /** The provider's own transaction id (MTN's financialTransactionId): the credit's telco transaction id. */
      providerTransactionId: string | null
      /** The payer (collection) or payee (refund) in the display form of the channel's country. */
      partyPhone: string | null
      /** The payer's name as the provider registered it (iPay's `msisdn_id`); absent: not given. */
      partyName?: string | null | undefined
      /** The telco the money moved on, when the provider says and it is not the channel's own (iPay: M-Pesa or Airtel). */
      network?: string | undefined
      /**
       * What an amount other than the one asked means. `review` (the default): the provider was not
       * supposed to move another amount, a person looks. `as_paid`: the provider reports what the
       * customer chose to pay (iPay's "less" and "more"): PARTIAL or OVERPAID as for an SMS.
       */
      amountDifference?: 'review' | 'as_paid' | undefined
      /** The provider flags the money as doubtful (iPay's "used": a receipt seen before): the credit's risk flag, MANUAL_REVIEW whatever the amount. */
      review?: string | undefined
    }
  | { state: 'failed', providerStatus: string, reason: string }
  /** The provider holds no transaction with this reference (MTN's 404): it never got it, or forgot it. */
  | { state: 'unknown' }

/** One provider call to make, built from a channel transaction. */
export interface ProviderRequest {
  /** Chosen (with `Channel.newReference`) and stored before the first call; resent unchanged. */
  referenceId: string
  amountMinor: number
  currency: string
  /** The payer (collection) or payee (refund) in the international form the provider takes. */
  party: string
  /** What the app knows the transaction by (the payment's reference, or a proxy app's externalId). */
  externalId: string
  payerMessage: string
  payeeNote: string
  /** For a refund: the collection's provider transaction id, for providers that refund a transaction rather than pay a number. */
  originalTransactionId: string | null
  /** How the customer pays, for a channel with several ways (`Channel.methods`: iPay's mpesa, airtel); null otherwise. */
  method: string | null
  /** What `Channel.openSession` got from the provider before the commit (iPay's sid); null when the channel opens none. */
  session: Readonly<Record<string, string>> | null
}

/** Where a customer can pay by hand what the channel's prompt asks (iPay: a paybill and an account number). */
export interface ManualPayTo {
  network: string
  /** The number to pay to: a paybill (business number). */
  paybill: string
  account: string
}

/**
 * A provider session opened before the payment is committed (iPay's `transact`: no money moves,
 * repeating it is harmless). Stored with the collection; the send after the commit uses it.
 */
export interface ChannelSession {
  session: Record<string, string>
  payTo: ManualPayTo[]
}

/** What a provider's own check of a callback concluded (iPay's IPN round trip). */
export type CallbackVerification =
  /** The provider confirms what the callback claims: check the transaction now. */
  | { verdict: 'confirmed', detail: string }
  /** The provider contradicts it: a forgery or a replay. It changes nothing. */
  | { verdict: 'forged', detail: string }
  /** The provider could not be asked (unreachable): the transaction is checked anyway, as for an unverified callback. */
  | { verdict: 'unverifiable', detail: string }

/**
 * Why a call got no usable answer. `retry`: the same call may succeed later (timeout, 5xx, network,
 * and configuration problems an operator can fix); `declined`: the provider refused the transaction
 * and created nothing, `reason` says why. `ambiguous`: the provider may have acted although we got no
 * answer, so the transaction must never be taken as failed: resend the same reference, or ask.
 */
export class ChannelCallError extends HarpoonError {
  readonly disposition: 'retry' | 'declined'
  readonly ambiguous: boolean
  readonly reason: string | null
  readonly retryAfterMs: number | null
  /** A problem of our configuration (credentials, IP allow-list), worth an error in the log. */
  readonly operatorProblem: boolean

  constructor (message: string, facts: { disposition: 'retry' | 'declined', ambiguous?: boolean, reason?: string | null, retryAfterMs?: number | null, operatorProblem?: boolean }, options?: ErrorOptions) {
    super(`channel_${facts.disposition}`, message, [], options)
    this.name = 'ChannelCallError'
    this.disposition = facts.disposition
    this.ambiguous = facts.ambiguous ?? false
    this.reason = facts.reason ?? null
    this.retryAfterMs = facts.retryAfterMs ?? null
    this.operatorProblem = facts.operatorProblem ?? false
  }
}

/** What a callback request carried, as received (nothing in it is believed). */
export interface CallbackRequest {
  query: Readonly<Record<string, string | undefined>>
  /** The parsed JSON body, or null when it was not JSON. */
  body: unknown
}

/** Which transaction a callback names: a provider reference, else the app's id the provider echoed. */
export interface CallbackHint {
  referenceId: string | null
  externalId: string | null
}

/** What the API shows of a channel (`GET /v1/channels`): never a credential. */
export interface ChannelInfo {
  readonly id: string
  readonly type: ChannelType
  /** Payments of this mode only: test keys use test channels. */
  readonly mode: Mode
  /** The merchant whose payments it collects; null: every merchant's (the embedded simulator). */
  readonly merchantId: string | null
  readonly currency: string
  /** Whose numbers it takes (core/phone.ts); null: any international number (MTN's sandbox). */
  readonly country: string | null
  /** The provider's environment (MTN's X-Target-Environment; iPay: live or test). */
  readonly environment: string
  /** Ways to pay the initialize's `method` chooses from, the first the default; empty: the field is refused. */
  readonly methods: readonly string[]
  /** The telco the money moves on: the payments' `telco_provider` and their credits' network. */
  readonly network: string
  /** It can pay money back (MTN: disbursement credentials configured). */
  readonly canRefund: boolean
  /** The provider is told where to call back; without it the outbox's polling alone settles. */
  readonly callbacks: boolean
  /** The daemon's own simulator (test mode, `npm start` without channels). */
  readonly embedded: boolean
}

export interface Channel extends ChannelInfo {
  /** A customer's number as typed → display form for this channel's country, or null when it is not one. */
  displayPhone: (input: string) => string | null
  /** Display form → the international form the provider takes, or null when the number is not of this channel's country. */
  providerPhone: (display: string) => string | null
  /** A fresh reference in the provider's format (MTN: a UUIDv4), stored before the first call. */
  newReference: () => string
  /**
   * Opens the provider's session for a collection before its payment is committed (iPay's transact:
   * a sid and the paybill account a customer can pay by hand). Absent: the channel needs none.
   * Throws ChannelCallError; nothing is committed then.
   */
  openSession?: (request: Omit<ProviderRequest, 'session' | 'originalTransactionId'>) => Promise<ChannelSession>
  /**
   * Asks the provider to collect; resolves once it holds the request (also when it already did),
   * with a verdict when the provider's answer already is one (else the outbox checks later). Throws ChannelCallError.
   */
  collect: (request: ProviderRequest) => Promise<ProviderVerdict | undefined>
  /** `request` is the stored call (providers that ask by more than the reference: iPay's sid and amount). */
  collectionStatus: (referenceId: string, request?: ProviderRequest) => Promise<ProviderVerdict>
  /** Pays money back; resolves once the provider holds the request, with its verdict when it answered at once. Throws ChannelCallError. */
  refund: (request: ProviderRequest) => Promise<ProviderVerdict | undefined>
  refundStatus: (referenceId: string, request?: ProviderRequest) => Promise<ProviderVerdict>
  /** Which transaction a callback names, if any. A hint for a status check, never a verdict. */
  callbackHint: (callback: CallbackRequest) => CallbackHint | null
  /** Asks the provider whether a callback is genuine (iPay's IPN). Absent: callbacks are only hints (MTN). */
  verifyCallback?: (callback: CallbackRequest) => Promise<CallbackVerification>
  /** The URL the provider is told to call back for this reference, or null (polling only). */
  callbackUrlFor: (referenceId: string) => string | null
  close: () => Promise<void>
}

/** One HTTP exchange of a channel with its provider, already redacted (the audit log's provider_call). */
export interface ProviderLeg {
  operation: string
  /** The provider reference of the transaction the call is about; null for token and account calls. */
  referenceId: string | null
  method: string
  url: string
  requestHeaders: Record<string, string>
  requestBody: string | null
  /** Null when no answer came (timeout, network error). */
  statusCode: number | null
  responseBody: string | null
  /** Why no usable answer came (timeout, network error); null otherwise. */
  error: string | null
  /** Epoch ms when the request was sent. */
  startedAt: number
  durationMs: number
}
