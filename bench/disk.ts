import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { durableCommitLoop, type CommitRate } from '../ledger/sqlite/durable-commits.js'
import { tempDir, type Cleanup } from './harness.js'

export interface DiskBaseline {
  /** One-row `synchronous = FULL` SQLite commits, one after the other. */
  commits: CommitRate
  /**
   * Raw `fdatasync` after rewriting one 4 KiB page in place: the floor under any durable commit (an
   * append would also make the file system log the new size, as SQLite's reused WAL does not).
   */
  fdatasync: CommitRate
}

/**
 * The machine's own limit for durable writes, measured in the same run (and on the same filesystem,
 * the system temp folder) as the benches it is printed beside.
 */
export function measureDisk (cleanup: Cleanup, seconds = 3): DiskBaseline {
  const dir = tempDir(cleanup, 'harpoon-disk-')
  return { commits: durableCommitLoop(dir, seconds), fdatasync: fdatasyncLoop(join(dir, 'fdatasync.bin'), seconds) }
}

function fdatasyncLoop (path: string, seconds: number): CommitRate {
  const fd = openSync(path, 'w')
  try {
    const page = Buffer.alloc(4096, 7)
    const start = performance.now()
    const end = start + seconds * 1000
    let commits = 0
    writeSync(fd, page, 0, page.length, 0)
    fdatasyncSync(fd)
    while (performance.now() < end) { writeSync(fd, page, 0, page.length, 0); fdatasyncSync(fd); commits++ }
    const elapsed = (performance.now() - start) / 1000
    return { commits, seconds: elapsed, perSecond: commits / elapsed }
  } finally {
    closeSync(fd)
  }
}
