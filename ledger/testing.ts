import type { Executor } from './engine.js'
import { engineOf, type Ledger } from './ledger.js'

export { literal, sql } from './sql.js'

/**
 * For tests only: the raw executor under a ledger, to assert on rows (`await rows.value(sql`SELECT
 * COUNT(*) FROM payments`)`). Reads see every committed change; a `run` commits by itself. Whatever
 * engine the test ledger runs on (test/helpers/ledger.ts), the same statements work.
 */
export function testExecutor (ledger: Ledger): Executor {
  return engineOf(ledger)
}
