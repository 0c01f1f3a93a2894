import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { isHarpoonError } from '../core/errors.js'
import { DatabaseUnavailableError } from '../ledger/engine.js'
import { ConflictError, InvalidFieldError, NotFoundError } from '../ledger/errors.js'
import { errorBody } from './envelope.js'
import { HttpError } from './http-errors.js'
import { fieldProblems } from './validation.js'

interface Mapped { status: number, body: ReturnType<typeof errorBody> }

function mapError (err: FastifyError | Error): Mapped {
  if (err instanceof HttpError) return { status: err.statusCode, body: errorBody(err.code, err.message, err.details) }
  if (err instanceof NotFoundError) return { status: 404, body: errorBody('not_found', err.message) }
  if (err instanceof ConflictError) return { status: 409, body: errorBody(err.code, err.message) }
  if (err instanceof InvalidFieldError) return { status: 422, body: errorBody('validation_failed', err.message, err.details) }
  // The change did not commit (or, lost during COMMIT, may have with its stored response): the client
  // retries with the same Idempotency-Key and gets the work done once, or the first answer replayed.
  if (err instanceof DatabaseUnavailableError) return { status: 503, body: errorBody('database_unavailable', 'the database is not answering; retry shortly') }
  // PostgreSQL: the change kept losing races with other requests (on this node or others) and was
  // given up; nothing of it was committed.
  if (isHarpoonError(err) && err.code === 'transaction_conflict') return { status: 503, body: errorBody('database_busy', 'the database is too busy with competing changes; retry shortly') }
  const fe = err as FastifyError
  if (fe.validation !== undefined) {
    const details = fieldProblems(fe.validation, fe.validationContext)
    return { status: 422, body: errorBody('validation_failed', `${details.length} field${details.length === 1 ? '' : 's'} failed validation: ${details.map((d) => d.field).join(', ')}`, details) }
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return { status: 413, body: errorBody('payload_too_large', 'request body is larger than 64 KiB') }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return { status: 415, body: errorBody('unsupported_media_type', 'send the body as application/json') }
    case 'FST_ERR_BAD_URL': return { status: 400, body: errorBody('malformed_url', 'the path is not a valid URL: it has bad percent-encoding') }
    case 'FST_ERR_MAX_PARAM_LENGTH': return { status: 414, body: errorBody('uri_too_long', 'a path segment is longer than the 100 characters the router takes') }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'malformed_json':
      return { status: 400, body: errorBody('malformed_json', `request body is not valid JSON: ${fe.message}`) }
    default: break
  }
  if (fe.statusCode === 429) return { status: 429, body: errorBody('rate_limited', 'too many requests for this key; slow down and retry after the Retry-After seconds') }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: errorBody(isHarpoonError(err) ? err.code : codeFor(fe.statusCode), fe.message) }
  }
  return { status: 500, body: errorBody('internal_error', 'the server failed to handle this request; it has been logged') }
}

/** A code for a status no mapping above names: the status's own words ("Forbidden" → `forbidden`). */
function codeFor (status: number): string {
  return (STATUS_CODES[status] ?? 'Bad Request').toLowerCase().replace(/[^a-z0-9]+/g, '_')
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them (headers over the size limit, a
 * request line that is not HTTP, a client too slow to send its request): they get the error envelope
 * too, written straight to the socket, which is then closed.
 */
export function clientErrorHandler (err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const [status, body] = err.code === 'HPE_HEADER_OVERFLOW'
    ? [431, errorBody('headers_too_large', 'the request headers (with the path) are larger than the server takes')]
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, errorBody('request_timeout', 'the request did not arrive in time')]
      : [400, errorBody('bad_request', 'the request is not valid HTTP')]
  const text = JSON.stringify(body)
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`)
  }
  socket.destroy(err)
}

/**
 * One place where errors become HTTP. Client mistakes are logged at info; anything else is a bug or
 * an outage, logged in full at error, and the client learns only that it happened.
 */
export function errorHandler (err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = mapError(err)
  if (status >= 500) request.log.error({ err }, 'request failed')
  // Worth retrying in a moment (with the same Idempotency-Key).
  if (status === 503) void reply.header('retry-after', '1')
  else request.log.info({ code: body.error.code, status }, 'request rejected')
  void reply.code(status).type('application/json; charset=utf-8').send(body)
}
