import { randomBytes } from 'node:crypto'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../test/helpers/temp-dir.js'
import { loadSecretKey, parseSecretKey } from './secret-key.js'

const dirs: Array<{ cleanup: () => void }> = []
afterEach(() => { for (const d of dirs.splice(0)) d.cleanup() })
function dir (): string { const d = tempDir(); dirs.push(d); return d.path }

describe('the secret key', () => {
  it('is made on first start next to the config, owner-only, and read back the same after', () => {
    const file = join(dir(), 'conf', 'harpoon.key')
    const first = loadSecretKey({ fromEnv: null, file })
    expect(first).toMatchObject({ created: true, source: file })
    expect(first.key).toHaveLength(32)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8')).toBe(`${first.key.toString('hex')}\n`)
    const second = loadSecretKey({ fromEnv: null, file })
    expect(second.created).toBe(false)
    expect(second.key.equals(first.key)).toBe(true)
  })

  it('comes from HARPOON_SECRET_KEY as hex or base64, and a bad one is a clear error that never shows it', () => {
    const key = randomBytes(32)
    expect(loadSecretKey({ fromEnv: key.toString('hex'), file: '/nonexistent/x' }).key.equals(key)).toBe(true)
    expect(loadSecretKey({ fromEnv: key.toString('base64'), file: '/nonexistent/x' }).key.equals(key)).toBe(true)
    expect(parseSecretKey(key.toString('base64url'))?.equals(key)).toBe(true)
    const bad = 'not-a-key-but-a-secret-value'
    expect(() => loadSecretKey({ fromEnv: bad, file: '/nonexistent/x' })).toThrow(/HARPOON_SECRET_KEY must be 64 hex digits/)
    try { loadSecretKey({ fromEnv: bad, file: '/nonexistent/x' }) } catch (err) { expect((err as Error).message).not.toContain(bad) }
    expect(parseSecretKey(randomBytes(16).toString('hex'))).toBeNull()
  })

  it('refuses a damaged key file rather than making a new key', () => {
    const file = join(dir(), 'harpoon.key')
    writeFileSync(file, 'abc\n')
    expect(() => loadSecretKey({ fromEnv: null, file })).toThrow(/must hold 64 hex digits/)
  })
})
