/**
 * Constraint errors, read the same way on both engines, for the few places that must tell "this
 * row already exists" apart from a failure. Prefer `INSERT … ON CONFLICT DO NOTHING RETURNING` where
 * the statement can say it: on PostgreSQL a failed statement aborts its whole transaction, so a
 * caught violation cannot be followed by more work in the same transaction.
 */
export function isUniqueViolation (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  // PostgreSQL's SQLSTATE unique_violation; better-sqlite3's extended result codes.
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}
