/** The migrations of this folder import their type from here; it is the engine-neutral one. */
export type { Migration } from '../../migration.js'
