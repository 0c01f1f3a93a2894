import type { ErrorCode } from './error-codes.js'

/**
 * The one base class for errors the daemon raises on purpose. Callers decide on `code`, never on
 * message text: codes survive into logs, metrics and API bodies where classes do not. Every code is
 * registered, with its HTTP status, in core/error-codes.ts.
 * This module imports nothing but that list, so every layer can use it.
 */
export class HarpoonError extends Error {
  readonly code: ErrorCode
  /** Extra structured facts for logs and API `details`; never secrets. */
  readonly details: ReadonlyArray<{ field: string, message: string }>

  constructor (code: ErrorCode, message: string, details: ReadonlyArray<{ field: string, message: string }> = [], options?: ErrorOptions) {
    super(message, options)
    this.name = 'HarpoonError'
    this.code = code
    this.details = details
  }
}

export function isHarpoonError (err: unknown): err is HarpoonError {
  return err instanceof HarpoonError
}
