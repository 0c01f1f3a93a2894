import type { ChangeWatch, Engine, Transaction } from './engine.js'

/** The engine topic key changes are announced on (ChangeWatch). */
const TOPIC = 'api_keys'
/** Keys are few; a cache past this size is emptied rather than grown (it refills from the ledger). */
const MAX_ENTRIES = 10_000
/** After the watch could not start (PostgreSQL down), the next attempt waits this long. */
const RETRY_MS = 1_000

/**
 * API keys by secret hash, so that a request's authentication reads nothing from the database.
 * Correct only because every entry is dropped the moment any process may have changed a key:
 * before each use the cache asks the engine's ChangeWatch (SQLite: `PRAGMA data_version` for other
 * processes' commits; PostgreSQL: NOTIFY), and a store method that changes keys calls `changed` in
 * its transaction. While changes cannot be seen (the watch is not running, PostgreSQL's listener is
 * down) nothing is cached and every request reads the ledger, as before the cache.
 *
 * What is cached is a key's row as read, revocation and expiry included: those are checked against
 * the clock on every use, so a key rolled with a grace period stops at its `expires_at` without any
 * change to announce.
 */
export class ApiKeyCache<Entry> {
  readonly #engine: Engine
  readonly #entries = new Map<string, Entry>()
  #watch: ChangeWatch | undefined
  #starting: Promise<void> | undefined
  #retryAt = 0
  /** The watch's version the entries were read under. */
  #version: number | null = null

  constructor (engine: Engine) { this.#engine = engine }

  /**
   * The version to read a key under, or null (cache nothing). Drops every entry when the version
   * moved since the last call: from here on, `get` only answers what was read after the last change.
   */
  async version (): Promise<number | null> {
    if (this.#watch === undefined) await this.#start()
    return this.versionNow() ?? null
  }

  /**
   * `version` without waiting: undefined while the watch has not started (ask `version`), which
   * happens once per process or after the ledger was unreachable.
   */
  versionNow (): number | null | undefined {
    if (this.#watch === undefined) return undefined
    const now = this.#watch.version()
    if (now !== this.#version) {
      this.#entries.clear()
      this.#version = now
    }
    return now
  }

  get (hash: string): Entry | undefined { return this.#entries.get(hash) }

  /**
   * Keeps what was read under `version`, unless a change may have been committed since `version`
   * was taken (the read may then predate it).
   */
  remember (hash: string, entry: Entry, version: number | null): void {
    if (version === null || this.#watch?.version() !== version || this.#version !== version) return
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear()
    this.#entries.set(hash, entry)
  }

  /** Inside a transaction that changes keys: every process's cache drops its entries at the commit. */
  async changed (tx: Transaction): Promise<void> {
    await this.#engine.changed(tx, TOPIC)
  }

  async #start (): Promise<ChangeWatch | undefined> {
    if (this.#starting === undefined && Date.now() >= this.#retryAt) {
      this.#starting = this.#engine.watch(TOPIC).then((watch) => { this.#watch = watch }, () => {
        // The ledger is unreachable: this request reads (and fails) as it would without a cache.
        this.#retryAt = Date.now() + RETRY_MS
      }).finally(() => { this.#starting = undefined })
    }
    await this.#starting
    return this.#watch
  }
}
