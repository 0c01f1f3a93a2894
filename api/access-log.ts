import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'

/** `api.access_log` of the config. */
export interface AccessLogSettings {
  /** Log successful, fast reads too (GET, HEAD, OPTIONS answered 1xx–3xx): merchants' polling. */
  readonly reads: boolean
  /** A request that took at least this long is logged whatever it was. */
  readonly slowMs: number
}

export const DEFAULT_ACCESS_LOG: AccessLogSettings = { reads: false, slowMs: 500 }

/**
 * Sees every answered request, where Fastify hands it to the log controller once the response is
 * finished (or failed), as an `onResponse` hook would, without a turn through the hook runner.
 */
export type RequestObserver = (request: FastifyRequest, reply: FastifyReply) => void

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])
/** pino's number for `info`. */
const INFO = 30

/**
 * One access-log line per request that an operator needs, instead of Fastify's two per request:
 * every error (5xx at `error`, 4xx at `info`), every write (anything but GET, HEAD, OPTIONS:
 * payments made, keys rolled, test SMS), and every request slower than `slowMs`. Successful fast
 * reads, nearly all of a daemon's traffic (merchants poll `GET /v1/payments/{id}`), are logged
 * only with `reads: true`: writing their lines cost more than serving them (README, Performance).
 * The line carries the request and the response, so the "incoming request" line adds nothing.
 *
 * A successful request's line (a write, nearly always) is what a busy daemon logs most, and what it
 * costs is on every initialize: it is written through one logger made once, not the request's own
 * child (which would be made for the line, redacting its bindings), and without the redaction pass,
 * which has nothing to find in it: its fields are fixed, `req` goes through the `req` serializer
 * (method, masked URL, host, address, port: no header), `res` is the status alone. Errors keep the
 * request's logger and the whole redaction: an error object may carry anything.
 */
export class AccessLog extends LogController {
  readonly #settings: AccessLogSettings
  readonly #observe: RequestObserver
  /** The server's logger without redaction, made at the first line (the logger is the server's, known only then). */
  #lines: { root: FastifyBaseLogger, logger: Logger } | null = null

  /** `observe`: told of every answered request before its line is decided (the request metrics). */
  constructor (settings: AccessLogSettings = DEFAULT_ACCESS_LOG, observe: RequestObserver = () => {}) {
    super()
    this.#settings = settings
    this.#observe = observe
  }

  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    this.#observe(request, reply)
    if (this.isLogDisabled(request)) return
    const failed = error !== null && error !== undefined
    if (!failed && !this.#wanted(request, reply)) return
    if (failed) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored')
    } else if (reply.statusCode >= 500) {
      reply.log.error({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
    } else {
      const lines = this.#lineLogger(request.server.log)
      if ((lines.levels.values[reply.log.level] ?? INFO) > INFO) return
      lines.info({ reqId: request.id, req: request, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime }, 'request completed')
    }
  }

  #lineLogger (root: FastifyBaseLogger): Logger {
    if (this.#lines?.root !== root) this.#lines = { root, logger: (root as Logger).child({}, { redact: { paths: [] } }) }
    return this.#lines.logger
  }

  #wanted (request: FastifyRequest, reply: FastifyReply): boolean {
    return this.#settings.reads || reply.statusCode >= 400 || !READS.has(request.method) || reply.elapsedTime >= this.#settings.slowMs
  }
}
