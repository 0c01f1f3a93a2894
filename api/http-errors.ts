import type { ErrorCode } from '../core/error-codes.js'
import { HarpoonError } from '../core/errors.js'
import type { FieldProblem } from './envelope.js'

/**
 * An error raised by the HTTP layer itself, naming its status where it is raised. The status must be
 * the code's in core/error-codes.ts (or one of its `alsoStatus`): error-handler.ts answers with the
 * registry's and reports a disagreement, which fails the test suite.
 */
export class HttpError extends HarpoonError {
  readonly statusCode: number
  constructor (statusCode: number, code: ErrorCode, message: string, details: readonly FieldProblem[] = []) {
    super(code, message, details)
    this.name = 'HttpError'
    this.statusCode = statusCode
  }
}

export const unauthorized = (message: string): HttpError => new HttpError(401, 'unauthorized', message)
export const forbidden = (message: string): HttpError => new HttpError(403, 'insufficient_scope', message)
export const validationFailed = (details: readonly FieldProblem[]): HttpError =>
  new HttpError(422, 'validation_failed', `${details.length} field${details.length === 1 ? '' : 's'} failed validation: ${details.map((d) => d.field).join(', ')}`, details)
