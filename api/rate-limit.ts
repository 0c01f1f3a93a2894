import type { FastifyInstance, FastifyReply } from 'fastify'
import { HttpError } from './http-errors.js'

/** A limit: at most `max` requests per client in each window of `timeWindow` ms. */
export interface RateLimitSettings { max: number, timeWindow: number }

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route's own limit, counted in a bucket of its own (the agents' routes); default: the API's. */
    rateLimit?: RateLimitSettings
    /** Set as the route is registered (registerRateLimits): its limiter, or null where nothing is limited. */
    limiter?: RateLimiter | null
  }
}

/** How many clients' windows are remembered; the least recently seen is forgotten first. */
const REMEMBERED_CLIENTS = 5000

/** One client's window: requests counted since `startedAt`. */
interface Window { count: number, startedAt: number }

/**
 * Fixed windows per client, kept in memory, synchronous: a client's window opens with its first
 * request and lasts `timeWindow` ms; request `max + 1` of a window is refused with 429. Every limited
 * answer carries X-RateLimit-Limit, -Remaining and -Reset (seconds left in the window), a refusal
 * Retry-After too. The figures, headers and 429 body are @fastify/rate-limit's (which this replaces:
 * its hook awaited four promises on every request), down to its `after` wording.
 */
export class RateLimiter {
  readonly #max: number
  readonly #windowMs: number
  /** Insertion order is recency: a client seen again is moved to the end. */
  readonly #windows = new Map<string, Window>()
  #lastKey: string | null = null

  constructor (settings: RateLimitSettings) {
    this.#max = Number.isFinite(settings.max) && settings.max >= 0 ? Math.trunc(settings.max) : 1000
    this.#windowMs = Number.isFinite(settings.timeWindow) && settings.timeWindow >= 0 ? Math.trunc(settings.timeWindow) : 60_000
  }

  /** Counts a request of `client`, sets the headers, and returns the 429 to answer, or null. */
  check (client: string, reply: FastifyReply, now = Date.now()): HttpError | null {
    const { count, ttl } = this.count(client, now)
    const resetS = Math.ceil(ttl / 1000)
    if (count <= this.#max) {
      void reply.header('x-ratelimit-limit', this.#max).header('x-ratelimit-remaining', this.#max - count).header('x-ratelimit-reset', resetS)
      return null
    }
    void reply.header('x-ratelimit-limit', this.#max).header('x-ratelimit-remaining', 0).header('x-ratelimit-reset', resetS).header('retry-after', resetS)
    return new HttpError(429, 'rate_limited', `rate limit of ${this.#max} requests per ${longDuration(resetS * 1000)} exceeded; retry after ${resetS} s`)
  }

  /** Counts a request of `client` at `now`: its number in the client's window, and the ms left of the window. */
  count (client: string, now: number): { count: number, ttl: number } {
    let window = this.#windows.get(client)
    if (window === undefined) {
      if (this.#windows.size >= REMEMBERED_CLIENTS) this.#windows.delete(this.#windows.keys().next().value as string)
      window = { count: 1, startedAt: now }
      this.#windows.set(client, window)
      this.#lastKey = client
      return { count: 1, ttl: this.#windowMs }
    }
    if (client !== this.#lastKey) {
      // Most recently seen: last in the map (a client polling alone skips the move).
      this.#windows.delete(client)
      this.#windows.set(client, window)
      this.#lastKey = client
    }
    if (window.startedAt + this.#windowMs <= now) {
      window.count = 1
      window.startedAt = now
      return { count: 1, ttl: this.#windowMs }
    }
    window.count++
    return { count: window.count, ttl: this.#windowMs - (now - window.startedAt) }
  }
}

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const YEAR = 365.25 * DAY

/** `ms` in its largest unit, rounded: "1 second", "5 minutes", "0 ms" (the 429 message's wording since issue 11). */
export function longDuration (ms: number): string {
  if (ms < SECOND) return `${ms} ms`
  const [unit, size] = ms < MINUTE ? ['second', SECOND] : ms < HOUR ? ['minute', MINUTE] : ms < DAY ? ['hour', HOUR] : ms < YEAR ? ['day', DAY] : ['year', YEAR]
  const n = Math.round(ms / size)
  return `${n} ${unit}${n === 1 ? '' : 's'}`
}

/**
 * Gives each route, as it is registered, its limiter (`config.limiter`): its own for a route with
 * `config.rateLimit`, the API's for every route with a scope or `publicLimited`, none for the public
 * routes (health, docs, the dashboard's files: limiting them with the API let a flood of bad keys fail
 * a load balancer's health check). A route's own limit counts in its own bucket, as each HEAD route's
 * does. Call before the routes are registered.
 */
export function registerRateLimits (app: FastifyInstance, settings: RateLimitSettings): void {
  const api = new RateLimiter(settings)
  app.addHook('onRoute', (route) => {
    const config = route.config ?? {}
    const limiter = config.rateLimit !== undefined
      ? new RateLimiter({ ...settings, ...config.rateLimit })
      : config.scope !== undefined || config.publicLimited === true ? api : null
    // A copy: a config object shared by several routes must not share one route's own limiter.
    route.config = { ...config, limiter }
  })
}
