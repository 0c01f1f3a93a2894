import { execFile, spawn } from 'node:child_process'
import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { cleanupAfterEach } from '../helpers/cleanup.js'
import { CLI } from '../helpers/daemon-process.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'

const run = promisify(execFile)
const track = cleanupAfterEach()

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8)

/** The CLI under the umask most machines have (022: group and others may read new files). */
function underUmask022 (args: string[]): string[] {
  return ['-c', 'umask 022 && exec "$0" "$@"', process.execPath, CLI, ...args]
}

/**
 * Issue 11 D7: under umask 022 the database, its -wal and -shm, and `harpoon backup` output were
 * 0644 and the data folder 0755, readable by every user of the box, though they hold webhook secrets
 * and customers' phone numbers. They are owner-only whatever the umask.
 */
describe('files the daemon writes are its own', () => {
  it('creates the data folder 0700 and the database, -wal, -shm and backups 0600 under umask 022', async () => {
    const dir = tempDir()
    track.later(dir.cleanup)
    const data = join(dir.path, 'data')
    const db = join(data, 'harpoon.db')
    const config = join(dir.path, 'harpoon.json')
    writeFileSync(config, JSON.stringify({ api: { port: 0 }, database: { path: db }, virtual_modems: false }))

    const start = async (): Promise<() => Promise<void>> => {
      const child = spawn('/bin/sh', underUmask022(['start', '--config', config]), { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      child.stdout.on('data', (c: Buffer) => { out += c.toString() })
      child.stderr.on('data', (c: Buffer) => { out += c.toString() })
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      const stop = async (): Promise<void> => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGTERM'); await exited } }
      track.later(stop)
      await waitFor(() => out.includes('"msg":"API listening"') ? true : undefined, `the daemon to listen:\n${out}`)
      return stop
    }

    let stop = await start()
    expect(mode(data)).toBe('700')
    for (const file of [db, `${db}-wal`, `${db}-shm`]) {
      expect(existsSync(file), file).toBe(true)
      expect(mode(file), file).toBe('600')
    }

    const backup = join(dir.path, 'copy.db')
    await run('/bin/sh', underUmask022(['backup', backup, '--config', config]))
    expect(mode(backup)).toBe('600')
    await run('/bin/sh', underUmask022(['backup', backup, '--force', '--config', config]))
    expect(mode(backup)).toBe('600')
    await stop()

    // A database an older release left readable is made owner-only at the next start.
    chmodSync(db, 0o644)
    stop = await start()
    expect(mode(db)).toBe('600')
    expect(mode(`${db}-wal`)).toBe('600')
    await stop()
  })
})
