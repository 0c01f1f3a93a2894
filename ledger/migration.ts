import { HarpoonError } from '../core/errors.js'

/**
 * One schema step of one engine. Versions are applied in order, once, each in its own transaction;
 * both engines carry the same numbers and names (ledger/README.md, Layout).
 *
 * Numbers may have gaps: branches reserve theirs (009 and 011 elsewhere while 010 landed first), so
 * a migrator applies every step the database has not recorded, not only those above its newest one.
 * A step that lands later with a lower number is then applied after a higher one, so steps never
 * depend on a neighbour they were not written after.
 */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly up: string
}

/**
 * Refuses (`database_too_new`) a database that records a step this release does not carry, above its
 * newest step or in a gap: a release that knows 008 and 010 must not run on a database another
 * release took through 009, which it could misread or damage.
 */
export function assertKnownVersions (applied: Iterable<number>, migrations: readonly Migration[]): void {
  const known = new Set(migrations.map((m) => m.version))
  const unknown = [...applied].filter((v) => !known.has(v))
  if (unknown.length === 0) return
  const newest = Math.max(0, ...known)
  throw new HarpoonError('database_too_new', `database schema version ${Math.max(...unknown)} is not one this release knows (its newest is ${newest}); run the newer release or restore a backup`)
}
