import type { FastifyContextConfig, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { SecretHashMemo, type ApiKeyStore, type AuthContext, type Scope } from '../ledger/api-keys.js'
import { forbidden, unauthorized, type HttpError } from './http-errors.js'
import { corsForPublishableKeys, keyAccessRefusal } from './key-access.js'
import { registerRateLimits, type RateLimitSettings } from './rate-limit.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, once its key checked out; null on public routes and failed authentication. */
    auth: AuthContext | null
    authProblem: string | null
  }
  interface FastifyContextConfig {
    /** The scope a route needs; routes without one are public. */
    scope?: Scope
    /** Routes only a test-mode key may call. */
    testOnly?: boolean
    /** Routes a publishable key may call too (initialize, read by reference); every other route refuses one. */
    publishable?: boolean
    /** A public route that is still rate limited, per client address (providers' callbacks, the MoMo proxy's API). */
    publicLimited?: boolean
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i

/** A connection's last well-formed Authorization header and its secret. */
interface PresentedKey { header: string, secret: string, hashes: SecretHashMemo }

/** The authenticated caller; for routes that declared a scope, never null after the auth hooks. */
export function caller (request: FastifyRequest): AuthContext {
  if (request.auth === null) throw unauthorized('missing API key')
  return request.auth
}

/**
 * Every request's one `onRequest` hook, doing in order what were four hooks (each a turn through
 * Fastify's hook runner, the limiter's an async function awaiting four promises):
 * 1. authentication, which only records its verdict, so that
 * 2. a publishable key used from one of its origins gets the CORS headers on whatever the answer
 *    will be (a 401, a 422 or a 429 too, so the page can read it), and
 * 3. the rate limiter (keyed on the caller; a key that failed counts in its client address's
 *    keyless bucket) counts the request, so even a rejected request carries the X-RateLimit
 *    headers, and a bad key over the limit gets 429; then
 * 4. the verdict is enforced (401, 403): before the body is parsed, so an unauthenticated client
 *    cannot make the server parse 64 KiB of JSON.
 * Callback style: a cached key is answered without waiting (ledger/api-key-cache.ts); only a key not
 * cached waits for the ledger. Call before the routes are registered (the limiters are given to
 * routes as they are).
 */
export function registerRequestGate (app: FastifyInstance, keys: ApiKeyStore, rateLimit: RateLimitSettings): void {
  app.decorateRequest('auth', null)
  app.decorateRequest('authProblem', null)
  registerRateLimits(app, rateLimit)

  // The last Authorization header per connection, its secret and the secret's hash: a client sends
  // the same key on every request of its keep-alive connection. Per connection, so no client's
  // secret is ever compared with another's.
  const presented = new WeakMap<object, PresentedKey>()

  /** Records who calls; a promise only when the ledger must be asked. */
  function authenticate (request: FastifyRequest): Promise<void> | undefined {
    const header = request.headers.authorization
    if (header === undefined || header === '') { request.authProblem = 'missing API key: send Authorization: Bearer <key>'; return undefined }
    const socket = request.raw.socket
    let last = presented.get(socket)
    if (last === undefined) { last = { header: '', secret: '', hashes: new SecretHashMemo() }; presented.set(socket, last) }
    if (header !== last.header) {
      const m = BEARER.exec(header)
      if (m === null) { request.authProblem = 'the Authorization header must be "Bearer <key>"'; return undefined }
      last.header = header
      last.secret = m[1] as string
    }
    const secret = last.secret
    const cached = keys.authenticateCached(secret, last.hashes)
    if (cached !== undefined) { settle(request, cached); return undefined }
    return keys.authenticate(secret).then((auth) => { settle(request, auth) })
  }

  app.addHook('onRequest', (request, reply, done) => {
    const waiting = authenticate(request)
    if (waiting === undefined) { done(admission(request, reply)); return }
    waiting.then(() => { done(admission(request, reply)) }, done)
  })
}

/** Steps 2 to 4 of the gate: CORS headers, the rate limit, the verdict. The error to answer with, or undefined. */
function admission (request: FastifyRequest, reply: FastifyReply): HttpError | undefined {
  corsForPublishableKeys(request, reply)
  // Read once: Fastify builds `routeOptions` afresh at each read.
  const config = request.routeOptions.config
  const limiter = config.limiter
  if (limiter !== undefined && limiter !== null) {
    const limited = limiter.check(request.auth?.keyId ?? `keyless:${request.ip}`, reply)
    if (limited !== null) return limited
  }
  return refusal(request, config) ?? undefined
}

/** Records authentication's verdict on the request. */
function settle (request: FastifyRequest, auth: AuthContext | null): void {
  if (auth === null) request.authProblem = 'unknown, revoked or expired API key'
  else request.auth = auth
}

/** Why the authenticated caller may not call this route, or null. */
function refusal (request: FastifyRequest, config: FastifyContextConfig): HttpError | null {
  const { scope, testOnly } = config
  if (scope === undefined) return null
  if (request.auth === null) return unauthorized(request.authProblem ?? 'missing API key')
  // Where the key is used from (allow-list, origin) and what a publishable key may call, before its scopes.
  const access = keyAccessRefusal(request.auth, request)
  if (access !== null) return access
  if (!request.auth.scopes.has(scope)) return forbidden(`this key lacks the ${scope} scope`)
  if (testOnly === true && request.auth.mode !== 'test') return forbidden('this route takes test-mode keys only')
  return null
}
