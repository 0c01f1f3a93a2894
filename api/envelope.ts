import type { ErrorCode } from '../core/error-codes.js'

/** SPEC §4 success and error envelopes. */
export interface FieldProblem { field: string, message: string }

export function ok<T> (data: T): { success: true, data: T } {
  return { success: true, data }
}

export function okList<T> (items: T[], hasMore: boolean, nextCursor: string | null): { success: true, data: T[], has_more: boolean, next_cursor: string | null } {
  return { success: true, data: items, has_more: hasMore, next_cursor: nextCursor }
}

export function errorBody (code: ErrorCode, message: string, details: readonly FieldProblem[] = []): { success: false, error: { code: string, message: string, details: FieldProblem[] } } {
  return { success: false, error: { code, message, details: [...details] } }
}
