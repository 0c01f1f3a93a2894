import { hash, timingSafeEqual } from 'node:crypto'
import { randomBase62, randomHex } from '../core/ids.js'
import { normaliseAllowedIps } from '../core/ip-allow-list.js'
import { InvalidFieldError, NotFoundError } from './errors.js'
import { AGENT_SCOPE, KEY_SCOPES, PUBLISHABLE_SCOPES, type KeyType, type Mode, type Scope } from '../core/enums.js'
import type { Owner } from './modes.js'
import type { LedgerScope } from './scope.js'
import { sql } from './sql.js'
import { columns } from './columns.js'

export { AGENT_SCOPE, DEFAULT_SCOPES, KEY_SCOPES, KEY_TYPES, PUBLISHABLE_SCOPES, SCOPES, type KeyType, type Scope } from '../core/enums.js'

const SECRET = /^hpn_(live|test)_(sk|pk)_[0-9A-Za-z]{32,}$/
const PREFIX: Record<KeyType, string> = { secret: 'sk', publishable: 'pk' }

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
  type: KeyType
  /** Browser origins a publishable key answers with CORS; [] for none (and always for secret keys). */
  allowedOrigins: string[]
  /** Client addresses or CIDR ranges the key is accepted from; null for any. */
  allowedIps: string[] | null
}

/** A key with its secret, returned exactly once, at creation. */
export interface NewApiKey extends ApiKey {
  secret: string
}

/** Who is calling, once a key checked out. */
export interface AuthContext extends Owner {
  readonly keyId: string
  readonly scopes: ReadonlySet<Scope>
  readonly type: KeyType
  readonly allowedOrigins: readonly string[]
  readonly allowedIps: readonly string[] | null
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
  key_type: KeyType
  allowed_origins: string | null
  allowed_ips: string | null
}

const KEY_COLUMNS = columns<KeyRow>()(['id', 'merchant_id', 'name', 'mode', 'scopes', 'secret_hash', 'hint', 'created_at', 'expires_at', 'revoked_at',
  'last_used_at', 'rolled_from', 'key_type', 'allowed_origins', 'allowed_ips'])

/** A key as authentication needs it, as the cache (api-key-cache.ts) keeps it between changes. */
export interface CachedKey {
  readonly hash: Buffer
  readonly revokedAt: number | null
  readonly expiresAt: number | null
  readonly auth: AuthContext
}

/** One-shot `crypto.hash` (Node >= 20.12): half the CPU of createHash…digest on every request's key. */
function hashSecret (secret: string): Buffer {
  return hash('sha256', secret, 'buffer')
}

/**
 * A secret's hash, remembered for the next request of one connection (api/auth.ts keeps one per
 * socket): a client polling with one key is hashed once per connection instead of once a request.
 * Only the hash of a secret already presented on that connection is kept, never a verdict: the key
 * is looked up (revocation, expiry, other processes' changes) on every request as before.
 */
export class SecretHashMemo {
  #secret: string | null = null
  #hash: Buffer = Buffer.alloc(0)
  #base64 = ''

  /** The secret's SHA-256 and its base64 (the key cache's index). */
  of (secret: string): { hash: Buffer, base64: string } {
    if (secret !== this.#secret) {
      this.#hash = hashSecret(secret)
      this.#base64 = this.#hash.toString('base64')
      this.#secret = secret
    }
    return { hash: this.#hash, base64: this.#base64 }
  }
}

function toKey (r: KeyRow): ApiKey {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    name: r.name,
    mode: r.mode,
    scopes: r.scopes.split(',').filter((s): s is Scope => (KEY_SCOPES as readonly string[]).includes(s)),
    hint: r.hint,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
    rolledFrom: r.rolled_from,
    type: r.key_type,
    allowedOrigins: r.allowed_origins === null ? [] : JSON.parse(r.allowed_origins) as string[],
    allowedIps: r.allowed_ips === null ? null : JSON.parse(r.allowed_ips) as string[]
  }
}

export function parseScopes (input: readonly string[]): Scope[] {
  const bad = input.filter((s) => !(KEY_SCOPES as readonly string[]).includes(s))
  if (bad.length > 0) throw new InvalidFieldError('scopes', `unknown scope ${bad.map((b) => JSON.stringify(b)).join(', ')} (known: ${KEY_SCOPES.join(', ')})`)
  if (input.length === 0) throw new InvalidFieldError('scopes', 'must name at least one scope')
  const scopes = [...new Set(input as Scope[])]
  checkAgentAlone(scopes)
  return scopes
}

/** An agent's key forwards SMS and nothing else: `agent` is never granted beside another scope. */
function checkAgentAlone (scopes: readonly Scope[]): void {
  if (scopes.includes(AGENT_SCOPE) && scopes.length > 1) {
    throw new InvalidFieldError('scopes', 'the agent scope stands alone: an agent\'s key may forward SMS and do nothing else (make a separate key for the rest)')
  }
}

/**
 * Browser origins as a browser sends them in `Origin`: scheme, host and port, nothing else
 * ("https://shop.example", "http://localhost:3000"). Returned normalised (lower-case host, default
 * port dropped); anything else is refused naming `field`.
 */
export function parseOrigins (input: readonly string[], field = 'allowed_origins'): string[] {
  const out: string[] = []
  for (const raw of input) {
    let url: URL | null = null
    try { url = new URL(raw) } catch { /* refused below */ }
    const onlyOrigin = url !== null && (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '' &&
      url.pathname === '/' && url.search === '' && url.hash === '' && !/[?#]/.test(raw) && /^[a-z]+:\/\/[^/]+\/?$/i.test(raw.trim())
    if (url === null || !onlyOrigin) {
      throw new InvalidFieldError(field, `has ${JSON.stringify(raw)}, which is not an origin: write scheme, host and port only, like https://shop.example or http://localhost:3000`)
    }
    out.push(url.origin)
  }
  return [...new Set(out)]
}

/** An IP allow-list (addresses or CIDR ranges), normalised. An empty list is refused: null is how "every address" is said. */
export function parseAllowedIps (input: readonly string[], field = 'allowed_ips'): string[] {
  const result = normaliseAllowedIps(input)
  if ('bad' in result) throw new InvalidFieldError(field, `has ${result.bad.map((b) => JSON.stringify(b)).join(', ')}: each entry must be an IPv4 or IPv6 address or CIDR range, like 203.0.113.0/24 or 2001:db8::/32`)
  if (result.ok.length === 0) throw new InvalidFieldError(field, 'must name at least one address or range (send null to accept every address)')
  return result.ok
}

/** Who a key is accepted from and, for a publishable key, which browser origins may use it. */
export interface KeyAccess {
  /** null: every address. */
  allowedIps?: string[] | null | undefined
  allowedOrigins?: string[] | undefined
}

/** A key as it was and as it is after a change: what an audit record needs. */
export interface KeyChange { before: ApiKey, after: ApiKey }

export interface NewKeyInput extends KeyAccess {
  merchantId: string
  name: string
  mode: Mode
  scopes: readonly Scope[]
  /** Default `secret`. */
  type?: KeyType | undefined
  rolledFrom?: string
}

/**
 * API keys: only a SHA-256 of each secret is stored (secrets are 40 random base62 characters, so a
 * slow hash adds nothing). Lookup is by hash; the final comparison is constant-time anyway.
 */
export interface ApiKeyStore {
  /** A new key; its secret is in the result and nowhere else. */
  create: (input: NewKeyInput) => Promise<NewApiKey>
  /** Checks a presented secret. Null for malformed, unknown, revoked or expired keys. */
  authenticate: (secret: string) => Promise<AuthContext | null>
  /**
   * `authenticate` without waiting, when the key cache alone can answer; undefined when only the
   * ledger can (a key not cached, the cache's watch not running, inside a transaction, a
   * `last_used_at` due): then call `authenticate`.
   */
  authenticateCached: (secret: string, memo?: SecretHashMemo) => AuthContext | null | undefined
  get: (id: string, merchantId?: string) => Promise<ApiKey | undefined>
  list: (merchantId?: string) => Promise<ApiKey[]>
  /** Revokes at once. Returns false when the key does not exist (for this merchant). */
  revoke: (id: string, merchantId?: string) => Promise<boolean>
  /**
   * Rotation without downtime: a new key with the same name, mode and scopes; the old one keeps
   * working for `expiresInSeconds` (0 ends it now). The new key keeps the type, origins and allow-list.
   */
  roll: (id: string, owner: Pick<Owner, 'merchantId'>, expiresInSeconds: number) => Promise<{ key: NewApiKey, previous: ApiKey }>
  /**
   * Changes who a key is accepted from (and a publishable key's origins); fields left undefined
   * stay. NotFoundError for an unknown, revoked or other merchant's key.
   */
  updateAccess: (id: string, owner: Pick<Owner, 'merchantId'>, access: KeyAccess) => Promise<KeyChange>
  /** True when some usable publishable key lists this browser origin (a CORS preflight carries no key). */
  anyAllowsOrigin: (origin: string) => Promise<boolean>
}

/** Remember when a key was last used without a disk write per request: at most once a minute. */
const TOUCH_EVERY_MS = 60_000

/** Whether this key's `last_used_at` is to be written now. */
function touchDue (touched: ReadonlyMap<string, number>, auth: AuthContext, t: number): boolean {
  return (touched.get(auth.keyId) ?? 0) < t - TOUCH_EVERY_MS
}

/** The key's caller if the presented secret is this key's and the key is neither revoked nor expired at `t`. */
function usable (key: CachedKey, presented: Buffer, t: number): AuthContext | null {
  if (!timingSafeEqual(key.hash, presented)) return null
  if (key.revokedAt !== null && key.revokedAt <= t) return null
  if (key.expiresAt !== null && key.expiresAt <= t) return null
  return key.auth
}

export class SqlApiKeyStore implements ApiKeyStore {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async create (input: NewKeyInput): Promise<NewApiKey> {
    const name = input.name.trim()
    if (name === '' || name.length > 100) throw new InvalidFieldError('name', 'must be 1 to 100 characters')
    checkAgentAlone(input.scopes)
    const type = input.type ?? 'secret'
    const access = checkAccess(type, input)
    if (type === 'publishable') {
      const beyond = input.scopes.filter((s) => !PUBLISHABLE_SCOPES.includes(s))
      if (beyond.length > 0) throw new InvalidFieldError('scopes', `a publishable key can hold only ${PUBLISHABLE_SCOPES.join(' and ')}, not ${beyond.join(', ')}`)
    }
    const secret = `hpn_${input.mode}_${PREFIX[type]}_${randomBase62(40)}`
    const row: KeyRow = {
      id: `key_${randomHex(12)}`,
      merchant_id: input.merchantId,
      name,
      mode: input.mode,
      scopes: input.scopes.join(','),
      secret_hash: hashSecret(secret),
      hint: `${secret.slice(0, 12)}…${secret.slice(-4)}`,
      created_at: this.#s.now(),
      expires_at: null,
      revoked_at: null,
      last_used_at: null,
      rolled_from: input.rolledFrom ?? null,
      key_type: type,
      allowed_origins: access.allowedOrigins.length === 0 ? null : JSON.stringify(access.allowedOrigins),
      allowed_ips: access.allowedIps === null ? null : JSON.stringify(access.allowedIps)
    }
    await this.#s.ex.run(sql`INSERT INTO api_keys (id, merchant_id, name, mode, scopes, secret_hash, hint, created_at, expires_at, rolled_from,
        key_type, allowed_origins, allowed_ips)
      VALUES (${row.id}, ${row.merchant_id}, ${row.name}, ${row.mode}, ${row.scopes}, ${row.secret_hash}, ${row.hint}, ${row.created_at}, NULL, ${row.rolled_from},
        ${row.key_type}, ${row.allowed_origins}, ${row.allowed_ips})`)
    return { ...toKey(row), secret }
  }

  /**
   * From the cache when it holds the key (no database read: the hot path of every API request),
   * else from the ledger. Inside a transaction the cache is bypassed: that read may see the
   * transaction's own uncommitted change.
   */
  async authenticate (secret: string): Promise<AuthContext | null> {
    if (!SECRET.test(secret)) return null
    const presented = hashSecret(secret)
    const cache = this.#s.tx === null ? this.#s.shared.keyCache : null
    const hash = presented.toString('base64')
    const version = cache === null ? null : await cache.version()
    let key = cache?.get(hash)
    if (key === undefined) {
      const row = await this.#s.ex.get<KeyRow>(sql`SELECT ${KEY_COLUMNS} FROM api_keys WHERE secret_hash = ${presented}`)
      if (row === undefined) return null
      key = toCachedKey(row)
      cache?.remember(hash, key, version)
    }
    const t = this.#s.now()
    const auth = usable(key, presented, t)
    if (auth === null) return null
    const touched = this.#s.shared.keyTouched
    if (touchDue(touched, auth, t)) {
      touched.set(auth.keyId, t)
      await this.#s.ex.run(sql`UPDATE api_keys SET last_used_at = ${t} WHERE id = ${auth.keyId}`)
    }
    return auth
  }

  authenticateCached (secret: string, memo: SecretHashMemo = new SecretHashMemo()): AuthContext | null | undefined {
    if (!SECRET.test(secret)) return null
    const cache = this.#s.tx === null ? this.#s.shared.keyCache : null
    // Null: changes cannot be seen right now, so nothing is cached.
    if (cache === null || (cache.versionNow() ?? null) === null) return undefined
    const presented = memo.of(secret)
    const key = cache.get(presented.base64)
    if (key === undefined) return undefined
    const t = this.#s.now()
    const auth = usable(key, presented.hash, t)
    return auth !== null && touchDue(this.#s.shared.keyTouched, auth, t) ? undefined : auth
  }

  async get (id: string, merchantId?: string): Promise<ApiKey | undefined> {
    const row = await this.#s.ex.get<KeyRow>(sql`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ${id}`)
    if (row === undefined || (merchantId !== undefined && row.merchant_id !== merchantId)) return undefined
    return toKey(row)
  }

  async list (merchantId?: string): Promise<ApiKey[]> {
    const rows = merchantId === undefined
      ? await this.#s.ex.all<KeyRow>(sql`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY merchant_id, created_at, id`)
      : await this.#s.ex.all<KeyRow>(sql`SELECT ${KEY_COLUMNS} FROM api_keys WHERE merchant_id = ${merchantId} ORDER BY created_at, id`)
    return rows.map(toKey)
  }

  async revoke (id: string, merchantId?: string): Promise<boolean> {
    const revoked = await this.#s.write(async (tx) => {
      if (await tx.apiKeys.get(id, merchantId) === undefined) return false
      await tx.ex.run(sql`UPDATE api_keys SET revoked_at = ${tx.now()} WHERE id = ${id} AND revoked_at IS NULL`)
      await keysChanged(tx)
      return true
    })
    if (revoked) this.#s.shared.keyTouched.delete(id)
    return revoked
  }

  async roll (id: string, owner: Pick<Owner, 'merchantId'>, expiresInSeconds: number): Promise<{ key: NewApiKey, previous: ApiKey }> {
    return await this.#s.write(async (tx) => {
      const old = await tx.apiKeys.get(id, owner.merchantId)
      if (old === undefined || old.revokedAt !== null) throw new NotFoundError('api key')
      const t = tx.now()
      if (old.expiresAt !== null && old.expiresAt <= t) throw new NotFoundError('api key')
      const key = await tx.apiKeys.create({
        merchantId: old.merchantId, name: old.name, mode: old.mode, scopes: old.scopes, rolledFrom: old.id,
        type: old.type, allowedOrigins: old.allowedOrigins, allowedIps: old.allowedIps
      })
      const until = t + expiresInSeconds * 1000
      await tx.ex.run(sql`UPDATE api_keys SET expires_at = ${until} WHERE id = ${old.id} AND (expires_at IS NULL OR expires_at > ${until})`)
      await keysChanged(tx)
      return { key, previous: await tx.apiKeys.get(old.id) as ApiKey }
    })
  }

  async anyAllowsOrigin (origin: string): Promise<boolean> {
    const t = this.#s.now()
    const rows = await this.#s.ex.all<{ allowed_origins: string }>(sql`SELECT allowed_origins FROM api_keys
      WHERE key_type = ${'publishable' satisfies KeyType} AND allowed_origins IS NOT NULL AND (revoked_at IS NULL OR revoked_at > ${t}) AND (expires_at IS NULL OR expires_at > ${t})`)
    return rows.some((r) => (JSON.parse(r.allowed_origins) as string[]).includes(origin))
  }

  async updateAccess (id: string, owner: Pick<Owner, 'merchantId'>, access: KeyAccess): Promise<KeyChange> {
    return await this.#s.write(async (tx) => {
      const before = await tx.apiKeys.get(id, owner.merchantId)
      if (before === undefined || before.revokedAt !== null) throw new NotFoundError('api key')
      const next = checkAccess(before.type, {
        allowedIps: access.allowedIps === undefined ? before.allowedIps : access.allowedIps,
        allowedOrigins: access.allowedOrigins ?? before.allowedOrigins
      })
      await tx.ex.run(sql`UPDATE api_keys SET allowed_origins = ${next.allowedOrigins.length === 0 ? null : JSON.stringify(next.allowedOrigins)},
          allowed_ips = ${next.allowedIps === null ? null : JSON.stringify(next.allowedIps)}
        WHERE id = ${id}`)
      await keysChanged(tx)
      return { before, after: await tx.apiKeys.get(id) as ApiKey }
    })
  }
}

/**
 * Every statement that changes what `authenticate` answers for an existing key (revocation, expiry,
 * access) is followed by this, in its transaction: each process's key cache drops its entries at the
 * commit (a new key needs none: the cache never remembers an unknown one).
 */
async function keysChanged (tx: LedgerScope): Promise<void> {
  await tx.shared.keyCache.changed(tx.inTransaction('a change to API keys'))
}

function toCachedKey (row: KeyRow): CachedKey {
  const key = toKey(row)
  const auth: AuthContext = Object.freeze({
    keyId: key.id, merchantId: key.merchantId, mode: key.mode, scopes: new Set(key.scopes), type: key.type, allowedOrigins: key.allowedOrigins, allowedIps: key.allowedIps
  })
  return { hash: row.secret_hash, revokedAt: row.revoked_at, expiresAt: row.expires_at, auth }
}

/** The access settings a key of `type` may have, checked and normalised. */
function checkAccess (type: KeyType, access: KeyAccess): { allowedOrigins: string[], allowedIps: string[] | null } {
  const allowedOrigins = parseOrigins(access.allowedOrigins ?? [])
  // CORS is what makes a key usable from another site's page: secret keys never get it.
  if (type === 'secret' && allowedOrigins.length > 0) throw new InvalidFieldError('allowed_origins', 'is for publishable keys only: a secret key must never be used from a browser')
  return { allowedOrigins, allowedIps: access.allowedIps === null || access.allowedIps === undefined ? null : parseAllowedIps(access.allowedIps) }
}
