import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ApiKeyStore, AuthContext, Scope } from '../ledger/api-keys.js'
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

  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization
    if (header === undefined || header === '') { request.authProblem = 'missing API key: send Authorization: Bearer <key>'; return }
    const m = BEARER.exec(header)
    if (m === null) { request.authProblem = 'the Authorization header must be "Bearer <key>"'; return }
    const auth = await keys.authenticate(m[1] as string)
    if (auth === null) { request.authProblem = 'unknown, revoked or expired API key'; return }
    request.auth = auth
  })

  app.addHook('preParsing', async (request) => {
    const { scope, testOnly } = request.routeOptions.config
    if (scope === undefined) return
    if (request.auth === null) throw unauthorized(request.authProblem ?? 'missing API key')
    // Where the key is used from (allow-list, origin) and what a publishable key may call, before its scopes.
    const refusal = keyAccessRefusal(request.auth, request)
    if (refusal !== null) throw refusal
    if (!request.auth.scopes.has(scope)) throw forbidden(`this key lacks the ${scope} scope`)
    if (testOnly === true && request.auth.mode !== 'test') throw forbidden('this route takes test-mode keys only')
  })
}
