import type { Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { typed } from '../typed.js'
import { isoOrNull, isoSeconds } from '../../core/time.js'
import { ConflictError } from '../../ledger/errors.js'
import type { Ledger } from '../../ledger/ledger.js'
import { createEndpoint, rotateEndpointSecret, updateEndpoint, type Endpoint } from '../../webhooks/endpoints.js'
import type { Delivery } from '../../webhooks/outbox.js'
import type { Webhooks } from '../../webhooks/webhooks.js'
import { caller } from '../auth.js'
import { ok, okList } from '../envelope.js'
import { commitResponse } from '../idempotency.js'
import { ErrorSchema, envelope, listEnvelope } from '../schemas.js'
import {
  CreateEndpointBody, CreatedEndpointSchema, DeliveryIdParams, DeliverySchema, EndpointIdParams, EndpointSchema, ListDeliveriesQuery,
  RotateSecretBody, RotatedSecretSchema, TestResultSchema, UpdateEndpointBody
} from './webhook-schemas.js'

export function endpointView (e: Endpoint): Static<typeof EndpointSchema> {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    description: e.description,
    mode: e.mode,
    is_active: e.isActive,
    disabled_reason: e.disabledReason,
    last_success_at: isoOrNull(e.lastSuccessAt),
    last_failure_at: isoOrNull(e.lastFailureAt),
    consecutive_failures: e.consecutiveFailures,
    created_at: isoSeconds(e.createdAt),
    updated_at: isoSeconds(e.updatedAt)
  }
}

export function deliveryView (d: Delivery): Static<typeof DeliverySchema> {
  return {
    id: d.id,
    webhook_id: d.webhookId,
    endpoint_id: d.endpointId,
    event: d.eventType,
    status: d.status,
    attempts: d.attempts,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    last_attempt_at: isoOrNull(d.lastAttemptAt),
    next_attempt_at: isoOrNull(d.nextAttemptAt),
    delivered_at: isoOrNull(d.deliveredAt),
    dead_at: isoOrNull(d.deadAt),
    replays: d.replays,
    created_at: isoSeconds(d.createdAt),
    target_url: d.targetUrl
  }
}

const SAVE_SECRET = 'Save this secret now: it is shown only once. Verify each webhook\'s X-Harpoon-Signature (or the Standard Webhooks webhook-signature) with it.'
const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema, 429: ErrorSchema }
const scope = { scope: 'webhooks:manage' } as const

/**
 * `/v1/webhooks` (SPEC §4). Endpoints, secrets and deliveries belong to one merchant AND one mode;
 * anything else answers 404. A URL is judged (scheme for the mode, literals, names, and every DNS
 * answer) before it is stored; the dispatcher judges it again at every connect.
 */
export function webhookRoutes (ledger: Ledger, webhooks: Webhooks) {
  const { dispatcher } = webhooks
  const endpoints = ledger.webhookEndpoints

  const checkUrl = webhooks.checkTarget

  return async function register (instance: FastifyInstance): Promise<void> {
    const app = typed(instance)
    app.post('/webhooks', {
      config: { ...scope, audit: { action: 'webhook.create', target: 'webhook' } },
      schema: { tags: ['webhooks'], summary: 'Register a webhook endpoint (the secret is shown once)', body: CreateEndpointBody, response: { 201: envelope(CreatedEndpointSchema), ...errors } }
    }, async (request, reply) => {
      const auth = caller(request)
      const body = request.body
      const url = await checkUrl(body.url, auth.mode)
      return await commitResponse(ledger, request, reply, 201, async (tx, note) => {
        const { endpoint, secret } = await createEndpoint(tx, auth, { url, events: body.events, description: body.description })
        note.targetId = endpoint.id
        return { ...endpointView(endpoint), secret, message: SAVE_SECRET }
      })
    })

    app.get('/webhooks', {
      config: scope,
      schema: { tags: ['webhooks'], summary: 'List this merchant\'s endpoints of this mode', response: { 200: listEnvelope(EndpointSchema), ...errors } }
    }, async (request) => okList((await endpoints.list(caller(request))).map(endpointView), false, null))

    app.get('/webhooks/:id', {
      config: scope,
      schema: { tags: ['webhooks'], summary: 'Get an endpoint and its health', params: EndpointIdParams, response: { 200: envelope(EndpointSchema), ...errors } }
    }, async (request) => ok(endpointView(await endpoints.get(caller(request), request.params.id))))

    app.put('/webhooks/:id', {
      config: { ...scope, audit: { action: 'webhook.update', target: 'webhook' } },
      schema: { tags: ['webhooks'], summary: 'Change url, events, description or is_active', params: EndpointIdParams, body: UpdateEndpointBody, response: { 200: envelope(EndpointSchema), ...errors } }
    }, async (request, reply) => {
      const auth = caller(request)
      const { id } = request.params
      const body = request.body
      await endpoints.get(auth, id) // 404 before any DNS work
      const url = body.url === undefined ? undefined : await checkUrl(body.url, auth.mode)
      return await commitResponse(ledger, request, reply, 200, async (tx, note) => {
        note.before = endpointView(await tx.webhookEndpoints.get(auth, id))
        const updated = await updateEndpoint(tx, auth, id, { url, events: body.events, description: body.description, isActive: body.is_active })
        // Re-enabled: its waiting deliveries are due again.
        tx.afterCommit(() => { dispatcher.wake() })
        return endpointView(updated)
      })
    })

    app.delete('/webhooks/:id', {
      config: { ...scope, audit: { action: 'webhook.delete', target: 'webhook' } },
      schema: { tags: ['webhooks'], summary: 'Delete an endpoint (its delivery history is kept)', params: EndpointIdParams, response: { 200: envelope(EndpointSchema), ...errors } }
    }, async (request, reply) => await commitResponse(ledger, request, reply, 200, async (tx, note) => {
      const removed = endpointView(await tx.webhookEndpoints.remove(caller(request), request.params.id))
      note.before = { ...removed, is_active: true }
      note.after = null
      return removed
    }))

    app.post('/webhooks/:id/test', {
      config: { ...scope, audit: { action: 'webhook.test', target: 'webhook' } },
      schema: { tags: ['webhooks'], summary: 'Send webhook.test now and return the attempt\'s outcome', params: EndpointIdParams, response: { 200: envelope(TestResultSchema), ...errors } }
    }, async (request, reply) => {
      const endpoint = await endpoints.get(caller(request), request.params.id)
      if (!endpoint.isActive) throw new ConflictError('endpoint_inactive', 'the endpoint is disabled; re-enable it with PUT is_active: true first')
      const { delivery, result } = await dispatcher.sendTest(endpoint)
      // The test is sent before anything can be recorded (an HTTP call is never made inside a
      // transaction); its record commits with the answer, as the delivery row already has.
      return await commitResponse(ledger, request, reply, 200, async () =>
        ({ delivered: result.delivered, status_code: result.statusCode, error: result.error, duration_ms: result.durationMs, delivery: deliveryView(delivery) }))
    })

    app.post('/webhooks/:id/rotate-secret', {
      config: { ...scope, audit: { action: 'webhook.rotate_secret', target: 'webhook' } },
      schema: { tags: ['webhooks'], summary: 'New signing secret; the previous one stays valid for expires_in seconds', params: EndpointIdParams, body: RotateSecretBody, response: { 200: envelope(RotatedSecretSchema), ...errors } }
    }, async (request, reply) => {
      const auth = caller(request)
      const { id } = request.params
      const body: Static<typeof RotateSecretBody> = request.body ?? { expires_in: 86400 }
      return await commitResponse(ledger, request, reply, 200, async (tx) => {
        const r = await rotateEndpointSecret(tx, auth, id, body.expires_in)
        return { id: r.endpoint.id, secret: r.secret, previous_secret_expires_at: isoSeconds(r.previousExpiresAt), message: SAVE_SECRET }
      })
    })

    app.get('/webhooks/:id/deliveries', {
      config: scope,
      schema: { tags: ['webhooks'], summary: 'Deliveries to an endpoint, newest first', params: EndpointIdParams, querystring: ListDeliveriesQuery, response: { 200: listEnvelope(DeliverySchema), ...errors } }
    }, async (request) => {
      const endpoint = await endpoints.get(caller(request), request.params.id)
      const q = request.query
      const page = await ledger.webhookDeliveries.list({ endpointId: endpoint.id, status: q.status, limit: q.limit, cursor: q.cursor })
      return okList(page.items.map(deliveryView), page.hasMore, page.nextCursor)
    })

    app.post('/webhooks/deliveries/:delivery_id/replay', {
      config: { ...scope, audit: { action: 'webhook.replay', target: 'delivery' } },
      schema: { tags: ['webhooks'], summary: 'Send a delivery again (dead letters included) with the same webhook_id', params: DeliveryIdParams, response: { 200: envelope(DeliverySchema), ...errors } }
    }, async (request, reply) => {
      const auth = caller(request)
      const { delivery_id: id } = request.params
      const sent = await commitResponse(ledger, request, reply, 200, async (tx) => {
        const delivery = deliveryView(await tx.webhookDeliveries.replay(auth, id))
        tx.afterCommit(() => { dispatcher.wake() })
        return delivery
      })
      return sent
    })
  }
}
