import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

/**
 * One access-log line per request instead of Fastify's two ("incoming request" and "request
 * completed"): the completed line carries the request too, so an operator loses nothing and the
 * log, and the cost of writing it, is halved. Merchants poll `GET /v1/payments/{id}`, so this is
 * the hottest log of the daemon.
 */
export class AccessLog extends LogController {
  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return
    if (error !== null && error !== undefined) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored')
    } else {
      reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
    }
  }
}
