import { testSecretKey } from '../test/secret-key.js'
import { describe, expect, it } from 'vitest'
import { createTestDatabase } from '../test/helpers/postgres-database.js'
import { describeDatabase, engineKind, openLedger } from './open.js'

describe('choosing the engine', () => {
  it('is SQLite at database.path without a url, PostgreSQL with one', () => {
    expect(engineKind({ path: 'x.db' })).toBe('sqlite')
    expect(engineKind({ path: 'x.db', url: null })).toBe('sqlite')
    expect(engineKind({ path: 'x.db', url: 'postgres://h/db' })).toBe('postgres')
  })

  it('logs a PostgreSQL URL without its password', () => {
    expect(describeDatabase({ path: 'x.db', url: 'postgres://harpoon:s3cret@db:5432/harpoon' })).toBe('postgres://harpoon:***@db:5432/harpoon')
    expect(describeDatabase({ path: './data/harpoon.db' })).toBe('./data/harpoon.db')
  })

  it('opens and migrates the PostgreSQL database a url names, and says clearly when it cannot be reached', async () => {
    const db = await createTestDatabase({ migrated: false })
    const ledger = await openLedger({ path: 'unused.db', url: db.url }, { secretKey: testSecretKey() })
    try {
      expect(ledger.dialect).toBe('postgres')
      await ledger.merchants.create({ id: 'm1', name: 'Shop' })
      expect((await ledger.merchants.list()).map((m) => m.id)).toEqual(['m1'])
    } finally {
      await ledger.close()
    }
    await expect(openLedger({ path: 'unused.db', url: 'postgres://harpoon:x@127.0.0.1:1/db' }, { secretKey: testSecretKey() })).rejects.toMatchObject({ code: 'database_unavailable' })
  })
})
