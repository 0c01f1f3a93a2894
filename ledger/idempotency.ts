import { createHash } from 'node:crypto'
import type { Db } from './db.js'
import { ConflictError } from './errors.js'
import type { Owner } from './modes.js'

export interface StoredResponse {
  statusCode: number
  body: string
}

/** Idempotency keys live 24 hours (SPEC §4). */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000

export function fingerprint (method: string, path: string, body: string): string {
  return createHash('sha256').update(`${method} ${path}\n`).update(body).digest('hex')
}

type Lookup =
  | { kind: 'new' }
  | { kind: 'replay', response: StoredResponse }

/**
 * `Idempotency-Key` records, per merchant and mode. A request first claims its key (`begin`);
 * the response is stored with `complete`. A synchronous handler does both inside the transaction
 * that makes its change, so a crash can never store the change without the response or the
 * reverse. A claim left `in_flight` by a crash stays in use until it ages out: refusing a retry is
 * safe, doing the work twice is not.
 */
export function createIdempotencyStore (db: Db, now: () => number = Date.now) {
  const get = db.prepare('SELECT fingerprint, state, response_status, response_body, created_at FROM idempotency_keys WHERE merchant_id = ? AND mode = ? AND key = ?')
  const claim = db.prepare(`INSERT INTO idempotency_keys (merchant_id, mode, key, fingerprint, state, created_at) VALUES (?, ?, ?, ?, 'in_flight', ?)
    ON CONFLICT (merchant_id, mode, key) DO UPDATE SET fingerprint = excluded.fingerprint, state = 'in_flight', response_status = NULL, response_body = NULL, created_at = excluded.created_at
    WHERE idempotency_keys.created_at <= ?`)
  const done = db.prepare('UPDATE idempotency_keys SET state = \'done\', response_status = ?, response_body = ? WHERE merchant_id = ? AND mode = ? AND key = ?')
  const release = db.prepare('DELETE FROM idempotency_keys WHERE merchant_id = ? AND mode = ? AND key = ? AND state = \'in_flight\'')
  const purge = db.prepare('DELETE FROM idempotency_keys WHERE created_at <= ?')

  return {
    /** Claims `key` for a request, or tells the caller to replay, or throws the SPEC's 409s. */
    begin (owner: Owner, key: string, print: string): Lookup {
      const t = now()
      const row = get.get(owner.merchantId, owner.mode, key) as { fingerprint: string, state: string, response_status: number | null, response_body: string | null, created_at: number } | undefined
      if (row !== undefined && row.created_at > t - IDEMPOTENCY_TTL_MS) {
        if (row.fingerprint !== print) throw new ConflictError('idempotency_key_reused', 'this Idempotency-Key was used with a different request body')
        if (row.state === 'in_flight') throw new ConflictError('idempotency_key_in_use', 'a request with this Idempotency-Key is still in progress')
        return { kind: 'replay', response: { statusCode: row.response_status ?? 200, body: row.response_body ?? '' } }
      }
      claim.run(owner.merchantId, owner.mode, key, print, t, t - IDEMPOTENCY_TTL_MS)
      return { kind: 'new' }
    },

    complete (owner: Owner, key: string, response: StoredResponse): void {
      done.run(response.statusCode, response.body, owner.merchantId, owner.mode, key)
    },

    /** Frees a claim whose request ended without a response worth replaying (a server error). */
    release (owner: Owner, key: string): void {
      release.run(owner.merchantId, owner.mode, key)
    },

    purgeExpired (): number {
      return purge.run(now() - IDEMPOTENCY_TTL_MS).changes
    }
  }
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>
