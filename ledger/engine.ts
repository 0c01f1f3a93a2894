import { AsyncLocalStorage } from 'node:async_hooks'
import { HarpoonError } from '../core/errors.js'
import type { Dialect, SqlStatement } from './sql.js'

export type { Dialect } from './sql.js'

export interface RunResult {
  /** Rows the statement inserted, updated or deleted. */
  readonly changes: number
}

/**
 * Runs statements. Outside a transaction: reads see every committed change; a lone `run` commits
 * on its own (in its own transaction). Inside one: every statement belongs to it.
 */
export interface Executor {
  readonly dialect: Dialect
  all: <T>(statement: SqlStatement) => Promise<T[]>
  get: <T>(statement: SqlStatement) => Promise<T | undefined>
  /** The first column of the first row, or undefined (SQLite's `pluck().get()`). */
  value: <T>(statement: SqlStatement) => Promise<T | undefined>
  run: (statement: SqlStatement) => Promise<RunResult>
}

export interface Transaction extends Executor {
  /** Runs once the transaction has committed (never on rollback, never twice on a retry). */
  afterCommit: (fn: () => void) => void
}

export interface TransactionOptions {
  /**
   * `serializable` (the default) behaves like SQLite's single writer: on PostgreSQL, a transaction
   * that lost a race is rolled back and run again from the start, so `fn` must do nothing but
   * ledger work (no HTTP, no timers, no logging of outcomes) until it returns.
   * `read_committed` is for statements that guard themselves (lease claims with SKIP LOCKED).
   */
  readonly isolation?: 'serializable' | 'read_committed'
}

/**
 * Tells a cache of some rows (one table: `topic`) that they may have changed, in this process or in
 * any other sharing the database (the CLI, another node), so the cache can answer without a read.
 */
export interface ChangeWatch {
  /**
   * A number that moves whenever a change to the topic may have been committed, by anyone; null
   * while changes from other processes cannot be seen (PostgreSQL's listening connection is down):
   * cache nothing then. Synchronous and cheap: a cache asks it on every use.
   */
  version: () => number | null
}

/** One ledger database. Only `ledger/` holds one. */
export interface Engine extends Executor {
  transaction: <T>(fn: (tx: Transaction) => Promise<T>, options?: TransactionOptions) => Promise<T>
  /** Watches one topic (a lower-case identifier, by convention the table) for changes; see ChangeWatch. */
  watch: (topic: string) => Promise<ChangeWatch>
  /**
   * Call inside the transaction that changes a topic's rows: from its commit on, every watcher's
   * `version()` has moved, in every process (this one's before `transaction()` returns).
   */
  changed: (tx: Transaction, topic: string) => Promise<void>
  /** Cheap round trip for health checks: throws DatabaseUnavailableError when the database does not answer. */
  ping: () => Promise<void>
  close: () => Promise<void>
}

/** The database cannot be reached or refused service (PostgreSQL down, restarting, out of connections). */
export class DatabaseUnavailableError extends HarpoonError {
  constructor (message: string, options?: ErrorOptions) {
    super('database_unavailable', message, [], options)
    this.name = 'DatabaseUnavailableError'
  }
}

/**
 * Marks the async context of a running transaction, so a nested one (which would wait for itself
 * forever) is refused with a clear error. Only where HARPOON_CHECK_NESTING=1 asks for it: the test
 * suites set it (vitest's configs) and every daemon they start inherits it. A daemon in production
 * goes without: on Node 20 an AsyncLocalStorage in use gives every promise of the process a hook,
 * which cost the GET path more CPU than its SQL (README "Performance").
 */
export class NestingGuard {
  readonly #context: AsyncLocalStorage<true> | null

  constructor (enabled = process.env.HARPOON_CHECK_NESTING === '1') {
    this.#context = enabled ? new AsyncLocalStorage<true>() : null
  }

  /** Throws when called from inside a transaction's fn. */
  refuseNested (): void {
    if (this.#context?.getStore() === true) {
      throw new Error('nested ledger transaction: pass the open Transaction down instead of starting another')
    }
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    return this.#context === null ? await fn() : await this.#context.run(true, fn)
  }
}
