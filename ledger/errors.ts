import type { ErrorCode } from '../core/error-codes.js'
import { HarpoonError } from '../core/errors.js'

/** The requested object does not exist for this owner (another merchant's or mode's object included). */
export class NotFoundError extends HarpoonError {
  constructor (what: string) {
    super('not_found', `${what} not found`)
    this.name = 'NotFoundError'
  }
}

/** The request is well-formed but conflicts with the object's state. */
export class ConflictError extends HarpoonError {
  constructor (code: ErrorCode, message: string) {
    super(code, message)
    this.name = 'ConflictError'
  }
}

/** A field value the ledger refuses (the API turns this into a 422 naming the field). */
export class InvalidFieldError extends HarpoonError {
  constructor (field: string, message: string) {
    super('validation_failed', `${field} ${message}`, [{ field, message }])
    this.name = 'InvalidFieldError'
  }
}
