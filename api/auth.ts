import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SecretHashMemo, type ApiKeyStore, type AuthContext, type Scope } from '../ledger/api-keys.js'
import { forbidden, unauthorized } from './http-errors.js'
import { keyAccessRefusal } from './key-access.js'

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

/** The authenticated caller; for routes that declared a scope, never null after the auth hooks. */
export function caller (request: FastifyRequest): AuthContext {
  if (request.auth === null) throw unauthorized('missing API key')
  return request.auth
}

/**
 * Authentication runs first on every request but only records its verdict, so the rate limiter
 * (which keys on the caller) runs next and even a rejected request carries the X-RateLimit headers.
 * The verdict is enforced before the body is parsed: an unauthenticated client cannot make the
 * server parse 64 KiB of JSON.
 */
export function registerAuth (app: FastifyInstance, keys: ApiKeyStore): void {
  app.decorateRequest('auth', null)
  app.decorateRequest('authProblem', null)

  // The last secret's hash per connection: a client sends the same key on every request of its
  // keep-alive connection. Per connection, so no client's secret is ever compared with another's.
  const hashes = new WeakMap<object, SecretHashMemo>()

  // Callback style: a cached key is answered without waiting (ledger/api-key-cache.ts), and an
  // async hook would cost every request a promise and a tick. Only a key not cached waits for the ledger.
  app.addHook('onRequest', (request, _reply, done) => {
    const header = request.headers.authorization
    if (header === undefined || header === '') { request.authProblem = 'missing API key: send Authorization: Bearer <key>'; done(); return }
    const m = BEARER.exec(header)
    if (m === null) { request.authProblem = 'the Authorization header must be "Bearer <key>"'; done(); return }
    const secret = m[1] as string
    const socket = request.raw.socket
    let memo = hashes.get(socket)
    if (memo === undefined) { memo = new SecretHashMemo(); hashes.set(socket, memo) }
    const cached = keys.authenticateCached(secret, memo)
    if (cached !== undefined) { settle(request, cached); done(); return }
    keys.authenticate(secret).then((auth) => { settle(request, auth); done() }, done)
  })

  // Callback style: nothing here waits, and an async hook costs every request a promise and a tick.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    done(refusal(request), payload)
  })
}

/** Records authentication's verdict on the request. */
function settle (request: FastifyRequest, auth: AuthContext | null): void {
  if (auth === null) request.authProblem = 'unknown, revoked or expired API key'
  else request.auth = auth
}

/** Why the authenticated caller may not call this route, or null. */
function refusal (request: FastifyRequest): Error | null {
  const { scope, testOnly } = request.routeOptions.config
  if (scope === undefined) return null
  if (request.auth === null) return unauthorized(request.authProblem ?? 'missing API key')
  // Where the key is used from (allow-list, origin) and what a publishable key may call, before its scopes.
  const access = keyAccessRefusal(request.auth, request)
  if (access !== null) return access
  if (!request.auth.scopes.has(scope)) return forbidden(`this key lacks the ${scope} scope`)
  if (testOnly === true && request.auth.mode !== 'test') return forbidden('this route takes test-mode keys only')
  return null
}
