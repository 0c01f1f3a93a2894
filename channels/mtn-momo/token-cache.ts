import type { Clock } from '../../core/time.js'

export interface MintedToken { token: string, expiresInMs: number }

interface Held { token: string, refreshAt: number, expiresAt: number }

/** MTN's guidance: refresh ten minutes before the hour-long token expires, never per transaction. */
export const DEFAULT_REFRESH_BEFORE_MS = 10 * 60_000

/**
 * One product's bearer token: cached, renewed before it expires, and minted by ONE request at a
 * time however many calls wait for it (single flight). A call MTN answered 401 hands back the
 * token it used; only if that is still the cached one is it dropped, so twenty calls failing with
 * the same stale token cause one renewal, not twenty.
 */
export class TokenCache {
  readonly #mint: () => Promise<MintedToken>
  readonly #clock: Clock
  readonly #refreshBeforeMs: number
  #held: Held | undefined
  #inFlight: Promise<string> | undefined

  constructor (mint: () => Promise<MintedToken>, clock: Clock, refreshBeforeMs = DEFAULT_REFRESH_BEFORE_MS) {
    this.#mint = mint
    this.#clock = clock
    this.#refreshBeforeMs = refreshBeforeMs
  }

  /** A token fit to use now: the cached one while fresh, else the one being (or about to be) minted. */
  async get (): Promise<string> {
    const held = this.#held
    if (held !== undefined && this.#clock.now() < held.refreshAt) return held.token
    return await this.#renew()
  }

  /** After a 401 with `rejected`: renews unless someone already did, and returns the token to retry with. */
  async renewAfterRejection (rejected: string): Promise<string> {
    if (this.#held?.token === rejected) this.#held = undefined
    return await this.get()
  }

  async #renew (): Promise<string> {
    if (this.#inFlight !== undefined) return await this.#inFlight
    const flight = this.#mintAndHold()
    this.#inFlight = flight
    try {
      return await flight
    } finally {
      if (this.#inFlight === flight) this.#inFlight = undefined
    }
  }

  async #mintAndHold (): Promise<string> {
    const before = this.#held
    try {
      const minted = await this.#mint()
      const now = this.#clock.now()
      // A short-lived token (a simulator's, a test's) is renewed at 5/6 of its life, never at once.
      const margin = Math.min(this.#refreshBeforeMs, minted.expiresInMs / 6)
      this.#held = { token: minted.token, expiresAt: now + minted.expiresInMs, refreshAt: now + minted.expiresInMs - margin }
      return minted.token
    } catch (err) {
      // MTN's token endpoint failing must not stop calls while the old token is still valid.
      if (before !== undefined && this.#held === before && this.#clock.now() < before.expiresAt) return before.token
      throw err
    }
  }
}
