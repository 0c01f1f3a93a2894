import { Type } from '@sinclair/typebox'
import { literals, ModeSchema } from '../../core/enum-schema.js'
import { EVENT_TYPES } from '../../core/enums.js'
import { nullable } from '../schemas.js'
import { DELIVERY_STATUSES } from '../../webhooks/outbox.js'

/** Schemas of `/v1/webhooks` (SPEC §4). Responses list every field: Fastify drops unlisted ones. */
const Time = Type.String({ format: 'date-time', examples: ['2026-04-10T12:00:00Z'] })
const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'https:// in live mode; http:// allowed in test mode' })
const Events = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
  maxItems: 20,
  description: `event names, or ["*"] (the default) for all: ${EVENT_TYPES.filter((e) => e !== 'webhook.test').join(', ')}`
})
const Description = nullable(Type.String({ maxLength: 500 }))

export const EndpointSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: nullable(Type.String()),
  mode: ModeSchema(),
  is_active: Type.Boolean(),
  disabled_reason: nullable(Type.String()),
  last_success_at: nullable(Time),
  last_failure_at: nullable(Time),
  consecutive_failures: Type.Integer(),
  created_at: Time,
  updated_at: Time
})

export const CreatedEndpointSchema = Type.Composite([EndpointSchema, Type.Object({
  secret: Type.String({ description: 'whsec_…, shown once' }),
  message: Type.String()
})])

export const CreateEndpointBody = Type.Object({ url: Url, events: Type.Optional(Events), description: Type.Optional(Description) }, { additionalProperties: false })

export const UpdateEndpointBody = Type.Object({
  url: Type.Optional(Url),
  events: Type.Optional(Events),
  description: Type.Optional(Description),
  is_active: Type.Optional(Type.Boolean())
}, { additionalProperties: false })

export const RotateSecretBody = Type.Object({
  expires_in: Type.Integer({ minimum: 0, maximum: 7 * 86400, default: 86400, description: 'seconds the previous secret stays valid (0: at once)' })
}, { additionalProperties: false })

export const RotatedSecretSchema = Type.Object({
  id: Type.String(),
  secret: Type.String({ description: 'the new whsec_ secret, shown once' }),
  previous_secret_expires_at: Time,
  message: Type.String()
})

export const DeliverySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  webhook_id: Type.String(),
  endpoint_id: Type.String(),
  event: Type.String(),
  status: literals(DELIVERY_STATUSES),
  attempts: Type.Integer(),
  last_status_code: nullable(Type.Integer()),
  last_error: nullable(Type.String()),
  last_attempt_at: nullable(Time),
  next_attempt_at: nullable(Time),
  delivered_at: nullable(Time),
  dead_at: nullable(Time),
  replays: Type.Integer(),
  created_at: Time,
  target_url: nullable(Type.String({ description: 'the payment\'s own webhook_url this delivery goes to (signed with this endpoint\'s secret); null for the endpoint\'s own deliveries' }))
})

export const TestResultSchema = Type.Object({
  delivered: Type.Boolean(),
  status_code: nullable(Type.Integer()),
  error: nullable(Type.String()),
  duration_ms: Type.Integer(),
  delivery: DeliverySchema
})

export const EndpointIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) })
export const DeliveryIdParams = Type.Object({ delivery_id: Type.String({ minLength: 1, maxLength: 100 }) })
export const ListDeliveriesQuery = Type.Object({
  status: Type.Optional(literals(DELIVERY_STATUSES)),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 }))
}, { additionalProperties: false })
