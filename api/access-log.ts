import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

/** `api.access_log` of the config. */
export interface AccessLogSettings {
  /** Log successful, fast reads too (GET, HEAD, OPTIONS answered 1xx–3xx): merchants' polling. */
  readonly reads: boolean
  /** A request that took at least this long is logged whatever it was. */
  readonly slowMs: number
}

export const DEFAULT_ACCESS_LOG: AccessLogSettings = { reads: false, slowMs: 500 }

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * One access-log line per request that an operator needs, instead of Fastify's two per request:
 * every error (5xx at `error`, 4xx at `info`), every write (anything but GET, HEAD, OPTIONS:
 * payments made, keys rolled, test SMS), and every request slower than `slowMs`. Successful fast
 * reads, nearly all of a daemon's traffic (merchants poll `GET /v1/payments/{id}`), are logged
 * only with `reads: true`: writing their lines cost more than serving them (README, Performance).
 * The line carries the request and the response, so the "incoming request" line adds nothing.
 */
export class AccessLog extends LogController {
  readonly #settings: AccessLogSettings

  constructor (settings: AccessLogSettings = DEFAULT_ACCESS_LOG) {
    super()
    this.#settings = settings
  }

  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return
    const failed = error !== null && error !== undefined
    if (!failed && !this.#wanted(request, reply)) return
    if (failed) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored')
    } else if (reply.statusCode >= 500) {
      reply.log.error({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
    } else {
      reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
    }
  }

  #wanted (request: FastifyRequest, reply: FastifyReply): boolean {
    return this.#settings.reads || reply.statusCode >= 400 || !READS.has(request.method) || reply.elapsedTime >= this.#settings.slowMs
  }
}
