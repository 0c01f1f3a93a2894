import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { typed } from '../typed.js'
import type { Ledger } from '../../ledger/ledger.js'
import { auditRecordView } from '../audit-trail.js'
import { caller } from '../auth.js'
import { okList } from '../envelope.js'
import { validationFailed } from '../http-errors.js'
import { ErrorSchema, listEnvelope, nullable } from '../schemas.js'
import { DateOrTime } from './transaction-schemas.js'
import { timeBound } from './transactions.js'


export const AuditQuery = Type.Object({
  target_type: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'payment, credit, key, webhook, delivery, merchant, proxy_client' })),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'the object\'s id: a payment\'s reference, a key\'s id, an endpoint\'s id, …' })),
  key: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'who acted: an API key\'s id, or the OS user of a CLI command' })),
  from: Type.Optional(DateOrTime),
  to: Type.Optional(DateOrTime),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 }))
}, { additionalProperties: false })

const nullableString = nullable(Type.String())

export const AuditRecordSchema = Type.Object({
  seq: Type.Integer({ description: 'the record\'s place in the chain: 1, 2, 3… without gaps' }),
  at: Type.String({ format: 'date-time' }),
  actor: Type.Object({ type: Type.Union([Type.Literal('key'), Type.Literal('cli')]), id: Type.String(), address: nullableString }),
  merchant: nullableString,
  mode: nullableString,
  action: Type.String({ examples: ['payment.cancel', 'key.roll', 'webhook.rotate_secret'] }),
  target: Type.Object({ type: nullableString, id: nullableString }),
  before: Type.Unknown({ description: 'the object before the change (secrets redacted); null for a creation' }),
  after: Type.Unknown({ description: 'the object after the change (secrets redacted); null for a deletion' }),
  prev_hash: Type.String({ description: 'sha256 (hex) of the record before; 64 zeros for the first' }),
  hash: Type.String({ description: 'sha256 (hex) over prev_hash and this record: `harpoon audit verify` recomputes the chain' })
})

const errors = { 401: ErrorSchema, 403: ErrorSchema, 422: ErrorSchema, 429: ErrorSchema }

/**
 * `GET /v1/audit` (operator): the audit trail of the caller's merchant and mode, with the box-wide
 * records (merchants created at the CLI), newest first.
 */
export function auditTrailRoutes (ledger: Ledger) {
  return async function register (instance: FastifyInstance): Promise<void> {
    const app = typed(instance)
    app.get('/audit', {
      config: { scope: 'operator' },
      schema: {
        tags: ['operator'],
        summary: 'The audit trail: who changed what, when, from where, before and after',
        description: 'Every state-changing API call and CLI action, append-only and hash-chained. Filters: target_type and target (the object), key (who acted), from and to (ISO 8601; a date is the whole UTC day).',
        querystring: AuditQuery,
        response: { 200: listEnvelope(AuditRecordSchema), ...errors }
      }
    }, async (request) => {
      const auth = caller(request)
      const q = request.query
      const from = timeBound(q.from, 'start')
      const to = timeBound(q.to, 'end')
      const problems = []
      if (from !== undefined && Number.isNaN(from)) problems.push({ field: 'from', message: 'is not a date this calendar has' })
      if (to !== undefined && Number.isNaN(to)) problems.push({ field: 'to', message: 'is not a date this calendar has' })
      if (problems.length > 0) throw validationFailed(problems)
      const page = await ledger.auditTrail.list({
        merchantId: auth.merchantId, mode: auth.mode, targetType: q.target_type, targetId: q.target, actorId: q.key, from, to, limit: q.limit, cursor: q.cursor
      })
      return okList(page.items.map(auditRecordView), page.hasMore, page.nextCursor)
    })
  }
}
