import type { FastifyInstance, RouteOptions } from 'fastify'

type RouteHookName = 'preHandler' | 'onSend' | 'onResponse'

/**
 * Adds hooks to the routes that match `wanted` as they are registered, after the hooks a route
 * declares itself, instead of to every request: a hook with nothing to do for a read still costs
 * each read its turn through Fastify's hook runner, and reads are nearly all of the traffic
 * (merchants polling `GET /v1/payments/{id}`). Call before the routes are registered.
 */
export function addRouteHooks (app: FastifyInstance, wanted: (route: RouteOptions) => boolean, hooks: Pick<RouteOptions, RouteHookName>): void {
  app.addHook('onRoute', (route) => {
    if (!wanted(route)) return
    for (const name of Object.keys(hooks) as RouteHookName[]) {
      const hook = hooks[name]
      if (hook === undefined) continue
      const own = route[name]
      // Fastify takes a hook or an array of them.
      ;(route as Record<RouteHookName, unknown>)[name] = own === undefined ? [hook].flat() : [own, hook].flat()
    }
  })
}

/** The methods a route answers. */
function methodsOf (route: RouteOptions): string[] { return [route.method].flat() }

/** A route that may change something: any method but GET, HEAD and OPTIONS. */
export function maybeWrites (route: RouteOptions): boolean {
  return methodsOf(route).some((m) => m !== 'GET' && m !== 'HEAD' && m !== 'OPTIONS')
}

/** A route that answers POST. */
export function takesPost (route: RouteOptions): boolean {
  return methodsOf(route).includes('POST')
}
