import type { Migration } from '../../migration.js'
import { agentStore } from './001-store.js'
import { assembledParts } from './002-assembled-parts.js'

/**
 * The agent store's schema steps, numbered on their own (the agent file is not a ledger): never
 * edited once released, a change is a new file. The SQLite migrator applies them.
 */
export const AGENT_MIGRATIONS: readonly Migration[] = [agentStore, assembledParts]
