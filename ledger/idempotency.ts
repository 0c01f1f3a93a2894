import { createHash } from 'node:crypto'
import type { IdempotencyState } from '../core/enums.js'
import { ConflictError } from './errors.js'
import type { Owner } from './modes.js'
import type { LedgerScope } from './scope.js'
import { literal, sql } from './sql.js'

export interface StoredResponse {
  statusCode: number
  body: string
}

/** Idempotency keys live 24 hours (SPEC §4). */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000

/**
 * A claim still in flight after this long belongs to a request that will never answer: its node was
 * killed, or the database went away before the 503 could free the key. A retry takes it over then,
 * instead of hearing `idempotency_key_in_use` for 24 hours. Safe even if the old request is still
 * running: its change commits only with its own claim (`complete` checks it), so one of the two fails.
 */
export const IDEMPOTENCY_STALE_CLAIM_MS = 60_000

export function fingerprint (method: string, path: string, body: string): string {
  return createHash('sha256').update(`${method} ${path}\n`).update(body).digest('hex')
}

export type Lookup =
  /** `claim` identifies this request's claim: only it can complete or release the key. */
  | { kind: 'new', claim: number }
  | { kind: 'replay', response: StoredResponse }

/** Expired records removed per transaction by `purgeExpired`. */
export const PURGE_BATCH = 1000

const IN_FLIGHT = literal('in_flight' satisfies IdempotencyState)
const DONE = literal('done' satisfies IdempotencyState)

/**
 * `Idempotency-Key` records, per merchant and mode. A request first claims its key (`begin`); the
 * response is stored with `complete`, inside the transaction that makes the request's change
 * (api/idempotency.ts `commitResponse`), so a crash can never store the change without the response
 * or the reverse. A claim left `in_flight` by a crash is refused to retries for a minute
 * (`IDEMPOTENCY_STALE_CLAIM_MS`), then taken over; every claim is fenced by its `claim` token, so the
 * work is never done twice. Claims are decided by the row itself (`ON CONFLICT … WHERE`), so two
 * nodes receiving the same key at once give it to one request.
 */
export interface IdempotencyStore {
  /** Claims `key` for a request, or tells the caller to replay, or throws the SPEC's 409s. */
  begin: (owner: Owner, key: string, print: string) => Promise<Lookup>
  /**
   * Stores the response of the request holding `claim`, inside the transaction of its change; throws
   * `idempotency_key_in_use` (rolling the change back) when the claim was taken over meanwhile.
   */
  complete: (owner: Owner, key: string, claim: number, response: StoredResponse) => Promise<void>
  /** Frees a claim whose request ended without a response worth replaying (a server error). */
  release: (owner: Owner, key: string, claim: number) => Promise<void>
  purgeExpired: () => Promise<number>
}

function inUse (): ConflictError {
  return new ConflictError('idempotency_key_in_use', 'a request with this Idempotency-Key is still in progress')
}

interface KeyRow { fingerprint: string, state: IdempotencyState, response_status: number | null, response_body: string | null, created_at: number }

export class SqlIdempotencyStore implements IdempotencyStore {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async begin (owner: Owner, key: string, print: string): Promise<Lookup> {
    return await this.#s.write(async (tx) => {
      const t = tx.now()
      const row = await tx.ex.get<KeyRow>(sql`SELECT fingerprint, state, response_status, response_body, created_at FROM idempotency_keys
        WHERE merchant_id = ${owner.merchantId} AND mode = ${owner.mode} AND key = ${key}`)
      if (row !== undefined && row.created_at > t - IDEMPOTENCY_TTL_MS) {
        if (row.fingerprint !== print) throw new ConflictError('idempotency_key_reused', 'this Idempotency-Key was used with a different request body')
        if (row.state === 'done') return { kind: 'replay', response: { statusCode: row.response_status ?? 200, body: row.response_body ?? '' } }
        if (row.created_at > t - IDEMPOTENCY_STALE_CLAIM_MS) throw inUse()
      }
      // A free key, an aged-out record or a stale claim is taken; a live claim is left alone, and
      // nothing comes back: another request (on this node or another) won the race for it.
      const claimed = await tx.ex.value<number>(sql`INSERT INTO idempotency_keys (merchant_id, mode, key, fingerprint, state, created_at)
        VALUES (${owner.merchantId}, ${owner.mode}, ${key}, ${print}, ${IN_FLIGHT}, ${t})
        ON CONFLICT (merchant_id, mode, key) DO UPDATE SET fingerprint = excluded.fingerprint, state = ${IN_FLIGHT}, response_status = NULL,
          response_body = NULL, created_at = excluded.created_at
        WHERE idempotency_keys.created_at <= ${t - IDEMPOTENCY_TTL_MS}
          OR (idempotency_keys.state = ${IN_FLIGHT} AND idempotency_keys.created_at <= ${t - IDEMPOTENCY_STALE_CLAIM_MS})
        RETURNING created_at`)
      if (claimed === undefined) throw inUse()
      return { kind: 'new', claim: claimed }
    })
  }

  async complete (owner: Owner, key: string, claim: number, response: StoredResponse): Promise<void> {
    const { changes } = await this.#s.ex.run(sql`UPDATE idempotency_keys SET state = ${DONE}, response_status = ${response.statusCode}, response_body = ${response.body}
      WHERE merchant_id = ${owner.merchantId} AND mode = ${owner.mode} AND key = ${key} AND state = ${IN_FLIGHT} AND created_at = ${claim}`)
    if (changes !== 1) throw inUse()
  }

  async release (owner: Owner, key: string, claim: number): Promise<void> {
    await this.#s.ex.run(sql`DELETE FROM idempotency_keys
      WHERE merchant_id = ${owner.merchantId} AND mode = ${owner.mode} AND key = ${key} AND state = ${IN_FLIGHT} AND created_at = ${claim}`)
  }

  /**
   * Removes the records past their 24 hours, PURGE_BATCH to a transaction: an hour of a busy
   * merchant's keys (the daemon purges hourly) never holds the writer long, nor has SQLite keep every
   * page it touches for rollback in one transaction's journal, which the writer keeps in memory
   * (ledger/sqlite/engine.ts).
   */
  async purgeExpired (): Promise<number> {
    const before = this.#s.now() - IDEMPOTENCY_TTL_MS
    let total = 0
    for (;;) {
      const { changes } = await this.#s.ex.run(sql`DELETE FROM idempotency_keys WHERE (merchant_id, mode, key) IN
        (SELECT merchant_id, mode, key FROM idempotency_keys WHERE created_at <= ${before} LIMIT ${PURGE_BATCH})`)
      total += changes
      if (changes < PURGE_BATCH) return total
    }
  }
}
