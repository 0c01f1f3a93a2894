import { join } from 'node:path'
import Database from 'better-sqlite3'

export interface CommitRate { commits: number, seconds: number, perSecond: number }

/**
 * The disk's own durable-commit rate as SQLite sees it, for the bench's physical baseline: a new
 * database in `dir` with the ledger's settings (WAL, `synchronous = FULL`), and a loop of one-row
 * transactions, each committed (one WAL fsync) before the next, for `seconds`. What one request a
 * commit could reach at best on this disk.
 */
export function durableCommitLoop (dir: string, seconds: number): CommitRate {
  const db = new Database(join(dir, 'durable-commits.db'))
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)')
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
    const one = db.transaction((v: string) => { insert.run(v) })
    const start = performance.now()
    const end = start + seconds * 1000
    let commits = 0
    while (performance.now() < end) { one(`row ${commits}`); commits++ }
    const elapsed = (performance.now() - start) / 1000
    return { commits, seconds: elapsed, perSecond: commits / elapsed }
  } finally {
    db.close()
  }
}
