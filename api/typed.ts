import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'

/**
 * The app as route modules register on it: each handler's `request.body`, `query` and `params` are
 * typed from the TypeBox schemas of its route (and its return value checked against the response
 * schemas), so no handler casts what Fastify has already validated.
 */
export function typed (app: FastifyInstance) {
  return app.withTypeProvider<TypeBoxTypeProvider>()
}
export type TypedApp = ReturnType<typeof typed>
