import type { TestProject } from 'vitest/node'
import { openPostgresEngine } from '../../ledger/postgres/engine.js'
import { migratePostgres } from '../../ledger/postgres/migrate.js'
import { startPostgresServer } from './postgres-server.js'

/** The migrated database that `createTestDatabase()` clones (CREATE DATABASE … TEMPLATE: a file copy, no migrations per test). */
export const TEMPLATE_DATABASE = 'harpoon_template'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the run's PostgreSQL server (database `postgres`). */
    postgresUrl: string
  }
}

/**
 * vitest globalSetup: ONE PostgreSQL server for the whole run, started before any test file and
 * removed after the last, with a migrated template database. Tests reach it through
 * `createTestDatabase()` (test/helpers/postgres-database.ts).
 */
export default async function setup (project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgresServer()
  try {
    const admin = await openPostgresEngine(server.url)
    try {
      await admin.session(async (c) => { await c.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`) })
    } finally {
      await admin.close()
    }
    const template = await openPostgresEngine(server.urlFor(TEMPLATE_DATABASE))
    try {
      await migratePostgres(template)
    } finally {
      await template.close() // a template must have no connections when it is cloned
    }
  } catch (err) {
    await server.destroy()
    throw err
  }
  project.provide('postgresUrl', server.url)
  return async () => { await server.destroy() }
}
