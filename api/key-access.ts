import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ipAllowed } from '../core/ip-allow-list.js'
import type { ApiKeyStore, AuthContext } from '../ledger/api-keys.js'
import { HttpError } from './http-errors.js'

/**
 * Where a key may be used from: its IP allow-list, and for a publishable key the browser origins
 * that get CORS and the few routes it may call. Every refusal of this kind is decided in
 * `keyAccessRefusal`, one place for the audit trail to record from.
 *
 * CORS: a publishable key answers a page of one of its `allowed_origins` with
 * `Access-Control-Allow-Origin: <that origin>` (never `*`); secret keys never get CORS headers, so
 * no other site's page can read what a secret key fetched. A preflight carries no key, so it is
 * answered for an origin some active publishable key allows, on routes publishable keys may call;
 * the real request is then judged against its own key's list.
 */

const ALLOW_HEADERS = 'authorization, content-type, idempotency-key'
const EXPOSE_HEADERS = 'x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, retry-after, idempotent-replayed'
/** Browsers cache a preflight this long (seconds); Chromium caps it at 7200. */
const PREFLIGHT_MAX_AGE = '600'

export type KeyAccessRefusal = 'ip_not_allowed' | 'origin_not_allowed' | 'invalid_key_type'

/** Why this key may not make this request, or null. The client address is Fastify's `request.ip` (api.trust_proxy). */
export function keyAccessRefusal (auth: AuthContext, request: FastifyRequest): HttpError | null {
  if (auth.allowedIps !== null && !ipAllowed(auth.allowedIps, request.ip)) {
    return new HttpError(403, 'ip_not_allowed' satisfies KeyAccessRefusal, `this key is not accepted from ${request.ip}: the address is not in its allowed_ips`)
  }
  if (auth.type !== 'publishable') return null
  const origin = request.headers.origin
  // No Origin: not a browser page (a mobile app, a server). A page always sends one with these requests.
  if (origin !== undefined && !auth.allowedOrigins.includes(origin)) {
    return new HttpError(403, 'origin_not_allowed' satisfies KeyAccessRefusal, `this publishable key may not be used from ${origin}: add it to the key's allowed_origins`)
  }
  if (request.routeOptions.config.publishable !== true) {
    return new HttpError(403, 'invalid_key_type' satisfies KeyAccessRefusal, 'a publishable key may only initialize payments and read the ones it made, by reference')
  }
  return null
}

function corsHeaders (reply: FastifyReply, origin: string): void {
  void reply.header('access-control-allow-origin', origin).header('access-control-expose-headers', EXPOSE_HEADERS)
}

/**
 * After authentication (api/auth.ts, the request gate): a publishable key used from one of its
 * origins gets the CORS headers on whatever the answer will be (a 422 or a 429 too, so the page can read it).
 */
export function corsForPublishableKeys (request: FastifyRequest, reply: FastifyReply): void {
  const origin = request.headers.origin
  if (origin === undefined) return
  void reply.header('vary', 'Origin')
  const auth = request.auth
  if (auth?.type === 'publishable' && auth.allowedOrigins.includes(origin)) corsHeaders(reply, origin)
}

/**
 * Collects the routes that declare `publishable: true` as they are registered; `answerPreflights`
 * then adds an OPTIONS route for each path.
 */
export function publishableRoutes (app: FastifyInstance): { answerPreflights: (keys: ApiKeyStore) => void } {
  const methods = new Map<string, Set<string>>()
  app.addHook('onRoute', (route) => {
    if (route.config?.publishable !== true) return
    const set = methods.get(route.url) ?? new Set<string>()
    for (const m of [route.method].flat()) if (m !== 'HEAD') set.add(m)
    methods.set(route.url, set)
  })
  return {
    answerPreflights (keys) {
      for (const [url, allowed] of methods) {
        app.options(url, { schema: { hide: true } }, async (request, reply) => {
          const origin = request.headers.origin
          const wanted = request.headers['access-control-request-method']
          void reply.header('vary', 'Origin')
          if (origin !== undefined && typeof wanted === 'string' && allowed.has(wanted.toUpperCase()) && await keys.anyAllowsOrigin(origin)) {
            corsHeaders(reply, origin)
            void reply.header('access-control-allow-methods', [...allowed].join(', '))
              .header('access-control-allow-headers', ALLOW_HEADERS)
              .header('access-control-max-age', PREFLIGHT_MAX_AGE)
          }
          // Without the headers the browser refuses to send the request; the status does not matter to it.
          return await reply.code(204).send()
        })
      }
    }
  }
}
