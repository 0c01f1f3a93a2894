import { AsyncLocalStorage } from 'node:async_hooks'
import { dirname } from 'node:path'
import Database, { type Statement } from 'better-sqlite3'
import { HarpoonError } from '../../core/errors.js'
import { ensurePrivateDir, ensurePrivateFile, restrictFile } from '../../core/private-files.js'
import type { ChangeWatch, Engine, Executor, RunResult, Transaction, TransactionOptions } from '../engine.js'
import { parameters, StatementCache, type SqlStatement } from '../sql.js'

type Connection = Database.Database

export interface SqliteEngineOptions {
  /** Told about an `afterCommit` callback that threw (the transaction itself committed). */
  onAfterCommitError?: (err: unknown) => void
  /**
   * Each connection's page cache, in KiB; default better-sqlite3's 16 MiB. A cache fills as the file
   * grows until it reaches this, so it is most of how a process's memory grows with its database.
   */
  pageCacheKib?: number
}

/** Statements of one connection, prepared once per call site. */
class SqliteStatements implements Executor {
  readonly dialect = 'sqlite' as const
  readonly #cache: StatementCache<Statement>

  /** `readsOnly`: the reader connection, which must never write (a write belongs on the writer, in its turn). */
  constructor (connection: Connection, readsOnly = false) {
    this.#cache = new StatementCache('sqlite', (compiled) => {
      const prepared = connection.prepare(compiled.text)
      if (readsOnly && !prepared.readonly) {
        throw new Error(`a writing statement outside a transaction must use run() or ledger.transact: ${compiled.text.slice(0, 120)}`)
      }
      return prepared
    })
  }

  #bind (statement: SqlStatement): { prepared: Statement, params: unknown[] } {
    const { compiled, prepared } = this.#cache.lookup(statement)
    return { prepared, params: parameters(compiled, statement) }
  }

  // better-sqlite3 is synchronous: these resolve at once, with the work already done.
  async all<T>(statement: SqlStatement): Promise<T[]> {
    const { prepared, params } = this.#bind(statement)
    return prepared.all(...params) as T[]
  }

  async get<T>(statement: SqlStatement): Promise<T | undefined> {
    const { prepared, params } = this.#bind(statement)
    return prepared.get(...params) as T | undefined
  }

  async value<T>(statement: SqlStatement): Promise<T | undefined> {
    const row = await this.get<Record<string, unknown>>(statement)
    if (row === undefined) return undefined
    for (const key in row) return row[key] as T
    return undefined
  }

  async run (statement: SqlStatement): Promise<RunResult> {
    const { prepared, params } = this.#bind(statement)
    return { changes: prepared.run(...params).changes }
  }
}

/**
 * The embedded engine: one SQLite file in WAL mode with `synchronous = FULL`, so every commit is on
 * disk when it returns (WAL's default NORMAL can lose the last transactions on power loss, and here a
 * transaction is an SMS already deleted from the SIM, or a payment a merchant was told about).
 *
 * Two connections. The writer runs one transaction at a time, in arrival order (a FIFO lock held
 * across the transaction's awaits), as `BEGIN IMMEDIATE … COMMIT`. The reader serves every read made
 * outside a transaction: while a transaction is open on the writer, another request's read must not
 * see its uncommitted rows, and with one connection it would. WAL lets the reader see every commit
 * the moment it is made.
 */
export class SqliteEngine implements Engine {
  readonly dialect = 'sqlite' as const
  readonly path: string
  readonly #writer: Connection
  readonly #reader: Connection
  readonly #write: SqliteStatements
  readonly #read: SqliteStatements
  readonly #options: SqliteEngineOptions
  /** Marks the async context of a running transaction: a nested one would wait for itself. */
  readonly #inTransaction = new AsyncLocalStorage<true>()
  #tail: Promise<void> = Promise.resolve()
  #closed = false
  /** `PRAGMA data_version` on the writer: it moves when another connection (the CLI, a backup restore) commits, never for the writer's own commits. */
  readonly #dataVersion: Statement
  #lastDataVersion: unknown
  #externalCommits = 0
  /** Per watched topic, this engine's own committed changes (the writer's commits do not move data_version). */
  readonly #topicChanges = new Map<string, number>()

  constructor (path: string, options: SqliteEngineOptions = {}) {
    this.path = path
    this.#options = options
    const memory = path === ':memory:'
    if (!memory) makePrivate(path)
    this.#writer = open(path)
    this.#writer.pragma('journal_mode = WAL')
    this.#writer.pragma('synchronous = FULL')
    // Two connections to ':memory:' would be two databases: tests of that kind read through the writer.
    this.#reader = memory ? this.#writer : open(path)
    if (options.pageCacheKib !== undefined) {
      for (const c of new Set([this.#writer, this.#reader])) c.pragma(`cache_size = ${-Math.round(options.pageCacheKib)}`)
    }
    this.#write = new SqliteStatements(this.#writer)
    this.#read = memory ? this.#write : new SqliteStatements(this.#reader, true)
    this.#dataVersion = this.#writer.prepare('PRAGMA data_version').pluck()
    this.#lastDataVersion = this.#dataVersion.get()
  }

  /** The writer connection, for the migrator and the SQLite-only tools (backup) in `ledger/sqlite/`. */
  get connection (): Connection { return this.#writer }

  async all<T>(statement: SqlStatement): Promise<T[]> { return await this.#read.all<T>(statement) }
  async get<T>(statement: SqlStatement): Promise<T | undefined> { return await this.#read.get<T>(statement) }
  async value<T>(statement: SqlStatement): Promise<T | undefined> { return await this.#read.value<T>(statement) }

  /** A write outside a transaction commits on its own; it still waits its turn on the writer. */
  async run (statement: SqlStatement): Promise<RunResult> {
    return await this.transaction(async (tx) => await tx.run(statement))
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>, _options?: TransactionOptions): Promise<T> {
    if (this.#inTransaction.getStore() === true) {
      throw new Error('nested ledger transaction: pass the open Transaction down instead of starting another')
    }
    const release = await this.#lock()
    try {
      if (this.#closed) throw new HarpoonError('database_closed', 'the ledger is closed')
      const callbacks: Array<() => void> = []
      const write = this.#write
      const tx: Transaction = {
        dialect: 'sqlite',
        all: async (s) => await write.all(s),
        get: async (s) => await write.get(s),
        value: async (s) => await write.value(s),
        run: async (s) => await write.run(s),
        afterCommit: (cb) => { callbacks.push(cb) }
      }
      this.#writer.exec('BEGIN IMMEDIATE')
      let result: T
      try {
        result = await this.#inTransaction.run(true, async () => await fn(tx))
        this.#writer.exec('COMMIT')
      } catch (err) {
        if (this.#writer.inTransaction) this.#writer.exec('ROLLBACK')
        throw err
      }
      for (const cb of callbacks) {
        try { cb() } catch (err) { this.#reportAfterCommit(err) }
      }
      return result
    } finally {
      release()
    }
  }

  /**
   * Another process's commit shows in the writer's `PRAGMA data_version` (a microsecond, no disk
   * read beyond the WAL index in shared memory); this engine's own changes are counted at commit.
   * Any commit by another connection moves every topic: they are rare (the CLI), and a cache that
   * reads again once is cheaper than telling which tables a commit touched.
   */
  async watch (topic: string): Promise<ChangeWatch> {
    return {
      version: () => {
        const external = this.#externalCommitCount()
        return external === null ? null : external + (this.#topicChanges.get(topic) ?? 0)
      }
    }
  }

  async changed (tx: Transaction, topic: string): Promise<void> {
    tx.afterCommit(() => { this.#topicChanges.set(topic, (this.#topicChanges.get(topic) ?? 0) + 1) })
  }

  #externalCommitCount (): number | null {
    if (this.#closed) return null
    const now = this.#dataVersion.get()
    if (now !== this.#lastDataVersion) {
      this.#lastDataVersion = now
      this.#externalCommits++
    }
    return this.#externalCommits
  }

  async ping (): Promise<void> {
    this.#reader.prepare('SELECT 1').get()
  }

  async close (): Promise<void> {
    if (this.#closed) return
    // Wait for the transaction in hand (and any queued before close) to finish.
    const release = await this.#lock()
    this.#closed = true
    try {
      if (this.#reader !== this.#writer && this.#reader.open) this.#reader.close()
      if (this.#writer.open) this.#writer.close()
    } finally {
      release()
    }
  }

  /** FIFO: each caller waits for the one before it, so writers are served in arrival order. */
  async #lock (): Promise<() => void> {
    let release!: () => void
    const held = new Promise<void>((resolve) => { release = resolve })
    const previous = this.#tail
    this.#tail = previous.then(async () => await held)
    await previous
    return release
  }

  #reportAfterCommit (err: unknown): void {
    if (this.#options.onAfterCommitError !== undefined) this.#options.onAfterCommitError(err)
    else queueMicrotask(() => { throw err })
  }
}

/**
 * The database, its -wal and -shm hold webhook secrets and customers' phone numbers: owner-only
 * whatever the umask (core/private-files.ts), before SQLite creates anything. SQLite gives a new -wal
 * and -shm the main file's permissions.
 */
function makePrivate (path: string): void {
  try {
    ensurePrivateDir(dirname(path))
    ensurePrivateFile(path)
    restrictFile(`${path}-wal`)
    restrictFile(`${path}-shm`)
  } catch (err) {
    throw new HarpoonError('database_open_failed', `cannot open database at ${path}: ${(err as Error).message}`, [], { cause: err })
  }
}

function open (path: string): Connection {
  let db: Connection
  try {
    db = new Database(path)
  } catch (err) {
    throw new HarpoonError('database_open_failed', `cannot open database at ${path}: ${(err as Error).message}`, [], { cause: err })
  }
  db.pragma('foreign_keys = ON')
  // Another process (the CLI, a backup) may hold the write lock for a moment.
  db.pragma('busy_timeout = 5000')
  return db
}
