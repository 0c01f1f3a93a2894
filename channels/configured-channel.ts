import type { Mode } from '../core/enums.js'

/** What every configured channel's settings name, whatever its provider (config/load.ts ChannelSettings). */
export interface ChannelIdentity {
  id: string
  mode: Mode
  /** Null: every merchant's test payments (the embedded simulator). */
  merchant: string | null
  currency: string
  /** Where the provider calls back (`/v1/channels/{id}/callback`); null: not told (or not known yet, embedded). */
  callback_url: string | null
}

/**
 * The part of a channel that is the operator's configuration rather than its provider's protocol:
 * who it serves, in which mode and currency, and where the provider calls back. MtnMomoChannel and
 * IpayChannel extend it, so the two read their settings the same way.
 */
export abstract class ConfiguredChannel {
  readonly id: string
  readonly mode: Mode
  readonly merchantId: string | null
  readonly currency: string
  readonly embedded: boolean
  #callbackUrl: string | null

  protected constructor (settings: ChannelIdentity, embedded: boolean | undefined) {
    this.id = settings.id
    this.mode = settings.mode
    this.merchantId = settings.merchant
    this.currency = settings.currency
    this.embedded = embedded ?? false
    this.#callbackUrl = settings.callback_url
  }

  get callbacks (): boolean { return this.#callbackUrl !== null }

  /** The embedded simulator learns the daemon's own URL only once the API listens. */
  setCallbackUrl (url: string | null): void { this.#callbackUrl = url }

  /** The configured callback URL as it is, before a provider adds anything of its own to it. */
  protected get callbackUrl (): string | null { return this.#callbackUrl }
}
