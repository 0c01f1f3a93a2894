import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export const INSTALL_HINT = 'apt-get install -y postgresql'

/**
 * A real PostgreSQL server for the tests, from the Debian `postgresql` package's binaries: a fresh
 * cluster (`initdb`) in a temporary folder, listening on 127.0.0.1 at a free port and on a unix
 * socket in that folder, removed again by `destroy()`.
 *
 * `fsync = off` and `full_page_writes = off` make it fast. That is safe here because they only
 * protect against the *machine* losing power or crashing: the WAL of every commit is still written
 * to the operating system before the commit returns (`synchronous_commit` stays on), so killing
 * the server (`pg_ctl stop -m immediate`, SIGKILL), which the outage tests do, loses nothing.
 */
export interface PostgresServer {
  /** Superuser URL of the `postgres` database over TCP (with password). */
  readonly url: string
  readonly port: number
  readonly dir: string
  /** The same server, another database. */
  urlFor: (database: string) => string
  /** Stops the server: `immediate` is a crash (no checkpoint, clients cut off), `fast` a clean stop. */
  stop: (mode?: 'fast' | 'immediate') => Promise<void>
  /** Starts it again on the same port (recovering from the WAL after an immediate stop). */
  start: () => Promise<void>
  /** Stops the server and removes its folder. */
  destroy: () => Promise<void>
}

/**
 * The folder holding initdb, pg_ctl and postgres: `pg_config --bindir`, else the newest
 * /usr/lib/postgresql/N/bin (where Debian puts the server; libpq-dev's pg_config may name a folder
 * without it). The places are parameters for the test of the missing-server message only.
 */
export function postgresBinDir (where: { pgConfig: string, root: string } = { pgConfig: 'pg_config', root: '/usr/lib/postgresql' }): string {
  const hasServer = (dir: string): boolean => ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(dir, b)))
  try {
    const dir = execFileSync(where.pgConfig, ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    if (hasServer(dir)) return dir
  } catch {
    // no pg_config: look where Debian puts the server
  }
  const root = where.root
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : []
  for (const v of versions) {
    const dir = join(root, v, 'bin')
    if (hasServer(dir)) return dir
  }
  throw new Error(`PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: the tests start their own PostgreSQL server. Install them with: ${INSTALL_HINT}`)
}

/**
 * initdb refuses to run as root: as root, the server runs as the `postgres` system user (which the
 * Debian package creates), owning the folder.
 */
function serverUser (): { uid: number, gid: number, wrap: (bin: string, args: string[]) => [string, string[]] } | undefined {
  if (process.getuid?.() !== 0) return undefined
  let uid: number, gid: number
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
  } catch {
    throw new Error(`the tests run as root, and PostgreSQL must then run as the 'postgres' system user, which does not exist. Install the server with: ${INSTALL_HINT}`)
  }
  return { uid, gid, wrap: (bin, args) => ['runuser', ['-u', 'postgres', '--', bin, ...args]] }
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => { typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')) })
    })
  })
}

export async function startPostgresServer (): Promise<PostgresServer> {
  const bin = postgresBinDir()
  const user = serverUser()
  const dir = mkdtempSync(join(tmpdir(), 'harpoon-pg-'))
  const data = join(dir, 'data')
  const log = join(dir, 'server.log')
  const password = randomBytes(12).toString('hex')
  if (user !== undefined) chownSync(dir, user.uid, user.gid)
  const pg = async (name: string, args: string[]): Promise<void> => {
    const [cmd, argv] = user === undefined ? [join(bin, name), args] : user.wrap(join(bin, name), args)
    try {
      await run(cmd, argv, { cwd: dir, timeout: 120_000 })
    } catch (err) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n') : ''
      const e = err as { stderr?: string, message: string }
      throw new Error(`${name} ${args[0] ?? ''} failed: ${e.stderr?.trim() ?? e.message}${tail === '' ? '' : `\n--- server.log ---\n${tail}`}`)
    }
  }
  const asServerUser = (path: string): void => { if (user !== undefined) chownSync(path, user.uid, user.gid) }

  try {
    const pwfile = join(dir, 'pwfile')
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 })
    asServerUser(pwfile)
    // --no-sync: the cluster is thrown away after the run. C locale: byte order, like SQLite.
    await pg('initdb', ['-D', data, '-U', 'harpoon', `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-locale', '--no-sync'])
    rmSync(pwfile)
    appendFileSync(join(data, 'postgresql.conf'), "\ninclude 'harpoon-test.conf'\n")
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }

  let port = 0
  const start = async (): Promise<void> => { await pg('pg_ctl', ['start', '-D', data, '-l', log, '-w', '-t', '60']) }
  // A port free a moment ago can be taken before the server binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort()
    const settings = join(data, 'harpoon-test.conf')
    writeFileSync(settings, [
      "listen_addresses = '127.0.0.1'",
      `port = ${port}`,
      `unix_socket_directories = '${dir}'`,
      'fsync = off',
      'full_page_writes = off',
      'max_connections = 200',
      'shared_buffers = 32MB',
      "timezone = 'UTC'"
    ].join('\n') + '\n')
    asServerUser(settings)
    try {
      await start()
      break
    } catch (err) {
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true })
        throw err
      }
    }
  }

  const urlFor = (database: string): string => `postgres://harpoon:${password}@127.0.0.1:${port}/${database}`
  let running = true
  const stop = async (mode: 'fast' | 'immediate' = 'fast'): Promise<void> => {
    await pg('pg_ctl', ['stop', '-D', data, '-m', mode, '-w', '-t', '60'])
    running = false
  }
  return {
    url: urlFor('postgres'),
    port,
    dir,
    urlFor,
    stop,
    start: async () => { await start(); running = true },
    destroy: async () => {
      try {
        if (running) await stop('immediate')
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
  }
}
