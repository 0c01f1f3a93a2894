import { HarpoonError } from '../core/errors.js'

/**
 * One schema step of one engine. Versions are applied in order, once, each in its own transaction;
 * both engines carry the same numbers and names (ledger/README.md, Layout).
 */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly up: string
}

/**
 * The steps a database still needs, in version order: every step of this release it has not
 * recorded, whatever their numbers. Numbers can leave gaps, because features that each add a step
 * land in any order: a database at 008 that took 011 later takes 009 and 010 when a release brings
 * them. Refuses (`database_too_new`) a database that recorded a step this release does not know,
 * above its newest or in a gap: a release that lacks a step must not run on what that step made.
 */
export function pendingMigrations (migrations: readonly Migration[], applied: ReadonlySet<number>): Migration[] {
  const known = new Set(migrations.map((m) => m.version))
  const unknown = [...applied].filter((v) => !known.has(v)).sort((a, b) => a - b)
  if (unknown.length > 0) {
    const newest = Math.max(0, ...known)
    throw new HarpoonError('database_too_new', `database schema holds step${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}, which this release does not know (its newest is ${newest}); run the newer release or restore a backup`)
  }
  return [...migrations].filter((m) => !applied.has(m.version)).sort((a, b) => a.version - b.version)
}
