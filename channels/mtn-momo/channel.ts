import { randomUUID } from 'node:crypto'
import { formatAmount, parseAmount } from '../../core/money.js'
import { internationalPhone, normaliseAnyInternational, normalisePhone } from '../../core/phone.js'
import type { Clock } from '../../core/time.js'
import { ChannelCallError, type CallbackHint, type CallbackRequest, type Channel, type ProviderLeg, type ProviderRequest, type ProviderVerdict } from '../channel.js'
import { ConfiguredChannel, type ChannelIdentity } from '../configured-channel.js'
import { MtnMomoClient, type MtnProductCredentials } from './client.js'
import { isMtnError } from './errors.js'
import type { MtnTransactionState } from './transaction.js'
import { isUuidV4, safeMtnNote } from './wire.js'

/** What an MTN channel is made from: the validated config entry (config/load.ts ChannelSettings). */
export interface MtnChannelSettings extends ChannelIdentity {
  base_url: string
  target_environment: string
  country: string | null
  collection: MtnProductCredentials
  disbursement?: MtnProductCredentials | undefined
}

export interface MtnChannelOptions {
  timeoutMs: number
  /** Every exchange with MTN, token calls included, redacted by the client. */
  onLeg: (leg: ProviderLeg) => Promise<void>
  clock?: Clock
  embedded?: boolean
}

/** The callback URL's query parameter that carries the reference (MTN's callback body has none). */
export const CALLBACK_REFERENCE_PARAM = 'reference'

/**
 * The `mtn_momo` channel: MTN MoMo Open API Collection (request to pay) and Disbursement (refunds as
 * transfers to the payer's number) through MtnMomoClient. Sources and decisions:
 * channels/mtn-momo/README.md.
 */
export class MtnMomoChannel extends ConfiguredChannel implements Channel {
  readonly type = 'mtn_momo' as const
  readonly country: string | null
  readonly environment: string
  readonly network = 'mtn'
  readonly methods: readonly string[] = []
  readonly canRefund: boolean
  readonly #client: MtnMomoClient

  constructor (settings: MtnChannelSettings, options: MtnChannelOptions) {
    super(settings, options.embedded)
    this.country = settings.country
    this.environment = settings.target_environment
    this.canRefund = settings.disbursement !== undefined
    this.#client = new MtnMomoClient(settings, {
      timeoutMs: options.timeoutMs,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      // Collection and Disbursement each mint their own token: say whose.
      onLeg: async (leg) => { await options.onLeg({ ...leg, operation: leg.operation === 'token' ? `${leg.product}-token` : leg.operation }) }
    })
  }

  displayPhone (input: string): string | null {
    return this.country === null ? normaliseAnyInternational(input) : normalisePhone(this.country, input)
  }

  providerPhone (display: string): string | null {
    if (this.country === null) return normaliseAnyInternational(display)?.slice(1) ?? null
    return internationalPhone(this.country, display)
  }

  newReference (): string {
    return randomUUID()
  }

  async collect (request: ProviderRequest): Promise<undefined> {
    await this.#call(async () => {
      await this.#client.requestToPay({ ...this.#body(request), payer: { partyIdType: 'MSISDN', partyId: request.party } })
    })
    return undefined
  }

  async collectionStatus (referenceId: string): Promise<ProviderVerdict> {
    return await this.#status(async () => {
      const state = await this.#client.requestToPayStatus(referenceId)
      return { state, party: state.payer?.partyId ?? null }
    })
  }

  async refund (request: ProviderRequest): Promise<undefined> {
    await this.#call(async () => {
      await this.#client.transfer({ ...this.#body(request), payee: { partyIdType: 'MSISDN', partyId: request.party } })
    })
    return undefined
  }

  async refundStatus (referenceId: string): Promise<ProviderVerdict> {
    return await this.#status(async () => {
      const state = await this.#client.transferStatus(referenceId)
      return { state, party: state.payee?.partyId ?? null }
    })
  }

  /**
   * MTN's callback body is the status object: no reference id, only our `externalId`. The reference
   * comes back in the callback URL's query, which we set; a body `referenceId` (some gateways add
   * one) is read too. Either only says which transaction to ask MTN about.
   */
  callbackHint (callback: CallbackRequest): CallbackHint | null {
    const fromQuery = callback.query[CALLBACK_REFERENCE_PARAM]
    const body = typeof callback.body === 'object' && callback.body !== null ? callback.body as Record<string, unknown> : {}
    const fromBody = typeof body['referenceId'] === 'string' ? body['referenceId'] : undefined
    const referenceId = [fromQuery, fromBody].find((r): r is string => r !== undefined && isUuidV4(r)) ?? null
    const externalId = typeof body['externalId'] === 'string' && body['externalId'].length <= 200 ? body['externalId'] : null
    return referenceId === null && externalId === null ? null : { referenceId: referenceId?.toLowerCase() ?? null, externalId }
  }

  callbackUrlFor (referenceId: string): string | null {
    if (this.callbackUrl === null) return null
    const url = new URL(this.callbackUrl)
    url.searchParams.set(CALLBACK_REFERENCE_PARAM, referenceId)
    return url.href
  }

  async close (): Promise<void> {
    await this.#client.close()
  }

  #body (request: ProviderRequest): { referenceId: string, amount: string, currency: string, externalId: string, payerMessage: string, payeeNote: string, callbackUrl?: string } {
    const callbackUrl = this.callbackUrlFor(request.referenceId)
    return {
      referenceId: request.referenceId,
      amount: formatAmount(request.amountMinor),
      currency: request.currency,
      externalId: request.externalId,
      payerMessage: safeMtnNote(request.payerMessage),
      payeeNote: safeMtnNote(request.payeeNote),
      ...(callbackUrl === null ? {} : { callbackUrl })
    }
  }

  async #call (fn: () => Promise<void>): Promise<void> {
    try {
      await fn()
    } catch (err) {
      throw channelError(err)
    }
  }

  async #status (read: () => Promise<{ state: MtnTransactionState, party: string | null }>): Promise<ProviderVerdict> {
    let found: { state: MtnTransactionState, party: string | null }
    try {
      found = await read()
    } catch (err) {
      if (isMtnError(err) && err.kind === 'not_found') return { state: 'unknown' }
      throw channelError(err)
    }
    const { state, party } = found
    if (state.status === 'SUCCESSFUL') {
      return {
        state: 'succeeded',
        providerStatus: state.mtnStatus,
        amountMinor: state.amount === null ? null : parseAmount(state.amount),
        currency: state.currency,
        providerTransactionId: state.financialTransactionId,
        partyPhone: party === null ? null : this.displayPhone(party)
      }
    }
    if (state.status === 'FAILED') return { state: 'failed', providerStatus: state.mtnStatus, reason: state.reason ?? 'FAILED' }
    return { state: 'pending', providerStatus: state.mtnStatus }
  }
}

/** An MtnError as the outbox needs it: retry (same reference) or declined (MTN created nothing). */
function channelError (err: unknown): ChannelCallError {
  if (!isMtnError(err)) return new ChannelCallError(`MTN call failed: ${(err as Error).message}`, { disposition: 'retry', ambiguous: true }, { cause: err })
  switch (err.kind) {
    case 'declined':
      return new ChannelCallError(err.message, { disposition: 'declined', reason: err.mtnCode ?? 'DECLINED' }, { cause: err })
    case 'invalid_request':
      return new ChannelCallError(err.message, { disposition: 'declined', reason: err.mtnCode ?? 'INVALID_REQUEST' }, { cause: err })
    case 'unauthorized':
    case 'forbidden':
    case 'not_configured':
      // The operator can fix these (credentials, IP allow-list); meanwhile retrying is harmless.
      return new ChannelCallError(err.message, { disposition: 'retry', operatorProblem: true }, { cause: err })
    default:
      return new ChannelCallError(err.message, { disposition: 'retry', ambiguous: err.ambiguous, retryAfterMs: err.retryAfterMs }, { cause: err })
  }
}
