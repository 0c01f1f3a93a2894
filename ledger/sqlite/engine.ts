import { setImmediate as nextTurn } from 'node:timers'
import { dirname } from 'node:path'
import Database, { type Statement } from 'better-sqlite3'
import { HarpoonError } from '../../core/errors.js'
import { ensurePrivateDir, ensurePrivateFile, restrictFile } from '../../core/private-files.js'
import { NestingGuard, type ChangeWatch, type Engine, type RunResult, type Transaction, type TransactionOptions } from '../engine.js'
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
  /** Refuse a transaction started inside another (it would wait for itself forever); default: HARPOON_CHECK_NESTING=1 (NestingGuard). */
  checkNesting?: boolean
  /** Told after each group commit how many transactions it carried (metrics, tests). */
  onGroupCommit?: (transactions: number) => void
}

/**
 * A prepared statement, and for one that returns rows the names of its columns: such a statement
 * runs in better-sqlite3's raw mode (an array per row) and `rowOf` names the values. Faster than
 * letting better-sqlite3 build each row, which looks every column name up in V8's string table for
 * every row (a payment's 26 columns: 20 µs a row against 14 on the bench machine, README Performance).
 */
interface Prepared {
  statement: Statement
  columns: readonly string[] | null
  /** Makes the row object of one raw row: `rowMaker(columns)`, remade when the columns change. */
  make: RowMaker | null
}

type RowMaker = (values: readonly unknown[]) => Record<string, unknown>

/**
 * The constructor of a statement's rows: one object literal with the column names as its keys, so
 * every row of the statement has one shape made in one step (a loop assigning 28 keys cost ~3 µs a
 * row, the literal ~0.15). The object better-sqlite3 would have made: same keys, same order, and a
 * later duplicate name wins (a key keeps the place of its first occurrence). Names are quoted by
 * JSON.stringify, so any name is a string key and nothing of it is code. A `__proto__` column (only
 * after a schema change: such a statement is otherwise left to better-sqlite3) is written as a
 * computed key, an own property, since a literal's `"__proto__":` would set the prototype instead.
 */
export function rowMaker (columns: readonly string[]): RowMaker {
  const last = new Map<string, number>()
  columns.forEach((name, i) => last.set(name, i))
  const fields = [...last].map(([name, i]) => `${name === '__proto__' ? '["__proto__"]' : JSON.stringify(name)}: v[${i}]`)
  // The text is made only of quoted names and indexes (above).
  return new Function('v', `return { ${fields.join(', ')} }`) as RowMaker
}

/** A raw row as the object better-sqlite3 would have made (rowMaker). */
function rowOf (prepared: Prepared & { columns: readonly string[], make: RowMaker }, values: readonly unknown[]): Record<string, unknown> {
  // SQLite prepares a statement again after a schema change, and a `SELECT *` may then have other columns.
  if (values.length !== prepared.columns.length) {
    prepared.columns = prepared.statement.columns().map((c) => c.name)
    prepared.make = rowMaker(prepared.columns)
  }
  return prepared.make(values)
}

function raw (prepared: Prepared): prepared is Prepared & { columns: readonly string[], make: RowMaker } {
  return prepared.columns !== null
}

/**
 * Statements of one connection, prepared once per call site. Synchronous, as better-sqlite3 is: the
 * engine wraps each call in one settled promise, not a chain of them.
 */
class SqliteStatements {
  readonly #cache: StatementCache<Prepared>

  /** `readsOnly`: the reader connection, which must never write (a write belongs on the writer, in its turn). */
  constructor (connection: Connection, readsOnly = false) {
    this.#cache = new StatementCache('sqlite', (compiled) => {
      const statement = connection.prepare(compiled.text)
      if (readsOnly && !statement.readonly) {
        throw new Error(`a writing statement outside a transaction must use run() or ledger.transact: ${compiled.text.slice(0, 120)}`)
      }
      if (!statement.reader) return { statement, columns: null, make: null }
      const columns = statement.columns().map((c) => c.name)
      // A column named __proto__ would set the prototype instead: leave such a statement to better-sqlite3.
      if (columns.includes('__proto__')) return { statement, columns: null, make: null }
      statement.raw(true)
      return { statement, columns, make: rowMaker(columns) }
    })
  }

  all<T>(statement: SqlStatement): T[] {
    const { compiled, prepared } = this.#cache.lookup(statement)
    const rows = prepared.statement.all(...parameters(compiled, statement)) as unknown[]
    if (!raw(prepared)) return rows as T[]
    for (let i = 0; i < rows.length; i++) rows[i] = rowOf(prepared, rows[i] as unknown[])
    return rows as T[]
  }

  get<T>(statement: SqlStatement): T | undefined {
    const { compiled, prepared } = this.#cache.lookup(statement)
    const row = prepared.statement.get(...parameters(compiled, statement))
    if (!raw(prepared) || row === undefined) return row as T | undefined
    return rowOf(prepared, row as unknown[]) as T
  }

  value<T>(statement: SqlStatement): T | undefined {
    const { compiled, prepared } = this.#cache.lookup(statement)
    const row = prepared.statement.get(...parameters(compiled, statement))
    if (row === undefined) return undefined
    if (raw(prepared)) return (row as unknown[])[0] as T
    for (const key in row as Record<string, unknown>) return (row as Record<string, unknown>)[key] as T
    return undefined
  }

  run (statement: SqlStatement): RunResult {
    const { compiled, prepared } = this.#cache.lookup(statement)
    return { changes: prepared.statement.run(...parameters(compiled, statement)).changes }
  }
}

/** One caller's transaction, waiting for (or running in) a group. */
interface Queued {
  fn: (tx: Transaction) => Promise<unknown>
  resolve: (value: unknown) => void
  reject: (err: unknown) => void
}

/** The most transactions one commit carries: bounds how long the first of a group waits for the last. */
export const MAX_GROUP = 64

/**
 * The embedded engine: one SQLite file in WAL mode with `synchronous = FULL`, so every commit is on
 * disk when it returns (WAL's default NORMAL can lose the last transactions on power loss, and here a
 * transaction is an SMS already deleted from the SIM, or a payment a merchant was told about).
 *
 * Two connections. The writer runs transactions one at a time, in arrival order, by **group
 * commit**: the transactions asked for while the writer was busy (requests that arrived together,
 * a batch of webhook claims) run one after the other inside one `BEGIN IMMEDIATE … COMMIT`, each in
 * a savepoint of its own, and share that commit's one fsync. A transaction that throws is rolled
 * back to its savepoint alone; the others of its group still commit. Each caller's promise settles
 * only after the group's COMMIT returned, so nothing is acknowledged before it is on disk; if the
 * COMMIT fails, every transaction of the group fails. A lone transaction is a group of one.
 *
 * The reader serves every read made outside a transaction: while a transaction is open on the
 * writer, another request's read must not see its uncommitted rows, and with one connection it
 * would. WAL lets the reader see every commit the moment it is made.
 */
export class SqliteEngine implements Engine {
  readonly dialect = 'sqlite' as const
  readonly path: string
  readonly #writer: Connection
  readonly #reader: Connection
  readonly #write: SqliteStatements
  readonly #read: SqliteStatements
  readonly #options: SqliteEngineOptions
  readonly #nesting: NestingGuard
  readonly #queue: Queued[] = []
  /** A group is scheduled or running: new transactions join the queue for the next one. */
  #busy = false
  #closed = false
  #closing: (() => void) | null = null
  /** `PRAGMA data_version` on the writer: it moves when another connection (the CLI, a backup restore) commits, never for the writer's own commits. */
  readonly #dataVersion: Statement
  /** The reader's shared read transaction (#shareSnapshot); null where the writer also reads (':memory:'). */
  readonly #snapshot: { begin: Statement, end: Statement } | null
  #snapshotOpen = false
  /** Each transaction of a group opens and releases its savepoint: prepared once, not parsed per transaction. */
  readonly #savepoint: { open: Statement, release: Statement }
  #lastDataVersion: unknown
  #externalCommits = 0
  /** Per watched topic, this engine's own committed changes (the writer's commits do not move data_version). */
  readonly #topicChanges = new Map<string, number>()

  constructor (path: string, options: SqliteEngineOptions = {}) {
    this.path = path
    this.#options = options
    this.#nesting = new NestingGuard(options.checkNesting)
    const memory = path === ':memory:'
    if (!memory) makePrivate(path)
    this.#writer = open(path)
    this.#writer.pragma('journal_mode = WAL')
    this.#writer.pragma('synchronous = FULL')
    // Each transaction of a group runs in a savepoint, and SQLite keeps the pages it changes (their
    // state before) in a sub-journal to roll back to it. Past 64 KiB that journal spilled to a temp
    // file, created, written page by page and unlinked by every group: 26 of an initialize's 37
    // pwrite calls (strace, README Performance). In memory it holds a transaction's pages only
    // until its group commits. The writer only: a reader's temp tables and sorts stay on disk.
    this.#writer.pragma('temp_store = MEMORY')
    // Two connections to ':memory:' would be two databases: tests of that kind read through the writer.
    this.#reader = memory ? this.#writer : open(path)
    if (options.pageCacheKib !== undefined) {
      for (const c of new Set([this.#writer, this.#reader])) c.pragma(`cache_size = ${-Math.round(options.pageCacheKib)}`)
    }
    this.#write = new SqliteStatements(this.#writer)
    this.#read = memory ? this.#write : new SqliteStatements(this.#reader, true)
    this.#dataVersion = this.#writer.prepare('PRAGMA data_version').pluck()
    this.#savepoint = { open: this.#writer.prepare('SAVEPOINT harpoon_tx'), release: this.#writer.prepare('RELEASE harpoon_tx') }
    this.#snapshot = memory ? null : { begin: this.#reader.prepare('BEGIN'), end: this.#reader.prepare('COMMIT') }
    this.#lastDataVersion = this.#dataVersion.get()
  }

  /** The writer connection, for the migrator and the SQLite-only tools (backup) in `ledger/sqlite/`. */
  get connection (): Connection {
    // What is done through it (a migration, a schema change) is seen by the reads that follow it.
    this.#endSnapshot()
    return this.#writer
  }

  // better-sqlite3 is synchronous: these return promises already settled, with the work done.
  async all<T>(statement: SqlStatement): Promise<T[]> { this.#shareSnapshot(); return this.#read.all<T>(statement) }
  async get<T>(statement: SqlStatement): Promise<T | undefined> { this.#shareSnapshot(); return this.#read.get<T>(statement) }
  async value<T>(statement: SqlStatement): Promise<T | undefined> { this.#shareSnapshot(); return this.#read.value<T>(statement) }

  /**
   * The reads of one turn of the event loop share one read transaction on the reader. A statement
   * alone is a read transaction of its own: SQLite takes a read mark in the WAL index and gives it
   * back (two fcntl calls and the index header read), about 2.5 of a polling GET's 8 µs of SQL
   * (README Performance, round seven); the requests one poll of the sockets brought pay that once.
   * The snapshot ends in the check phase of the same turn, and before and after every group commit
   * of the writer, so a read made after a commit of this process always sees it. Another process's
   * commit is seen from the next turn on, as if it had come a moment later.
   */
  #shareSnapshot (): void {
    if (this.#snapshot === null || this.#snapshotOpen) return
    this.#snapshot.begin.run()
    this.#snapshotOpen = true
    nextTurn(this.#endSnapshot)
  }

  readonly #endSnapshot = (): void => {
    if (!this.#snapshotOpen || this.#snapshot === null) return
    this.#snapshotOpen = false
    if (!this.#reader.inTransaction) return
    try {
      this.#snapshot.end.run()
    } catch (err) {
      // A read transaction left open would show this turn's snapshot for good: never leave one.
      // Called right after a group's COMMIT too, where nothing may throw: report, do not throw.
      try { this.#reader.exec('ROLLBACK') } catch { /* the next BEGIN reports a connection gone bad */ }
      this.#reportAfterCommit(err)
    }
  }

  /** A write outside a transaction commits on its own; it still waits its turn on the writer. */
  async run (statement: SqlStatement): Promise<RunResult> {
    return await this.transaction(async (tx) => await tx.run(statement))
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>, _options?: TransactionOptions): Promise<T> {
    this.#nesting.refuseNested()
    if (this.#closed || this.#closing !== null) throw new HarpoonError('database_closed', 'the ledger is closed')
    return await new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (value: unknown) => void, reject })
      this.#schedule()
    })
  }

  /**
   * The next group starts on the next turn of the event loop, after its poll phase: every request
   * whose bytes arrived meanwhile (they could not be read while the last COMMIT blocked the loop in
   * its fsync) has then asked for its transaction and joins this group.
   */
  #schedule (): void {
    if (this.#busy) return
    this.#busy = true
    nextTurn(() => { this.#runGroup().catch((err: unknown) => { this.#reportAfterCommit(err) }) })
  }

  async #runGroup (): Promise<void> {
    // Reads after this group's commit must see it: none may go on in a snapshot taken before.
    this.#endSnapshot()
    const group = this.#queue.splice(0, MAX_GROUP)
    try {
      if (group.length > 0) await this.#commitGroup(group)
    } catch (err) {
      // A statement of the engine's own failed (a SAVEPOINT or ROLLBACK the database refused): nobody in
      // the group may be left waiting, and none of them was answered yet (answers follow the COMMIT).
      for (const q of group) q.reject(err)
      if (this.#writer.inTransaction) {
        try { this.#writer.exec('ROLLBACK') } catch { /* the connection reports it on the next BEGIN */ }
      }
    } finally {
      this.#busy = false
      if (this.#queue.length > 0) this.#schedule()
      else if (this.#closing !== null) this.#closing()
    }
  }

  async #commitGroup (group: Queued[]): Promise<void> {
    if (this.#closed) {
      for (const q of group) q.reject(new HarpoonError('database_closed', 'the ledger is closed'))
      return
    }
    try {
      this.#writer.exec('BEGIN IMMEDIATE')
    } catch (err) {
      for (const q of group) q.reject(err)
      return
    }
    const done: Array<{ q: Queued, result: unknown, callbacks: Array<() => void> }> = []
    for (let i = 0; i < group.length; i++) {
      const q = group[i] as Queued
      const callbacks: Array<() => void> = []
      this.#savepoint.open.run()
      try {
        const tx = this.#transactionOf(callbacks)
        const result = await this.#nesting.run(async () => await q.fn(tx))
        this.#savepoint.release.run()
        done.push({ q, result, callbacks })
      } catch (err) {
        q.reject(err)
        if (this.#writer.inTransaction) {
          try {
            this.#writer.exec('ROLLBACK TO harpoon_tx')
            this.#writer.exec('RELEASE harpoon_tx')
            continue
          } catch { /* the transaction is unusable: as below */ }
          if (this.#writer.inTransaction) this.#writer.exec('ROLLBACK')
        }
        // SQLite rolled the whole transaction back (an I/O error, a full disk): the transactions
        // before this one were undone with it, and they run again, with those not yet run, in
        // the next group (a transaction's fn may run again from the start; Transaction says so).
        this.#queue.unshift(...done.map((d) => d.q), ...group.slice(i + 1))
        return
      }
    }
    try {
      this.#writer.exec('COMMIT')
    } catch (err) {
      if (this.#writer.inTransaction) this.#writer.exec('ROLLBACK')
      for (const d of done) d.q.reject(err)
      return
    }
    // Past the COMMIT nothing may throw out of here: the group's work is on disk and is answered as done.
    // A read made while the group ran (another caller's) opened a snapshot without its changes.
    this.#endSnapshot()
    try { this.#options.onGroupCommit?.(done.length) } catch (err) { this.#reportAfterCommit(err) }
    for (const d of done) {
      for (const cb of d.callbacks) {
        try { cb() } catch (err) { this.#reportAfterCommit(err) }
      }
      d.q.resolve(d.result)
    }
  }

  #transactionOf (callbacks: Array<() => void>): Transaction {
    const write = this.#write
    return {
      dialect: 'sqlite',
      all: async (s) => write.all(s),
      get: async (s) => write.get(s),
      value: async (s) => write.value(s),
      run: async (s) => write.run(s),
      afterCommit: (cb) => { callbacks.push(cb) }
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

  /**
   * Asks `PRAGMA data_version` at most once per turn of the event loop: the requests whose bytes
   * one poll of the sockets brought share the answer (the reset runs in the check phase, right
   * after that poll's callbacks). A commit another process made before this turn began is always
   * seen; each ask is a statement and two fcntl lock calls (a GET payment made eight in all).
   */
  #externalCommitCount (): number | null {
    if (this.#closed) return null
    if (!this.#dataVersionAsked) {
      this.#dataVersionAsked = true
      nextTurn(this.#askAgain)
      const now = this.#dataVersion.get()
      if (now !== this.#lastDataVersion) {
        this.#lastDataVersion = now
        this.#externalCommits++
      }
    }
    return this.#externalCommits
  }

  #dataVersionAsked = false
  readonly #askAgain = (): void => { this.#dataVersionAsked = false }

  async ping (): Promise<void> {
    this.#reader.prepare('SELECT 1').get()
  }

  async close (): Promise<void> {
    if (this.#closed) return
    // Every transaction asked for before close runs and commits first; later ones are refused.
    if (this.#busy || this.#queue.length > 0) {
      const drained = new Promise<void>((resolve) => { this.#closing = resolve })
      await drained
    }
    if (this.#closed) return
    this.#closed = true
    this.#endSnapshot()
    if (this.#reader !== this.#writer && this.#reader.open) this.#reader.close()
    if (this.#writer.open) this.#writer.close()
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
