import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { HarpoonError } from '../../core/errors.js'
import { DatabaseUnavailableError, NestingGuard, type ChangeWatch, type Engine, type Executor, type RunResult, type Transaction, type TransactionOptions } from '../engine.js'
import { parameters, sql, StatementCache, type SqlStatement } from '../sql.js'
import { isRetryableConflict, isStalePlan, isUnavailable, wasNeverSent } from './errors.js'

export interface PostgresEngineOptions {
  /** Connections in the pool (default 10). A transaction holds one from BEGIN to COMMIT. */
  readonly poolSize?: number
  /** How long to wait for a connection (a new one, or a free one from a busy pool) before answering unavailable. */
  readonly connectTimeoutMs?: number
  /** `ping()` answers unavailable after this long (default 2 s). */
  readonly pingTimeoutMs?: number
  /** Runs of a transaction that keeps losing serialization races before giving up (default 10). */
  readonly maxAttempts?: number
  /**
   * The server ends a session that sits inside a transaction without sending anything for this long
   * (default 60 s), releasing its locks: a node that froze or vanished mid-transaction (power cut, no
   * TCP reset) must not hold rows the other nodes need until TCP keepalive notices, hours later.
   */
  readonly idleInTransactionTimeoutMs?: number
  /** Shown in `pg_stat_activity` (default `harpoon`). */
  readonly applicationName?: string
  /** Told about an `afterCommit` callback that threw (the transaction itself committed). */
  readonly onAfterCommitError?: (err: unknown) => void
  /** Told when an idle connection dies (the database restarted): the pool simply opens a new one. */
  readonly onConnectionError?: (err: Error) => void
  /** Told each time a transaction is run again after losing a race (metrics, logs). */
  readonly onRetry?: (info: { attempt: number, reason: string }) => void
}

/**
 * The connection was lost while COMMIT was on its way: the transaction may or may not have committed.
 * Never retried by the engine; the caller's work must be safe to redo (the SMS stays on the SIM and is
 * recognised by its hash, an API client retries with its Idempotency-Key).
 */
export class CommitOutcomeUnknownError extends DatabaseUnavailableError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CommitOutcomeUnknownError'
  }
}

/** A callback for one LISTEN channel: `payload`, or null when notifications may have been missed (the listening connection was re-established), meaning "assume everything changed". */
export type NotificationHandler = (payload: string | null) => void

const INT8_OID = 20
const NUMERIC_OID = 1700

/**
 * BIGINT (epoch ms, minor units, ids) and the NUMERIC that SUM() of a BIGINT returns come back as
 * JS numbers: every such value of the ledger is below 2^53, and one that is not is refused rather
 * than rounded. BYTEA keeps pg's own parser (a Buffer), INTEGER and SMALLINT theirs (a number).
 */
function parseInteger (text: string): number {
  const n = Number(text)
  if (!Number.isSafeInteger(n)) {
    throw new HarpoonError('integer_out_of_range', `PostgreSQL returned the integer ${text}, beyond what a JavaScript number holds exactly (2^53)`)
  }
  return n
}

function parseNumeric (text: string): number {
  if (/^-?\d+$/.test(text)) return parseInteger(text)
  const n = Number(text)
  if (!Number.isFinite(n)) throw new HarpoonError('integer_out_of_range', `PostgreSQL returned the number ${text}, which is not finite`)
  return n
}

const typeParsers = {
  getTypeParser: (oid: number, format?: 'text' | 'binary'): unknown => {
    if (oid === INT8_OID) return parseInteger
    if (oid === NUMERIC_OID) return parseNumeric
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text')
  }
} as unknown as pg.CustomTypesConfig

/** What one transaction (or read) on one connection learned while it ran. */
interface RunState {
  finished: boolean
  /** Set when a statement lost a race: the transaction is aborted and must run again. */
  lostRace: string | undefined
  /** Set when a prepared statement's plan went stale (another node changed the schema). */
  stalePlan: boolean
  /** The transaction's BEGIN while it is unanswered, or failed: a statement decides whether to wait for it (see `#query`). */
  began: Promise<unknown> | null
}

const freshState = (): RunState => ({ finished: false, lostRace: undefined, stalePlan: false, began: null })

/**
 * A statement that changes nothing when it runs outside a transaction: a read, or a table lock (which
 * PostgreSQL refuses outside one). Such a statement is sent right behind its transaction's BEGIN
 * without waiting for BEGIN's answer, saving a round trip per transaction: should BEGIN fail on a
 * live connection (a cancel request arriving just then), the statement runs on its own and harms
 * nothing, and the transaction fails with BEGIN's error. Any other statement waits for BEGIN, so a
 * write can never commit by itself outside its transaction.
 */
const HARMLESS_FIRST = /^\s*(SELECT|LOCK)\s/i

/** True for a statement that may be sent ahead of its transaction's unanswered BEGIN (HARMLESS_FIRST). */
export function sentAheadOfBegin (text: string): boolean {
  return HARMLESS_FIRST.test(text)
}

/** Statements bound to one pooled connection: a transaction's, or a read's. */
class ClientExecutor implements Executor {
  readonly dialect = 'postgres' as const
  readonly #client: pg.PoolClient
  readonly #cache: StatementCache<string>
  readonly #state: RunState

  constructor (client: pg.PoolClient, cache: StatementCache<string>, state: RunState) {
    this.#client = client
    this.#cache = cache
    this.#state = state
  }

  async #query (statement: SqlStatement, rowMode?: 'array'): Promise<pg.QueryResult> {
    if (this.#state.finished) throw new Error('this ledger transaction has already ended: a store kept it past its transact() call')
    const { compiled, prepared: name } = this.#cache.lookup(statement)
    const values = parameters(compiled, statement)
    // Until BEGIN has answered (statements of a body may be sent together), only a harmless one goes ahead of it.
    const began = this.#state.began
    if (began !== null && !sentAheadOfBegin(compiled.text)) await began
    // A named statement is parsed once per connection and reused (pg keeps the names it prepared).
    const answer = this.#client.query({ name, text: compiled.text, values, ...(rowMode === undefined ? {} : { rowMode }) })
    try {
      if (began !== null) {
        // Sent behind BEGIN (pipeline mode): BEGIN's failure is the transaction's, whatever this one did.
        try { await began } catch (err) { answer.catch(() => {}); throw err }
      }
      return await answer
    } catch (err) {
      const conflict = isRetryableConflict(err)
      // Remember it even if the caller catches it: the transaction is aborted and must be run again.
      if (conflict !== undefined) this.#state.lostRace = conflict
      if (isStalePlan(err)) this.#state.stalePlan = true
      throw err
    }
  }

  async all<T>(statement: SqlStatement): Promise<T[]> {
    return (await this.#query(statement)).rows as T[]
  }

  async get<T>(statement: SqlStatement): Promise<T | undefined> {
    return (await this.#query(statement)).rows[0] as T | undefined
  }

  async value<T>(statement: SqlStatement): Promise<T | undefined> {
    const row = (await this.#query(statement, 'array')).rows[0] as unknown[] | undefined
    return row?.[0] as T | undefined
  }

  async run (statement: SqlStatement): Promise<RunResult> {
    return { changes: (await this.#query(statement)).rowCount ?? 0 }
  }
}

type Attempt<T> = { kind: 'committed', value: T, callbacks: Array<() => void> } | { kind: 'retry', reason: string }

/**
 * The PostgreSQL engine: a `pg.Pool`, named prepared statements per call site, SERIALIZABLE
 * transactions run again from the start when they lose a race, and every sign of a database that
 * cannot be reached turned into `DatabaseUnavailableError` (HTTP 503) instead of a crash. The pool
 * opens new connections on its own once the database is back: nothing needs restarting.
 */
export class PostgresEngine implements Engine {
  readonly dialect = 'postgres' as const
  /** host:port/database, for messages (never the password). */
  readonly where: string
  readonly #pool: pg.Pool
  readonly #options: PostgresEngineOptions
  readonly #cache: StatementCache<string>
  readonly #nesting = new NestingGuard()
  /** Connections that have served before: a failure on one may be a connection that died unnoticed while idle. */
  readonly #used = new WeakSet<pg.PoolClient>()
  /**
   * Bumped when a prepared statement turns out stale ("cached plan must not change result type": the
   * schema changed under it, another node migrated). Connections from an older generation hold such
   * statements: they are closed as they come out of the pool instead of serving again.
   */
  #planGeneration = 0
  readonly #clientGeneration = new WeakMap<pg.PoolClient, number>()
  readonly #notifications: Notifications
  /** Per watched topic, this engine's own committed changes (see `watch`). */
  readonly #topicChanges = new Map<string, number>()
  #closed = false

  constructor (url: string, options: PostgresEngineOptions = {}) {
    this.where = describeUrl(url)
    this.#options = options
    let statements = 0
    this.#cache = new StatementCache('postgres', () => `harpoon_${++statements}`)
    this.#pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      application_name: options.applicationName ?? 'harpoon',
      idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 60_000,
      keepAlive: true,
      types: typeParsers,
      // Statements are written without waiting for the answer to the one before (each still ends in
      // its own Sync, so an error ends one statement, not those behind it): a transaction's BEGIN
      // travels with its first statement, and a body's independent statements awaited together
      // (Promise.all) share a round trip.
      pipeline: true
    })
    // An idle connection that dies (database restarted, network cut) is dropped by the pool, which
    // then emits 'error': without a listener that would crash the process.
    this.#pool.on('error', (err) => { options.onConnectionError?.(err) })
    this.#notifications = new Notifications(url, typeParsers, options.onConnectionError)
  }

  async all<T>(statement: SqlStatement): Promise<T[]> { return await this.#read(async (x) => await x.all<T>(statement)) }
  async get<T>(statement: SqlStatement): Promise<T | undefined> { return await this.#read(async (x) => await x.get<T>(statement)) }
  async value<T>(statement: SqlStatement): Promise<T | undefined> { return await this.#read(async (x) => await x.value<T>(statement)) }

  /** A write outside a transaction is a transaction of its own (so it gets the same retries). */
  async run (statement: SqlStatement): Promise<RunResult> {
    return await this.transaction(async (tx) => await tx.run(statement))
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    this.#nesting.refuseNested()
    const begin = options.isolation === 'read_committed' ? 'BEGIN ISOLATION LEVEL READ COMMITTED' : 'BEGIN ISOLATION LEVEL SERIALIZABLE'
    const maxAttempts = this.#options.maxAttempts ?? 10
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(fn, begin)
      if (outcome.kind === 'committed') {
        for (const cb of outcome.callbacks) {
          try { cb() } catch (err) { this.#reportAfterCommit(err) }
        }
        return outcome.value
      }
      if (attempt >= maxAttempts) {
        throw new HarpoonError('transaction_conflict', `a ledger transaction lost ${attempt} races in a row with concurrent ones (last: ${outcome.reason}) and was given up; nothing of it was committed`)
      }
      this.#options.onRetry?.({ attempt, reason: outcome.reason })
      // Full jitter, growing: two transactions that collided do not collide again in lockstep.
      if (outcome.reason !== 'stale_plan') await sleep(Math.random() * Math.min(250, 5 * 2 ** attempt))
    }
  }

  async #attempt<T>(fn: (tx: Transaction) => Promise<T>, begin: string): Promise<Attempt<T>> {
    return await this.#withClient(async (client, discard) => {
      const state = freshState()
      const callbacks: Array<() => void> = []
      const executor = new ClientExecutor(client, this.#cache, state)
      const tx: Transaction = {
        dialect: 'postgres',
        all: async (s) => await executor.all(s),
        get: async (s) => await executor.get(s),
        value: async (s) => await executor.value(s),
        run: async (s) => await executor.run(s),
        afterCommit: (cb) => { callbacks.push(cb) }
      }
      // Not awaited here: the body's first statement goes out right behind it (see HARMLESS_FIRST).
      const began = client.query(begin)
      state.began = began
      // Once BEGIN has answered, statements stop checking it; a failed BEGIN stays, failing every statement after it.
      began.then(() => { state.began = null }, () => {})
      let value: T
      try {
        value = await this.#nesting.run(async () => await fn(tx))
        // A body that sent nothing (or caught BEGIN's error): COMMIT means something only after a BEGIN that worked.
        await began
      } catch (err) {
        state.finished = true
        try {
          await client.query('ROLLBACK')
        } catch (rollbackError) {
          // The connection is in no known state: it must not serve anyone else.
          discard()
          if (isUnavailable(rollbackError)) throw rollbackError
        }
        if (state.stalePlan) {
          // Statements this node prepared before another node migrated: every connection that holds
          // them is replaced, and the transaction runs again on a fresh one, which prepares anew.
          discard()
          this.#planGeneration++
          return { kind: 'retry', reason: 'stale_plan' }
        }
        const reason = state.lostRace ?? isRetryableConflict(err)
        if (reason !== undefined) return { kind: 'retry', reason }
        throw err
      }
      state.finished = true
      let commit: pg.QueryResult
      try {
        commit = await client.query('COMMIT')
      } catch (err) {
        const reason = isRetryableConflict(err)
        if (reason !== undefined) return { kind: 'retry', reason } // a failed COMMIT has rolled back
        if (isUnavailable(err) && !wasNeverSent(err)) throw new CommitOutcomeUnknownError(`PostgreSQL at ${this.where} went away during COMMIT: the transaction may or may not have committed`, { cause: err })
        throw err
      }
      // COMMIT of a transaction that an earlier (caught) error aborted rolls back without an error.
      if (commit.command === 'ROLLBACK') {
        if (state.stalePlan) { discard(); this.#planGeneration++; return { kind: 'retry', reason: 'stale_plan' } }
        if (state.lostRace !== undefined) return { kind: 'retry', reason: state.lostRace }
        throw new HarpoonError('transaction_aborted', 'a statement of the ledger transaction failed and its error was caught, so PostgreSQL rolled the whole transaction back; use ON CONFLICT instead of catching constraint errors')
      }
      return { kind: 'committed', value, callbacks }
    }, true)
  }

  async #read<T>(fn: (executor: Executor) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const state = freshState()
      try {
        return await this.#withClient(async (client, discard) => {
          try {
            return await fn(new ClientExecutor(client, this.#cache, state))
          } catch (err) {
            if (state.stalePlan) discard()
            throw err
          }
        }, true)
      } catch (err) {
        // A read whose prepared statement went stale (see #attempt) is prepared again, once.
        if (!state.stalePlan || attempt > 1) throw err
        this.#planGeneration++
      }
    }
  }

  /**
   * Runs `fn` on one pooled connection (`discard` keeps it from going back to the pool). When that
   * connection had served before and fails as unreachable before anything was committed (it died
   * while idle and nobody noticed), `fn` runs once more on a new connection: a database that
   * restarted a moment ago costs no request.
   */
  async #withClient<T>(fn: (client: pg.PoolClient, discard: () => void) => Promise<T>, retryStale: boolean): Promise<T> {
    if (this.#closed) throw new HarpoonError('database_closed', 'the ledger is closed')
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient
      try {
        client = await this.#pool.connect()
      } catch (err) {
        throw unavailable(err, this.where)
      }
      const generation = this.#clientGeneration.get(client)
      if (generation !== undefined && generation < this.#planGeneration) {
        client.release(true)
        attempt--
        continue
      }
      this.#clientGeneration.set(client, this.#planGeneration)
      const reused = this.#used.has(client)
      this.#used.add(client)
      // A checked-out connection has no error listener of the pool's: without ours, a connection
      // dying between two statements of a transaction would crash the process.
      let broken = false
      const discard = (): void => { broken = true }
      client.on('error', discard)
      try {
        return await fn(client, discard)
      } catch (err) {
        if (!isUnavailable(err)) throw err
        broken = true
        if (err instanceof CommitOutcomeUnknownError) throw err
        if (retryStale && reused && attempt === 1) continue
        throw unavailable(err, this.where)
      } finally {
        client.removeListener('error', discard)
        client.release(broken)
      }
    }
  }

  /**
   * One pooled connection for the tools of `ledger/postgres/` that need plain text statements
   * (migrations, `ledger copy`). Errors meaning "unreachable" become DatabaseUnavailableError.
   */
  async session<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return await this.#withClient(fn, false)
  }

  async ping (): Promise<void> {
    const timeoutMs = this.#options.pingTimeoutMs ?? 2_000
    const abort = new AbortController()
    const answer = this.value(sql`SELECT 1`)
    answer.catch(() => {}) // a late failure after the timeout has nobody to tell
    const timeout = sleep(timeoutMs, undefined, { signal: abort.signal }).then(() => {
      throw new DatabaseUnavailableError(`PostgreSQL at ${this.where} did not answer within ${timeoutMs} ms`)
    })
    try {
      await Promise.race([answer, timeout])
    } finally {
      abort.abort()
      timeout.catch(() => {})
    }
  }

  /**
   * Calls `fn` with each payload NOTIFY sends on `channel` (from any node), and with null after the
   * listening connection was lost and re-established (notifications may have been missed). Resolves
   * once listening; the returned function stops it.
   */
  async listen (channel: string, fn: NotificationHandler, onLost?: () => void): Promise<() => Promise<void>> {
    return await this.#notifications.listen(channel, fn, onLost)
  }

  /**
   * Other processes' changes arrive as NOTIFY on `harpoon_changed_<topic>`, which `changed` sends in
   * the changing transaction (delivered at its commit, never on rollback); this engine's own changes
   * are counted at commit without waiting for their notification. While the listening connection is
   * down, notifications are lost: `version()` is null until it is back and listening again.
   */
  async watch (topic: string): Promise<ChangeWatch> {
    const channel = changeChannel(topic)
    let notified = 0
    let listening = true
    await this.#notifications.listen(channel, (payload) => {
      notified++
      if (payload === null) listening = true
    }, () => {
      listening = false
      notified++
    })
    return {
      version: () => listening && !this.#closed ? notified + (this.#topicChanges.get(topic) ?? 0) : null
    }
  }

  async changed (tx: Transaction, topic: string): Promise<void> {
    await tx.value(sql`SELECT pg_notify(${changeChannel(topic)}, ${''})`)
    tx.afterCommit(() => { this.#topicChanges.set(topic, (this.#topicChanges.get(topic) ?? 0) + 1) })
  }

  /**
   * Sends `payload` to every listener of `channel`. Inside a transaction, send it with
   * `tx.value(sql\`SELECT pg_notify(${channel}, ${payload})\`)` instead: PostgreSQL delivers it at
   * COMMIT, never on rollback.
   */
  async notify (channel: string, payload: string): Promise<void> {
    assertChannel(channel)
    await this.value(sql`SELECT pg_notify(${channel}, ${payload})`)
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#notifications.close()
    await this.#pool.end()
  }

  #reportAfterCommit (err: unknown): void {
    if (this.#options.onAfterCommitError !== undefined) this.#options.onAfterCommitError(err)
    else queueMicrotask(() => { throw err })
  }
}

/**
 * Opens the pool and checks the database answers, so a wrong URL or a database that is down fails
 * at start-up with a clear message. Later outages are answered with DatabaseUnavailableError and
 * heal by themselves.
 */
export async function openPostgresEngine (url: string, options: PostgresEngineOptions = {}): Promise<PostgresEngine> {
  const engine = new PostgresEngine(url, options)
  try {
    await engine.ping()
  } catch (err) {
    await engine.close()
    if (err instanceof HarpoonError) throw err
    // Refused, not unreachable: a wrong password, an unknown database or user.
    throw new HarpoonError('database_open_failed', `cannot open the PostgreSQL database at ${engine.where}: ${(err as Error).message}`, [], { cause: err })
  }
  return engine
}

function unavailable (err: unknown, where: string): Error {
  if (err instanceof DatabaseUnavailableError) return err
  if (!isUnavailable(err)) return err as Error
  return new DatabaseUnavailableError(`PostgreSQL at ${where} is unavailable: ${(err as Error).message}`, { cause: err })
}

/** `host:port/database` of a connection URL, without user or password. */
export function describeUrl (url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new HarpoonError('database_url_invalid', 'the PostgreSQL URL is not a URL (expected postgres://user:password@host:port/database)')
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new HarpoonError('database_url_invalid', `the database URL must start with postgres:// (got ${parsed.protocol}//)`)
  }
  const host = parsed.hostname !== '' ? parsed.hostname : (parsed.searchParams.get('host') ?? 'localhost')
  return `${host}:${parsed.port !== '' ? parsed.port : '5432'}${parsed.pathname}`
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/

/** The NOTIFY channel of a watched topic (`watch`, `changed`). */
function changeChannel (topic: string): string {
  const channel = `harpoon_changed_${topic}`
  assertChannel(channel)
  return channel
}

function assertChannel (channel: string): void {
  if (!CHANNEL.test(channel)) throw new Error(`LISTEN/NOTIFY channel ${JSON.stringify(channel)} must be a lower-case identifier`)
}

/**
 * LISTEN needs a connection of its own that stays open (a pooled one would be handed to others).
 * It is opened at the first `listen`, and re-opened with back-off whenever it is lost.
 */
class Notifications {
  readonly #url: string
  readonly #types: pg.CustomTypesConfig
  readonly #onError: ((err: Error) => void) | undefined
  readonly #handlers = new Map<string, Set<NotificationHandler>>()
  /** Told the moment the listening connection is lost (before it is re-opened). */
  readonly #lostHandlers = new Set<() => void>()
  /** The listening connection, once connected; cleared when it is lost. */
  #client: Promise<pg.Client> | undefined
  #closed = false
  readonly #stop = new AbortController()

  constructor (url: string, types: pg.CustomTypesConfig, onError: ((err: Error) => void) | undefined) {
    this.#url = url
    this.#types = types
    this.#onError = onError
  }

  async listen (channel: string, fn: NotificationHandler, onLost?: () => void): Promise<() => Promise<void>> {
    assertChannel(channel)
    const client = await this.#connected()
    if (!this.#handlers.has(channel)) {
      await client.query(`LISTEN ${channel}`)
      if (!this.#handlers.has(channel)) this.#handlers.set(channel, new Set())
    }
    const handlers = this.#handlers.get(channel) as Set<NotificationHandler>
    handlers.add(fn)
    if (onLost !== undefined) this.#lostHandlers.add(onLost)
    return async () => {
      handlers.delete(fn)
      if (onLost !== undefined) this.#lostHandlers.delete(onLost)
      if (handlers.size > 0 || this.#handlers.get(channel) !== handlers) return
      this.#handlers.delete(channel)
      const current = await this.#client?.catch(() => undefined)
      await current?.query(`UNLISTEN ${channel}`).catch(() => {})
    }
  }

  async #connected (): Promise<pg.Client> {
    if (this.#closed) throw new HarpoonError('database_closed', 'the ledger is closed')
    const opening = this.#client ?? this.#open()
    this.#client = opening
    try {
      return await opening
    } catch (err) {
      if (this.#client === opening) this.#client = undefined
      throw unavailable(err, describeUrl(this.#url))
    }
  }

  async #open (): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.#url, types: this.#types, keepAlive: true, application_name: 'harpoon-listen' })
    client.on('notification', (msg) => {
      for (const fn of this.#handlers.get(msg.channel) ?? []) fn(msg.payload ?? '')
    })
    let up = false
    const lost = (err?: Error): void => {
      if (err !== undefined) this.#onError?.(err)
      if (!up || this.#closed) return
      up = false
      this.#client = undefined
      for (const fn of this.#lostHandlers) fn()
      this.#resubscribe().catch(() => { /* it retries until closed; a failure here is the next attempt's */ })
    }
    client.on('error', lost)
    client.on('end', () => { lost() })
    await client.connect()
    up = true
    return client
  }

  /** Opens a new listening connection until one works, LISTENs again, tells every handler it may have missed something. */
  async #resubscribe (): Promise<void> {
    for (let attempt = 1; !this.#closed && this.#handlers.size > 0; attempt++) {
      try {
        await sleep(Math.min(5_000, 50 * 2 ** attempt), undefined, { signal: this.#stop.signal })
        const client = await this.#connected()
        for (const channel of this.#handlers.keys()) await client.query(`LISTEN ${channel}`)
        for (const handlers of this.#handlers.values()) for (const fn of handlers) fn(null)
        return
      } catch {
        if (this.#stop.signal.aborted) return
      }
    }
  }

  async close (): Promise<void> {
    this.#closed = true
    this.#stop.abort()
    const client = await this.#client?.catch(() => undefined)
    this.#client = undefined
    await client?.end().catch(() => {})
  }
}
