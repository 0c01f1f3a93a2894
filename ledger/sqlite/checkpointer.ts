import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type { Database } from 'better-sqlite3'

/** How often the checkpointer looks whether anything was committed since its last checkpoint. */
export const CHECKPOINT_EVERY_MS = 100
/**
 * A WAL this long (frames of a page each, 16 MiB) that the background checkpoint could not copy to
 * the end (commits kept landing while it ran) is finished by the writer itself, between two of its
 * transactions, so the WAL starts again from its beginning instead of growing under steady load.
 */
export const WAL_RESTART_FRAMES = 4096

/**
 * The thread's whole program, run as a CommonJS script (`eval`), so the same code runs from the
 * built daemon and under the test runner, which loads this module from its TypeScript source. Its
 * own connection copies committed pages from the WAL into the database file (a PASSIVE checkpoint:
 * it never waits for the writer nor makes it wait) when the writer has flagged a commit.
 */
const PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.path)
db.pragma('busy_timeout = 5000')
db.pragma('synchronous = FULL')
const committed = new Int32Array(workerData.committed)
const timer = setInterval(() => {
  if (Atomics.exchange(committed, 0, 0) === 0) return
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)')
    parentPort.postMessage({ log: r.log, checkpointed: r.checkpointed })
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) })
  }
}, workerData.everyMs)
parentPort.on('message', () => {
  clearInterval(timer)
  db.close()
  parentPort.close()
})
`

/**
 * Checkpoints the WAL from a thread of its own (issue 17). With SQLite's automatic checkpoint, the
 * writer's COMMIT that crosses 1,000 WAL pages also copies them into the database file and fsyncs
 * it, on the thread that answers HTTP: every request arriving meanwhile waits. Checkpointing moves
 * nothing in or out of durability (a commit is durable once its WAL frames are fsynced), so it is
 * done here instead, and the writer's automatic checkpoint is turned off while this thread runs.
 *
 * Started only once the engine has committed `START_AFTER_COMMITS` groups: a CLI command or an
 * idle daemon never pays for a thread (its memory counts in the idle RSS budget). Should the
 * thread fail, the writer's automatic checkpoint comes back on and the failure is reported.
 */
export class BackgroundCheckpointer {
  static readonly START_AFTER_COMMITS = 256
  readonly #path: string
  readonly #writer: Database
  readonly #report: (err: unknown) => void
  readonly #committed = new Int32Array(new SharedArrayBuffer(4))
  #commits = 0
  #worker: Worker | null = null
  #exited: Promise<void> | null = null
  #failed = false
  /** The thread's last checkpoint left a long WAL behind: the writer finishes it after its next commit. */
  #finish = false

  constructor (path: string, writer: Database, report: (err: unknown) => void) {
    this.#path = path
    this.#writer = writer
    this.#report = report
  }

  /** The writer committed a group (outside any transaction now): flags it, and finishes a long WAL. */
  committed (): void {
    if (this.#worker === null) {
      if (this.#failed || ++this.#commits < BackgroundCheckpointer.START_AFTER_COMMITS) return
      this.#start()
    }
    Atomics.store(this.#committed, 0, 1)
    if (this.#finish) {
      this.#finish = false
      this.#writer.pragma('wal_checkpoint(PASSIVE)')
    }
  }

  /** Stops the thread and closes its connection (before the engine closes its own: the last one out checkpoints and removes the WAL). */
  async close (): Promise<void> {
    const worker = this.#worker
    if (worker === null) return
    this.#worker = null
    worker.postMessage('close')
    await this.#exited
  }

  #start (): void {
    const worker = new Worker(PROGRAM, {
      eval: true,
      workerData: { path: this.#path, driver: createRequire(import.meta.url).resolve('better-sqlite3'), committed: this.#committed.buffer, everyMs: CHECKPOINT_EVERY_MS }
    })
    this.#worker = worker
    // The writer stops checkpointing once the thread's connection is open.
    worker.once('online', () => { if (this.#worker === worker) this.#writer.pragma('wal_autocheckpoint = 0') })
    worker.on('message', (m: { log?: number, checkpointed?: number, error?: string }) => {
      if (m.error !== undefined) this.#report(new Error(`background WAL checkpoint failed: ${m.error}`))
      else if ((m.log ?? 0) >= WAL_RESTART_FRAMES && (m.checkpointed ?? 0) < (m.log ?? 0)) this.#finish = true
    })
    worker.on('error', (err) => { this.#report(err) })
    this.#exited = new Promise((resolve) => {
      worker.once('exit', () => {
        if (this.#worker === worker) {
          // Died on its own: the writer checkpoints again, as SQLite does by default.
          this.#worker = null
          this.#failed = true
          if (this.#writer.open) this.#writer.pragma('wal_autocheckpoint = 1000')
        }
        resolve()
      })
    })
  }
}
