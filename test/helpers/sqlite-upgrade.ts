import { join } from 'node:path'
import { SqliteEngine } from '../../ledger/sqlite/engine.js'
import { migrate } from '../../ledger/sqlite/migrate.js'
import { MIGRATIONS } from '../../ledger/sqlite/migrations/index.js'
import { tempDir } from './temp-dir.js'

/**
 * The upgrade a user's SQLite ledger goes through: a file taken through the migrations before
 * `version` only, filled by `fill` as that release wrote it, closed, then opened again and migrated
 * to the newest. `cleanup` closes the engine (unless the test already did) and removes the file.
 */
export async function upgradedFrom (version: number, fill: (before: SqliteEngine) => Promise<void>): Promise<{ engine: SqliteEngine, cleanup: () => Promise<void> }> {
  const dir = tempDir()
  const path = join(dir.path, 'h.db')
  const before = new SqliteEngine(path)
  migrate(before.connection, MIGRATIONS.filter((m) => m.version < version))
  await fill(before)
  await before.close()
  const engine = new SqliteEngine(path)
  migrate(engine.connection)
  return { engine, cleanup: async () => { await engine.close(); dir.cleanup() } }
}
