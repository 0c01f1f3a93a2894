import { describe, expect, it } from 'vitest'
import { postgresBinDir } from './postgres-server.js'

describe('the tests\' PostgreSQL server', () => {
  it('finds the server binaries of the postgresql package', () => {
    expect(postgresBinDir()).toMatch(/bin$/)
  })

  it('names the install command when the server is not installed', () => {
    expect(() => postgresBinDir({ pgConfig: 'no-such-pg_config', root: '/no/such/folder' }))
      .toThrow('PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: the tests start their own PostgreSQL server. Install them with: apt-get install -y postgresql')
  })
})
