import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { inject, onTestFinished } from 'vitest'
import { TEMPLATE_DATABASE } from './postgres-global-setup.js'

export interface TestDatabase {
  /** Connection URL of this database (superuser, password included). */
  readonly url: string
  readonly name: string
  /** Drops it (also done by itself when created inside a test). Closes other connections to it first. */
  drop: () => Promise<void>
}

function serverUrl (): string {
  const url = inject('postgresUrl') as string | undefined
  if (url === undefined) throw new Error('no PostgreSQL server in this test run: add test/helpers/postgres-global-setup.ts to globalSetup in the vitest config')
  return url
}

/** Runs `statement` on the server's `postgres` database (CREATE/DROP DATABASE cannot run inside one). */
async function admin (statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl() })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

/**
 * A fresh database on the run's PostgreSQL server (started by test/helpers/postgres-global-setup.ts),
 * migrated to the current schema unless `migrated: false` (then empty). Called inside a test, it is
 * dropped when the test finishes; from a beforeAll, call `drop()` yourself.
 */
export async function createTestDatabase (options: { migrated?: boolean, onDrop?: () => void } = {}): Promise<TestDatabase> {
  const name = `harpoon_test_${randomBytes(6).toString('hex')}`
  const template = options.migrated === false ? 'template0' : TEMPLATE_DATABASE
  await admin(`CREATE DATABASE ${name} TEMPLATE ${template}`)
  const base = new URL(serverUrl())
  base.pathname = `/${name}`
  let dropped = false
  const drop = async (): Promise<void> => {
    if (dropped) return
    dropped = true
    options.onDrop?.()
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  }
  try {
    onTestFinished(drop)
  } catch {
    // not inside a test: the caller drops it
  }
  return { url: base.href, name, drop }
}
