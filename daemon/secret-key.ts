import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { HarpoonError } from '../core/errors.js'
import { ensurePrivateDir, PRIVATE_FILE, restrictFile } from '../core/private-files.js'
import { SECRET_KEY_ENV } from '../config/load.js'
import { SECRET_KEY_BYTES } from '../ledger/secret-box.js'

export interface LoadedSecretKey {
  readonly key: Buffer
  /** Where it came from, for the start-up log (never the key). */
  readonly source: string
  /** The key file did not exist and was made now. */
  readonly created: boolean
}

/** 64 hex digits, or base64/base64url of exactly 32 bytes; null for anything else. */
export function parseSecretKey (text: string): Buffer | null {
  const t = text.trim()
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex')
  if (!/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(t)) return null
  const bytes = Buffer.from(t.replaceAll('-', '+').replaceAll('_', '/'), 'base64')
  return bytes.length === SECRET_KEY_BYTES ? bytes : null
}

/**
 * The key that seals secrets at rest (ledger/secret-box.ts): HARPOON_SECRET_KEY when set, else the
 * key file next to the config, made on first start (owner-only, 32 random bytes as hex). Errors say
 * what is wrong and never show a key.
 */
export function loadSecretKey (settings: { readonly fromEnv: string | null, readonly file: string }): LoadedSecretKey {
  if (settings.fromEnv !== null) {
    const key = parseSecretKey(settings.fromEnv)
    if (key === null) throw new HarpoonError('secret_key_invalid', `${SECRET_KEY_ENV} must be 64 hex digits or the base64 of 32 bytes (make one with: openssl rand -hex 32)`)
    return { key, source: SECRET_KEY_ENV, created: false }
  }
  const path = settings.file
  let created = false
  try {
    ensurePrivateDir(dirname(path))
    // 'wx': of two processes starting together on a fresh box, one writes the key and the other reads it.
    writeFileSync(path, `${randomBytes(SECRET_KEY_BYTES).toString('hex')}\n`, { flag: 'wx', mode: PRIVATE_FILE })
    created = true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EEXIST') throw new HarpoonError('secret_key_unreadable', `cannot create the secret key file ${path}: ${code ?? (err as Error).message}; set ${SECRET_KEY_ENV} instead`)
  }
  restrictFile(path)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new HarpoonError('secret_key_unreadable', `cannot read the secret key file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (run as the daemon's user, or set ${SECRET_KEY_ENV})`)
  }
  const key = parseSecretKey(text)
  if (key === null) throw new HarpoonError('secret_key_invalid', `the secret key file ${path} must hold 64 hex digits (or the base64 of 32 bytes); restore it from your backup of the key`)
  return { key, source: path, created }
}
