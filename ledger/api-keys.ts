import { createHash, timingSafeEqual } from 'node:crypto'
import { randomBase62, randomHex } from '../core/ids.js'
import { InvalidFieldError, NotFoundError } from './errors.js'
import { AGENT_SCOPE, KEY_SCOPES, type Mode, type Scope } from '../core/enums.js'
import type { Owner } from './modes.js'
import type { LedgerScope } from './scope.js'
import { sql } from './sql.js'
import { columns } from './columns.js'

export { AGENT_SCOPE, DEFAULT_SCOPES, KEY_SCOPES, SCOPES, type Scope } from '../core/enums.js'

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

const KEY_COLUMNS = columns<KeyRow>()(['id', 'merchant_id', 'name', 'mode', 'scopes', 'secret_hash', 'hint', 'created_at', 'expires_at', 'revoked_at',
  'last_used_at', 'rolled_from'])

function hashSecret (secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest()
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
    rolledFrom: r.rolled_from
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

export interface NewKeyInput {
  merchantId: string
  name: string
  mode: Mode
  scopes: readonly Scope[]
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
  get: (id: string, merchantId?: string) => Promise<ApiKey | undefined>
  list: (merchantId?: string) => Promise<ApiKey[]>
  /** Revokes at once. Returns false when the key does not exist (for this merchant). */
  revoke: (id: string, merchantId?: string) => Promise<boolean>
  /**
   * Rotation without downtime: a new key with the same name, mode and scopes; the old one keeps
   * working for `expiresInSeconds` (0 ends it now).
   */
  roll: (id: string, owner: Pick<Owner, 'merchantId'>, expiresInSeconds: number) => Promise<{ key: NewApiKey, previous: ApiKey }>
}

/** Remember when a key was last used without a disk write per request: at most once a minute. */
const TOUCH_EVERY_MS = 60_000

export class SqlApiKeyStore implements ApiKeyStore {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async create (input: NewKeyInput): Promise<NewApiKey> {
    const name = input.name.trim()
    if (name === '' || name.length > 100) throw new InvalidFieldError('name', 'must be 1 to 100 characters')
    checkAgentAlone(input.scopes)
    const secret = `hpn_${input.mode}_sk_${randomBase62(40)}`
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
      rolled_from: input.rolledFrom ?? null
    }
    await this.#s.ex.run(sql`INSERT INTO api_keys (id, merchant_id, name, mode, scopes, secret_hash, hint, created_at, expires_at, rolled_from)
      VALUES (${row.id}, ${row.merchant_id}, ${row.name}, ${row.mode}, ${row.scopes}, ${row.secret_hash}, ${row.hint}, ${row.created_at}, NULL, ${row.rolled_from})`)
    return { ...toKey(row), secret }
  }

  async authenticate (secret: string): Promise<AuthContext | null> {
    if (!SECRET.test(secret)) return null
    const presented = hashSecret(secret)
    const row = await this.#s.ex.get<KeyRow>(sql`SELECT ${KEY_COLUMNS} FROM api_keys WHERE secret_hash = ${presented}`)
    if (row === undefined || !timingSafeEqual(row.secret_hash, presented)) return null
    const t = this.#s.now()
    if (row.revoked_at !== null && row.revoked_at <= t) return null
    if (row.expires_at !== null && row.expires_at <= t) return null
    const touched = this.#s.shared.keyTouched
    if ((touched.get(row.id) ?? 0) < t - TOUCH_EVERY_MS) {
      touched.set(row.id, t)
      await this.#s.ex.run(sql`UPDATE api_keys SET last_used_at = ${t} WHERE id = ${row.id}`)
    }
    const key = toKey(row)
    return { keyId: key.id, merchantId: key.merchantId, mode: key.mode, scopes: new Set(key.scopes) }
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
      const key = await tx.apiKeys.create({ merchantId: old.merchantId, name: old.name, mode: old.mode, scopes: old.scopes, rolledFrom: old.id })
      const until = t + expiresInSeconds * 1000
      await tx.ex.run(sql`UPDATE api_keys SET expires_at = ${until} WHERE id = ${old.id} AND (expires_at IS NULL OR expires_at > ${until})`)
      return { key, previous: await tx.apiKeys.get(old.id) as ApiKey }
    })
  }
}
