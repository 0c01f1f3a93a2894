import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { allowsStatus, httpStatusOf, reportUnmappedError, type ErrorCode } from '../core/error-codes.js'
import { isHarpoonError, type HarpoonError } from '../core/errors.js'
import { errorBody, type FieldProblem } from './envelope.js'
import { HttpError } from './http-errors.js'
import { fieldProblems } from './validation.js'

interface Mapped { status: number, body: ReturnType<typeof errorBody> }

/** The status core/error-codes.ts gives a code this file answers with itself (each has one). */
const statusOf = (code: ErrorCode): number => httpStatusOf(code) ?? 500
const answer = (code: ErrorCode, message: string, details: readonly FieldProblem[] = []): Mapped => ({ status: statusOf(code), body: errorBody(code, message, details) })

/**
 * A raised error's status: its code's in core/error-codes.ts, the only source. A code with none (a
 * modem's, a CLI's) reaching a route, or an HttpError naming a status its code does not have, is a
 * bug: reported to the registry's listeners (the test suite fails) and answered 500 or the
 * registry's status.
 */
export function httpStatusFor (err: HarpoonError): number {
  const named = err instanceof HttpError ? err.statusCode : null
  if (named !== null && allowsStatus(err.code, named)) return named
  const registered = httpStatusOf(err.code)
  if (registered === null || named !== null) reportUnmappedError({ code: err.code, status: named, message: err.message })
  return registered ?? 500
}

function mapError (err: FastifyError | Error): Mapped {
  if (isHarpoonError(err)) {
    const status = httpStatusFor(err)
    // The change did not commit (or, lost during COMMIT, may have with its stored response): the client
    // retries with the same Idempotency-Key and gets the work done once, or the first answer replayed.
    if (err.code === 'database_unavailable') return answer('database_unavailable', 'the database is not answering; retry shortly')
    // PostgreSQL: the change kept losing races with other requests (on this node or others) and was
    // given up; nothing of it was committed.
    if (err.code === 'transaction_conflict') return answer('database_busy', 'the database is too busy with competing changes; retry shortly')
    if (httpStatusOf(err.code) !== null) return { status, body: errorBody(err.code, err.message, err.details) }
  }
  const fe = err as FastifyError
  if (fe.validation !== undefined) {
    const details = fieldProblems(fe.validation, fe.validationContext)
    return answer('validation_failed', `${details.length} field${details.length === 1 ? '' : 's'} failed validation: ${details.map((d) => d.field).join(', ')}`, details)
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return answer('payload_too_large', 'request body is larger than 64 KiB')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return answer('unsupported_media_type', 'send the body as application/json')
    case 'FST_ERR_BAD_URL': return answer('malformed_url', 'the path is not a valid URL: it has bad percent-encoding')
    case 'FST_ERR_MAX_PARAM_LENGTH': return answer('uri_too_long', 'a path segment is longer than the 100 characters the router takes')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return answer('malformed_json', `request body is not valid JSON: ${fe.message}`)
    default: break
  }
  if (fe.statusCode === 429) return answer('rate_limited', 'too many requests for this key; slow down and retry after the Retry-After seconds')
  // Fastify's and its plugins' own client errors (405, a /docs path outside its folder, …): coded from the status's name.
  if (!isHarpoonError(err) && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: { success: false, error: { code: codeFor(fe.statusCode), message: fe.message, details: [] } } }
  }
  return answer('internal_error', 'the server failed to handle this request; it has been logged')
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
  const { status, body } = err.code === 'HPE_HEADER_OVERFLOW'
    ? answer('headers_too_large', 'the request headers (with the path) are larger than the server takes')
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? answer('request_timeout', 'the request did not arrive in time')
      : answer('bad_request', 'the request is not valid HTTP')
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
