import type { Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { typed } from '../typed.js'
import { isoOrNull, isoSeconds } from '../../core/time.js'
import { PUBLISHABLE_SCOPES, type ApiKey, type AuthContext, type NewApiKey } from '../../ledger/api-keys.js'
import { NotFoundError } from '../../ledger/errors.js'
import type { Ledger } from '../../ledger/ledger.js'
import { caller } from '../auth.js'
import { ok } from '../envelope.js'
import { validationFailed } from '../http-errors.js'
import { commitResponse } from '../idempotency.js'
import { CreateKeyBody, ErrorSchema, KeyIdParams, KeySchema, RolledKeySchema, RollKeyBody, UpdateKeyBody, envelope } from '../schemas.js'
import { Type } from '@sinclair/typebox'

export function keyView (key: ApiKey | NewApiKey): Static<typeof KeySchema> {
  return {
    id: key.id,
    name: key.name,
    mode: key.mode,
    scopes: key.scopes,
    hint: key.hint,
    merchant: key.merchantId,
    created_at: isoSeconds(key.createdAt),
    expires_at: isoOrNull(key.expiresAt),
    revoked_at: isoOrNull(key.revokedAt),
    last_used_at: isoOrNull(key.lastUsedAt),
    rolled_from: key.rolledFrom,
    type: key.type,
    allowed_origins: key.allowedOrigins,
    allowed_ips: key.allowedIps,
    ...('secret' in key ? { key: key.secret } : {})
  }
}

/**
 * The keys a caller may see, roll or revoke: its own merchant's and mode's, holding no scope the
 * caller lacks. Without the last rule a narrow key could roll a wider one and receive its scopes.
 * Any other key is as invisible as another merchant's (404).
 */
function reachable (auth: AuthContext, key: ApiKey | undefined): key is ApiKey {
  return key !== undefined && key.merchantId === auth.merchantId && key.mode === auth.mode && key.scopes.every((s) => auth.scopes.has(s))
}

const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 422: ErrorSchema, 429: ErrorSchema }

/** `/v1/keys`: a merchant manages its own keys; a key never grants more than it has. */
export function keyRoutes (ledger: Ledger) {
  return async function register (instance: FastifyInstance): Promise<void> {
    const app = typed(instance)
    app.post('/keys', {
      config: { scope: 'keys:manage', audit: { action: 'key.create', target: 'key' } },
      schema: { tags: ['keys'], summary: 'Create an API key (the secret is shown once)', body: CreateKeyBody, response: { 201: envelope(KeySchema), ...errors } }
    }, async (request, reply) => {
      const auth = caller(request)
      const body = request.body
      const problems = []
      const mode = body.mode ?? auth.mode
      const type = body.type ?? 'secret'
      if (mode !== auth.mode) problems.push({ field: 'mode', message: `a ${auth.mode} key can only create ${auth.mode} keys` })
      const scopes = body.scopes ?? (type === 'publishable' ? [...PUBLISHABLE_SCOPES] : undefined)
      if (scopes === undefined) problems.push({ field: 'scopes', message: 'is required for a secret key' })
      const beyond = (scopes ?? []).filter((s) => !auth.scopes.has(s))
      if (beyond.length > 0) problems.push({ field: 'scopes', message: `cannot grant scopes this key does not have: ${beyond.join(', ')}` })
      if (problems.length > 0) throw validationFailed(problems)
      return await commitResponse(ledger, request, reply, 201, async (tx, note) => {
        const key = await tx.apiKeys.create({
          merchantId: auth.merchantId, name: body.name, mode, scopes: scopes ?? [], type, allowedOrigins: body.allowed_origins, allowedIps: body.allowed_ips
        })
        note.targetId = key.id
        return keyView(key)
      })
    })

    app.get('/keys', {
      config: { scope: 'keys:manage' },
      schema: { tags: ['keys'], summary: 'List this merchant\'s keys of this mode whose scopes the caller holds', response: { 200: envelope(Type.Array(KeySchema)), ...errors } }
    }, async (request) => {
      const auth = caller(request)
      return ok((await ledger.apiKeys.list(auth.merchantId)).filter((k) => reachable(auth, k)).map(keyView))
    })

    app.post('/keys/:id/roll', {
      config: { scope: 'keys:manage', audit: { action: 'key.roll', target: 'key' } },
      schema: {
        tags: ['keys'],
        summary: 'Roll a key: a new key with the same scopes; the old one works until expires_in seconds',
        params: KeyIdParams,
        body: RollKeyBody,
        response: { 201: envelope(RolledKeySchema), ...errors }
      }
    }, async (request, reply) => {
      const auth = caller(request)
      const { id } = request.params
      const body: Static<typeof RollKeyBody> = request.body ?? { expires_in: 86400 }
      return await commitResponse(ledger, request, reply, 201, async (tx, note) => {
        const before = await tx.apiKeys.get(id, auth.merchantId)
        if (!reachable(auth, before)) throw new NotFoundError('api key')
        const { key, previous } = await tx.apiKeys.roll(id, auth, body.expires_in)
        note.before = keyView(before)
        // The new key in the shape POST /v1/keys answers, so one client code path reads both.
        return { ...keyView(key), previous: keyView(previous) }
      })
    })

    app.patch('/keys/:id', {
      config: { scope: 'keys:manage', audit: { action: 'key.update_access', target: 'key' } },
      schema: {
        tags: ['keys'],
        summary: 'Change where a key is accepted from: allowed_ips (null for any address) and, for a publishable key, allowed_origins',
        params: KeyIdParams,
        body: UpdateKeyBody,
        response: { 200: envelope(KeySchema), ...errors }
      }
    }, async (request, reply) => {
      const auth = caller(request)
      const { id } = request.params
      const body = request.body
      return await commitResponse(ledger, request, reply, 200, async (tx, note) => {
        const before = await tx.apiKeys.get(id, auth.merchantId)
        if (!reachable(auth, before)) throw new NotFoundError('api key')
        const { after } = await tx.apiKeys.updateAccess(id, auth, { allowedIps: body.allowed_ips, allowedOrigins: body.allowed_origins })
        note.before = keyView(before)
        return keyView(after)
      })
    })

    app.delete('/keys/:id', {
      config: { scope: 'keys:manage', audit: { action: 'key.revoke', target: 'key' } },
      schema: { tags: ['keys'], summary: 'Revoke a key at once', params: KeyIdParams, response: { 200: envelope(KeySchema), ...errors } }
    }, async (request, reply) => {
      const auth = caller(request)
      const { id } = request.params
      return await commitResponse(ledger, request, reply, 200, async (tx, note) => {
        const before = await tx.apiKeys.get(id, auth.merchantId)
        if (!reachable(auth, before) || !(await tx.apiKeys.revoke(id, auth.merchantId))) throw new NotFoundError('api key')
        note.before = keyView(before)
        return keyView(await tx.apiKeys.get(id) as ApiKey)
      })
    })
  }
}
