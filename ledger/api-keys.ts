import { createHash, timingSafeEqual } from 'node:crypto'
import { randomBase62, randomHex } from '../core/ids.js'
import type { Db } from './db.js'
import { InvalidFieldError, NotFoundError } from './errors.js'
import type { Mode, Owner } from './modes.js'

import { SCOPES, type Scope } from '../core/enums.js'

export { DEFAULT_SCOPES, SCOPES, type Scope } from '../core/enums.js'

const SECRET = /^hpn_(live|test)_sk_[0-9A-Za-z]{32,}$/

export interface ApiKey {
  id: string
  merchantId: string
  name: string
  mode: Mode
  scopes: Scope[]
  /** Enough of the secret to recognise it in a list, never enough to use it. */
  hint: string
  createdAt: number
  expiresAt: number | null
  revokedAt: number | null
  lastUsedAt: number | null
  rolledFrom: string | null
}

/** A key with its secret, returned exactly once, at creation. */
export interface NewApiKey extends ApiKey {
  secret: string
}

/** Who is calling, once a key checked out. */
export interface AuthContext extends Owner {
  readonly keyId: string
  readonly scopes: ReadonlySet<Scope>
}

interface KeyRow {
  id: string
  merchant_id: string
  name: string
  mode: Mode
  scopes: string
  secret_hash: Buffer
  hint: string
  created_at: number
  expires_at: number | null
  revoked_at: number | null
  last_used_at: number | null
  rolled_from: string | null
}

function hashSecret (secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest()
}

function toKey (r: KeyRow): ApiKey {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    name: r.name,
    mode: r.mode,
    scopes: r.scopes.split(',').filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
    hint: r.hint,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
    rolledFrom: r.rolled_from
  }
}

export function parseScopes (input: readonly string[]): Scope[] {
  const bad = input.filter((s) => !(SCOPES as readonly string[]).includes(s))
  if (bad.length > 0) throw new InvalidFieldError('scopes', `unknown scope ${bad.map((b) => JSON.stringify(b)).join(', ')} (known: ${SCOPES.join(', ')})`)
  if (input.length === 0) throw new InvalidFieldError('scopes', 'must name at least one scope')
  return [...new Set(input as Scope[])]
}

/**
 * API keys: only a SHA-256 of each secret is stored (secrets are 40 random base62 characters, so a
 * slow hash adds nothing). Lookup is by hash; the final comparison is constant-time anyway.
 */
export function createApiKeyRepository (db: Db, now: () => number = Date.now) {
  const insert = db.prepare(`INSERT INTO api_keys (id, merchant_id, name, mode, scopes, secret_hash, hint, created_at, expires_at, rolled_from)
    VALUES (@id, @merchant_id, @name, @mode, @scopes, @secret_hash, @hint, @created_at, NULL, @rolled_from)`)
  const byHash = db.prepare('SELECT * FROM api_keys WHERE secret_hash = ?')
  const byId = db.prepare('SELECT * FROM api_keys WHERE id = ?')
  const byMerchant = db.prepare('SELECT * FROM api_keys WHERE merchant_id = ? ORDER BY created_at, id')
  const all = db.prepare('SELECT * FROM api_keys ORDER BY merchant_id, created_at, id')
  const revoke = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
  const expire = db.prepare('UPDATE api_keys SET expires_at = ? WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)')
  const touch = db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?')
  // Remember when a key was last used without a disk write per request: at most once a minute.
  const lastTouched = new Map<string, number>()

  function create (input: { merchantId: string, name: string, mode: Mode, scopes: readonly Scope[], rolledFrom?: string }): NewApiKey {
    const name = input.name.trim()
    if (name === '' || name.length > 100) throw new InvalidFieldError('name', 'must be 1 to 100 characters')
    const secret = `hpn_${input.mode}_sk_${randomBase62(40)}`
    const row = {
      id: `key_${randomHex(12)}`,
      merchant_id: input.merchantId,
      name,
      mode: input.mode,
      scopes: input.scopes.join(','),
      secret_hash: hashSecret(secret),
      hint: `${secret.slice(0, 12)}…${secret.slice(-4)}`,
      created_at: now(),
      rolled_from: input.rolledFrom ?? null
    }
    insert.run(row)
    return { ...toKey({ ...row, expires_at: null, revoked_at: null, last_used_at: null }), secret }
  }

  return {
    create,

    /** Checks a presented secret. Null for malformed, unknown, revoked or expired keys. */
    authenticate (secret: string): AuthContext | null {
      if (!SECRET.test(secret)) return null
      const presented = hashSecret(secret)
      const row = byHash.get(presented) as KeyRow | undefined
      if (row === undefined || !timingSafeEqual(row.secret_hash, presented)) return null
      const t = now()
      if (row.revoked_at !== null && row.revoked_at <= t) return null
      if (row.expires_at !== null && row.expires_at <= t) return null
      if ((lastTouched.get(row.id) ?? 0) < t - 60_000) {
        lastTouched.set(row.id, t)
        touch.run(t, row.id)
      }
      const key = toKey(row)
      return { keyId: key.id, merchantId: key.merchantId, mode: key.mode, scopes: new Set(key.scopes) }
    },

    get (id: string, merchantId?: string): ApiKey | undefined {
      const row = byId.get(id) as KeyRow | undefined
      if (row === undefined || (merchantId !== undefined && row.merchant_id !== merchantId)) return undefined
      return toKey(row)
    },

    list (merchantId?: string): ApiKey[] {
      const rows = (merchantId === undefined ? all.all() : byMerchant.all(merchantId)) as KeyRow[]
      return rows.map(toKey)
    },

    /** Revokes at once. Returns false when the key does not exist (for this merchant). */
    revoke (id: string, merchantId?: string): boolean {
      const key = this.get(id, merchantId)
      if (key === undefined) return false
      revoke.run(now(), id)
      lastTouched.delete(id)
      return true
    },

    /**
     * Rotation without downtime: a new key with the same name, mode and scopes; the old one keeps
     * working for `expiresInSeconds` (0 ends it now).
     */
    roll (id: string, owner: Pick<Owner, 'merchantId'>, expiresInSeconds: number): { key: NewApiKey, previous: ApiKey } {
      return db.transaction(() => {
        const old = this.get(id, owner.merchantId)
        if (old === undefined || old.revokedAt !== null) throw new NotFoundError('api key')
        const t = now()
        if (old.expiresAt !== null && old.expiresAt <= t) throw new NotFoundError('api key')
        const key = create({ merchantId: old.merchantId, name: old.name, mode: old.mode, scopes: old.scopes, rolledFrom: old.id })
        expire.run(t + expiresInSeconds * 1000, old.id, t + expiresInSeconds * 1000)
        return { key, previous: this.get(old.id) as ApiKey }
      }).immediate()
    }
  }
}

export type ApiKeyRepository = ReturnType<typeof createApiKeyRepository>
