import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { fingerprint, type IdempotencyStore } from '../ledger/idempotency.js'
import type { AuthContext } from '../ledger/api-keys.js'
import type { Ledger, LedgerTx } from '../ledger/ledger.js'
import type { Owner } from '../ledger/modes.js'
import { recordApiChange, type AuditNote } from './audit-trail.js'
import { ok } from './envelope.js'
import { validationFailed } from './http-errors.js'
import { addRouteHooks, takesPost } from './route-hooks.js'

declare module 'fastify' {
  interface FastifyRequest {
    rawBody: string | null
    idempotency: { owner: Owner, key: string, claim: number, stored: boolean } | null
  }
}

export const IDEMPOTENCY_HEADER = 'idempotency-key'
// 404 too: an unknown route or an unknown payment changed nothing, and storing the answer would be
// the only write a rejected request makes (found by the API fuzzer, test/faults/api-fuzz.fault.ts).
// 403 likewise: what a key may not do (a publishable key's webhook_url, found the same way); and
// 401 from inside a handler (a route with credentials of its own, such as the MoMo proxy's
// X-Proxy-Api-Key, called with a valid Bearer key beside a missing proxy key: found the same way).
const NOT_REPLAYED = new Set([400, 401, 403, 404, 413, 415, 422])

/**
 * SPEC §4 `Idempotency-Key` on every authenticated POST. Runs after validation, so a request
 * rejected for its fields never claims a key. A replay sends the first response back byte for byte.
 * Call before the routes are registered.
 */
export function registerIdempotency (app: FastifyInstance, store: IdempotencyStore): void {
  app.decorateRequest('rawBody', null)
  app.decorateRequest('idempotency', null)

  // Only on the routes that take a POST (api/route-hooks.ts): reads never pass through these hooks.
  // Callback style with a synchronous way through for a POST without a key: an async hook costs it a
  // promise and a tick. A replay answers and never calls done.
  addRouteHooks(app, takesPost, {
    preHandler (request, reply, done) {
      const { auth } = request
      const header = request.headers[IDEMPOTENCY_HEADER]
      if (request.method !== 'POST' || auth === null || header === undefined) { done(); return }
      claimKey(store, request, reply, auth, header).then((replayed) => { if (!replayed) done() }, done)
    },
    onSend (request, reply, payload, done) {
      const claim = request.idempotency
      if (claim === null || claim.stored) { done(null, payload); return }
      recordOutcome(store, request, reply, claim, payload).then(() => { done(null, payload) }, done)
    }
  })
}

/** Claims the request's key (`header`, as sent), or answers with the stored response (true: replayed, nothing left to do). */
async function claimKey (store: IdempotencyStore, request: FastifyRequest, reply: FastifyReply, auth: AuthContext, header: string | string[]): Promise<boolean> {
  const key = Array.isArray(header) ? header[0] ?? '' : header
  if (key.length === 0 || key.length > 255 || Array.isArray(header)) {
    throw validationFailed([{ field: 'Idempotency-Key', message: 'must be one header of 1 to 255 characters' }])
  }
  const owner: Owner = { merchantId: auth.merchantId, mode: auth.mode }
  const path = request.url.split('?')[0] ?? request.url
  // A publishable key is public: its keys live apart, so a page can never replay (and read) a
  // response the merchant's server stored under the same Idempotency-Key.
  const scoped = auth.type === 'publishable' ? `${auth.keyId}:${key}` : key
  const found = await store.begin(owner, scoped, fingerprint(request.method, path, request.rawBody ?? ''))
  if (found.kind === 'replay') {
    void reply.code(found.response.statusCode).header('Idempotent-Replayed', 'true')
      .type('application/json; charset=utf-8').send(found.response.body)
    return true
  }
  request.idempotency = { owner, key: scoped, claim: found.claim, stored: false }
  return false
}

/** Stores the answer under the claimed key, or frees the key for an answer not worth replaying. */
async function recordOutcome (store: IdempotencyStore, request: FastifyRequest, reply: FastifyReply, claim: NonNullable<FastifyRequest['idempotency']>, payload: unknown): Promise<void> {
  claim.stored = true
  // A rejected request (bad fields, bad JSON) changed nothing and a server error is not an answer
  // worth replaying: free the key so the client can fix the request and retry with it.
  const free = NOT_REPLAYED.has(reply.statusCode) || reply.statusCode >= 500 || typeof payload !== 'string'
  try {
    if (free) await store.release(claim.owner, claim.key, claim.claim)
    else await store.complete(claim.owner, claim.key, claim.claim, { statusCode: reply.statusCode, body: payload as string })
  } catch (err) {
    // The database is away (the 503 this answers, most likely), or the claim was taken over by a
    // retry: an unfreed claim goes stale and the client's retry takes it over
    // (ledger/idempotency.ts, IDEMPOTENCY_STALE_CLAIM_MS). The answer itself still goes out.
    request.log.warn({ err, status: reply.statusCode }, 'could not record the outcome of an Idempotency-Key; a retry takes the key over in a minute')
  }
}

/**
 * Runs a ledger change and stores its idempotent response in the same transaction, so a crash
 * cannot keep the change and lose the response (which would let a retry do it twice). `change`
 * does ledger work through `tx` only (it may run again on PostgreSQL); `statusCode` may depend on
 * what it found (201 created, 200 already there); `shape` wraps the data (default: the SPEC §4
 * success envelope). A route that declares `config.audit` gets its audit record appended in the
 * same transaction, from what `change` wrote into `note` (api/audit-trail.ts). The reply is sent
 * once the transaction committed.
 */
export async function commitResponse<T> (ledger: Ledger, request: FastifyRequest, reply: FastifyReply,
  statusCode: number | (() => number), change: (tx: LedgerTx, note: AuditNote) => Promise<T>, shape: (data: T) => unknown = ok): Promise<FastifyReply> {
  const claim = request.idempotency
  // Read once: Fastify builds `routeOptions` afresh at each read.
  const audit = request.routeOptions.config.audit
  const response = await ledger.transact(async (tx) => {
    // A route that records its change takes the audit chain first (a no-op on SQLite; on PostgreSQL
    // audited changes of every node then queue rather than collide on the chain's head).
    if (audit !== undefined) await tx.auditTrail.lockChain()
    // A fresh note per run: on PostgreSQL the body may run again after a lost race.
    const note: AuditNote = {}
    const data = await change(tx, note)
    // The audit record commits with the change or not at all (issue 16's audit trail).
    await recordApiChange(tx, request, audit, note, data)
    const body = JSON.stringify(shape(data))
    const status = typeof statusCode === 'function' ? statusCode() : statusCode
    if (claim !== null) await tx.idempotency.complete(claim.owner, claim.key, claim.claim, { statusCode: status, body })
    return { status, body }
  })
  if (claim !== null) claim.stored = true
  return reply.code(response.status).type('application/json; charset=utf-8').send(response.body)
}
