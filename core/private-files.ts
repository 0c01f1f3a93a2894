import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs'

/**
 * The database, its -wal and -shm, and backups hold webhook secrets and customers' phone numbers:
 * owner-only whatever the umask (a `mode` given to mkdir or open is filtered by the umask; chmod is
 * not). SQLite gives a new -wal and -shm the main file's permissions, so an owner-only database
 * keeps its companions owner-only too.
 */
export const PRIVATE_FILE = 0o600
export const PRIVATE_DIR = 0o700

/** Creates `dir` (and missing parents) owner-only. A folder that exists is left alone: it may be shared, like /tmp. */
export function ensurePrivateDir (dir: string): void {
  if (existsSync(dir)) return
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR })
  chmodSync(dir, PRIVATE_DIR)
}

/** Makes `path` an owner-only file, creating it empty when it does not exist (an empty file is an empty SQLite database). */
export function ensurePrivateFile (path: string): void {
  closeSync(openSync(path, 'a', PRIVATE_FILE))
  restrictFile(path)
}

/**
 * Makes an existing file owner-only (one an older release left readable). Best effort: a file of
 * another user (the CLI run by someone else) cannot be changed here and is left to its owner's daemon.
 */
export function restrictFile (path: string): void {
  try {
    chmodSync(path, PRIVATE_FILE)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' && code !== 'EPERM') throw err
  }
}
