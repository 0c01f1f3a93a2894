import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AuditStore } from '../ledger/audit.js'
import { addRouteHooks, maybeWrites } from './route-hooks.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a route whose request is a leg of a channel payment: written to the audit log once answered. */
    auditLeg: { paymentId: number, channelId: string | null, operation: string } | null
    auditResponse: string | null
  }
}

/** Request headers kept with an app's request: never Authorization, X-Proxy-Api-Key or cookies. */
const KEPT_HEADERS = ['content-type', 'content-length', 'user-agent', 'idempotency-key', 'x-forwarded-for']

/** Marks this request as a leg of `paymentId`'s audit log (the app's request). */
export function auditAppRequest (request: FastifyRequest, paymentId: number, channelId: string | null, operation: string): void {
  request.auditLeg = { paymentId, channelId, operation }
}

/**
 * Writes the app's request of a channel payment (initialize, refund, the proxy's request-to-pay) to
 * the audit log once the answer is sent: method, URL, status, duration, bodies, a few harmless
 * headers. After the answer, so the record never delays the app; a failed write is logged.
 */
export function registerAppRequestAudit (app: FastifyInstance, audit: AuditStore): void {
  app.decorateRequest('auditLeg', null)
  app.decorateRequest('auditResponse', null)
  // Only on routes that may write (api/route-hooks.ts): a leg is an initialize, a refund, a
  // request-to-pay, never a read. Callback style where nothing waits (most requests are no leg): an
  // async hook costs every request a promise and a tick.
  addRouteHooks(app, maybeWrites, {
    onSend (request, _reply, payload, done) {
      if (request.auditLeg !== null && typeof payload === 'string') request.auditResponse = payload
      done(null, payload)
    },
    onResponse (request, reply, done) {
      const leg = request.auditLeg
      // A request that failed after marking (its transaction rolled back) made no leg of anything.
      if (leg === null || reply.statusCode >= 400) { done(); return }
      recordLeg(audit, request, reply, leg).then(() => { done() }, done)
    }
  })
}

async function recordLeg (audit: AuditStore, request: FastifyRequest, reply: FastifyReply, leg: NonNullable<FastifyRequest['auditLeg']>): Promise<void> {
  const headers: Record<string, string> = {}
  for (const name of KEPT_HEADERS) {
    const v = request.headers[name]
    if (typeof v === 'string') headers[name] = v
  }
  const durationMs = Math.round(reply.elapsedTime)
  try {
    await audit.record({
      paymentId: leg.paymentId,
      channelId: leg.channelId,
      kind: 'app_request',
      operation: leg.operation,
      referenceId: null,
      method: request.method,
      url: request.url,
      requestHeaders: headers,
      requestBody: request.rawBody,
      statusCode: reply.statusCode,
      responseBody: request.auditResponse,
      error: null,
      durationMs,
      startedAt: Date.now() - durationMs
    })
  } catch (err) {
    request.log.error({ err }, 'could not write an app request to the audit log')
  }
}
