import { describe, expect, it } from 'vitest'
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

  it('says clearly when the PostgreSQL engine is not in this build', async () => {
    await expect(openLedger({ path: 'unused.db', url: 'postgres://h/db' })).rejects.toMatchObject({ code: 'database_engine_unavailable' })
  })
})
