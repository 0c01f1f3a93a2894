import { randomHex } from '../../core/ids.js'
import { kenyaInternational, normaliseKenyaPhone } from '../../core/phone.js'
import {
  ChannelCallError, REFUND_UNCONFIRMED, type CallbackHint, type CallbackRequest, type CallbackVerification, type Channel, type ChannelSession, type ManualPayTo,
  type ProviderLeg, type ProviderRequest, type ProviderVerdict
} from '../channel.js'
import { ConfiguredChannel, type ChannelIdentity } from '../configured-channel.js'
import { IpayClient, type IpayConfig, type StkMethod } from './client.js'
import { IpayError } from './errors.js'
import { isFinal, type FailureKind, type IpayOutcome } from './outcomes.js'

/** What an iPay channel is made from: the validated config entry (config/load.ts ChannelSettings). */
export interface IpayChannelSettings extends IpayConfig, Omit<ChannelIdentity, 'currency'> {
  /** Where iPay calls back (`/v1/channels/{id}/callback`, at most 100 characters); null until known (embedded). */
  callback_url: string | null
}

export interface IpayChannelOptions {
  timeoutMs: number
  /** Every exchange with iPay, redacted by the client (no hash key, no computed hash). */
  onLeg: (leg: ProviderLeg) => Promise<void>
  embedded?: boolean
}

/** Our order id at iPay (`oid`, echoed as the callback's `id`/`ivm`): 15 characters, so it is the invoice number too. */
const REFERENCE = /^hpn[0-9a-f]{12}$/

/** The payment's failure_reason for each way an STK prompt ends without money. */
export const IPAY_FAILURE_REASONS: Readonly<Record<FailureKind, string>> = {
  cancelled: 'CANCELLED',
  wrong_pin: 'WRONG_PIN',
  insufficient_funds: 'INSUFFICIENT_FUNDS',
  timed_out: 'TIMED_OUT'
}

/** iPay's `channel` field → the network the money moved on (the SMS side's ids, so an M-Pesa SMS of the same receipt counts once). */
function networkOf (channel: string | null, method: string | null): string {
  const c = (channel ?? method ?? '').toUpperCase()
  return c.startsWith('AIRTEL') ? 'airtel_ke' : 'mpesa'
}

/** A push refused for a hash or vendor problem is ours to fix, not the customer's. */
const OPERATOR_PROBLEM = /hash|vendor|vid/i

/**
 * The `ipay` channel (issue 15): iPay Africa's REST API for M-Pesa and Airtel Money STK pushes in
 * Kenya. The session (`transact`) is opened before the payment commits, so the initialize can say
 * where to pay by hand; the push goes through the outbox. Outcomes come from iPay's answers to our
 * own signed reads (`transact/mobilemoney`, then `transaction/search` for why a prompt failed), and
 * a callback is believed only as far as the IPN confirms it. channels/ipay/README.md has the rest.
 */
export class IpayChannel extends ConfiguredChannel implements Channel {
  readonly type = 'ipay' as const
  readonly country = 'KE'
  readonly environment: string
  /** M-Pesa unless iPay says the money came by Airtel Money (per payment: the verdict's network). */
  readonly network = 'mpesa'
  readonly methods: readonly StkMethod[] = ['mpesa', 'airtel']
  readonly canRefund = true
  readonly #client: IpayClient

  constructor (settings: IpayChannelSettings, options: IpayChannelOptions) {
    super(settings, options.embedded)
    this.environment = settings.live ? 'live' : 'test'
    this.#client = new IpayClient(settings, {
      timeoutMs: options.timeoutMs,
      onLeg: (leg) => {
        // The channel's recorder (channels/legs.ts) logs a failed write itself and never rejects.
        options.onLeg({
          operation: leg.call, referenceId: null, method: leg.method, url: leg.url, requestHeaders: {}, requestBody: leg.requestBody,
          statusCode: leg.statusCode, responseBody: leg.responseBody, error: leg.error, startedAt: leg.startedAt, durationMs: leg.durationMs
        }).catch(() => undefined)
      }
    })
  }

  displayPhone (input: string): string | null { return normaliseKenyaPhone(input) }

  providerPhone (display: string): string | null {
    const kenyan = normaliseKenyaPhone(display)
    return kenyan === null ? null : kenyaInternational(kenyan)
  }

  newReference (): string { return `hpn${randomHex(6)}` }

  /** `transact`: the sid the push and the status reads use, and the paybill account for paying by hand. */
  async openSession (request: Omit<ProviderRequest, 'session' | 'originalTransactionId'>): Promise<ChannelSession> {
    const callbackUrl = this.callbackUrl
    if (callbackUrl === null) throw new ChannelCallError(`${this.id} does not know its callback URL yet`, { disposition: 'retry', operatorProblem: true })
    try {
      const session = await this.#client.transact({ oid: request.referenceId, amountMinor: request.amountMinor, phone: request.party, callbackUrl })
      const account = session.account ?? request.referenceId
      const payTo: ManualPayTo[] = session.paybills.map((p) => ({ network: networkOf(p.channel, null), paybill: p.paybill, account }))
      return { session: { sid: session.sid, ...(session.account === null ? {} : { account: session.account }) }, payTo }
    } catch (err) {
      throw channelError(err)
    }
  }

  /**
   * The STK push on the session. A push whose answer was lost is never repeated (the customer
   * would be prompted twice): it counts as held, and the status reads tell what happened.
   */
  async collect (request: ProviderRequest): Promise<ProviderVerdict | undefined> {
    const sid = request.session?.['sid']
    if (sid === undefined) throw new ChannelCallError('the collection has no iPay session (sid)', { disposition: 'declined', reason: 'NO_SESSION' })
    try {
      await this.#client.stkPush({ method: request.method === 'airtel' ? 'airtel' : 'mpesa', phone: request.party, sid })
      return undefined
    } catch (err) {
      if (err instanceof IpayError && err.retry === 'after_check') return { state: 'pending', providerStatus: 'PUSH_UNCONFIRMED' }
      if (err instanceof IpayError && err.retry === 'no' && !OPERATOR_PROBLEM.test(err.message)) {
        // Refused, perhaps because the session is already paid (a push resent after a crash): ask before failing it.
        const verdict = await this.collectionStatus(request.referenceId, request)
        if (verdict.state !== 'pending') return verdict
      }
      throw channelError(err)
    }
  }

  /** `transact/mobilemoney` for the money; while it says pending, `transaction/search` for why a prompt ended without any. */
  async collectionStatus (referenceId: string, request?: ProviderRequest): Promise<ProviderVerdict> {
    const sid = request?.session?.['sid']
    try {
      let outcome: IpayOutcome | null = sid === undefined ? null : await this.#client.status({ sid })
      if (outcome === null || !isFinal(outcome)) outcome = await this.#client.search({ oid: referenceId, amountMinor: request?.amountMinor ?? 0 })
      return this.#verdict(outcome, request)
    } catch (err) {
      throw channelError(err)
    }
  }

  /**
   * `transaction/refund` of the collection's receipt. iPay answers at once ("status 200" or a
   * refusal); a refund whose answer was lost is never repeated (it could pay out twice): it stays
   * pending for an operator (iPay has no refund status call).
   */
  async refund (request: ProviderRequest): Promise<ProviderVerdict | undefined> {
    if (request.originalTransactionId === null) throw new ChannelCallError('the payment has no iPay receipt to refund', { disposition: 'declined', reason: 'NO_RECEIPT' })
    try {
      const r = await this.#client.refund({ code: request.originalTransactionId, amountMinor: request.amountMinor })
      if (!r.ok) return { state: 'failed', providerStatus: `${r.status ?? ''} ${r.text}`.trim().slice(0, 200), reason: `REFUND_REFUSED_${r.status ?? 'UNKNOWN'}` }
      return { state: 'succeeded', providerStatus: r.text.slice(0, 200), amountMinor: r.amountMinor, currency: request.currency, providerTransactionId: null, partyPhone: null }
    } catch (err) {
      if (err instanceof IpayError && err.retry === 'after_check') return { state: 'pending', providerStatus: REFUND_UNCONFIRMED }
      throw channelError(err)
    }
  }

  /** iPay has no refund status: a refund without a final answer waits for an operator (logged by the outbox when it gives up). */
  async refundStatus (): Promise<ProviderVerdict> {
    return { state: 'pending', providerStatus: REFUND_UNCONFIRMED }
  }

  /** iPay's callback is a GET whose `id` (and `ivm`) is our oid, the collection's reference. */
  callbackHint (callback: CallbackRequest): CallbackHint | null {
    const id = [callback.query['id'], callback.query['ivm']].find((v): v is string => v !== undefined && REFERENCE.test(v))
    return id === undefined ? null : { referenceId: id, externalId: null }
  }

  /** The IPN round trip: iPay's answer for the callback's identifiers, compared with the status it claimed. */
  async verifyCallback (callback: CallbackRequest): Promise<CallbackVerification> {
    try {
      const check = await this.#client.verifyIpn(callback.query)
      const said = `callback claimed ${JSON.stringify(check.claimed)}, IPN answered ${JSON.stringify(check.ipnStatus)} (${check.outcome.text})`
      return check.contradicted || check.ipnStatus === null ? { verdict: 'forged', detail: said } : { verdict: 'confirmed', detail: said }
    } catch (err) {
      return { verdict: 'unverifiable', detail: (err as Error).message }
    }
  }

  callbackUrlFor (): string | null { return this.callbackUrl }

  async close (): Promise<void> { await this.#client.close() }

  #verdict (outcome: IpayOutcome, request: ProviderRequest | undefined): ProviderVerdict {
    switch (outcome.kind) {
      case 'paid':
      case 'less':
      case 'more':
      case 'used':
        return {
          state: 'succeeded',
          providerStatus: outcome.kind,
          amountMinor: outcome.payment.amountMinor,
          currency: request?.currency ?? this.currency,
          providerTransactionId: outcome.payment.receipt,
          partyPhone: outcome.payment.payerPhone,
          partyName: outcome.payment.payerName,
          network: networkOf(outcome.payment.channel, request?.method ?? null),
          amountDifference: 'as_paid',
          ...(outcome.kind === 'used' ? { review: 'receipt_used' } : {})
        }
      case 'cancelled':
      case 'wrong_pin':
      case 'insufficient_funds':
      case 'timed_out':
        return { state: 'failed', providerStatus: outcome.kind, reason: IPAY_FAILURE_REASONS[outcome.kind] }
      case 'pending':
      case 'unverified':
        return { state: 'pending', providerStatus: outcome.kind }
    }
  }
}

/** An IpayError as the outbox needs it: retry when it may succeed later or is the operator's to fix; declined when iPay refused the request itself. */
function channelError (err: unknown): ChannelCallError {
  if (err instanceof ChannelCallError) return err
  if (!(err instanceof IpayError)) return new ChannelCallError(`iPay call failed: ${(err as Error).message}`, { disposition: 'retry', ambiguous: true }, { cause: err })
  if (err.retry === 'no') {
    if (err.code === 'ipay_invalid_request') return new ChannelCallError(err.message, { disposition: 'declined', reason: 'INVALID_REQUEST' }, { cause: err })
    // A wrong hash or vendor is a configuration problem (and an unknown sid could be iPay's): retried, logged as an error.
    return new ChannelCallError(err.message, { disposition: 'retry', operatorProblem: true }, { cause: err })
  }
  return new ChannelCallError(err.message, { disposition: 'retry', ambiguous: err.retry === 'after_check' }, { cause: err })
}
