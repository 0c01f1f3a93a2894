import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * iPay's request hashes: HMAC-SHA256 with the vendor's hash key over a "datastring" that each call
 * builds its own way (research note B.3–B.7). The client signs with these and the simulator checks
 * with the same functions, so the two can never disagree about an order.
 */

/** `POST /transact`: the documented field order, `cst` before `cbk` and `crl` left out (B.3). */
export const TRANSACT_HASH_ORDER = ['live', 'oid', 'inv', 'amount', 'tel', 'eml', 'vid', 'curr', 'p1', 'p2', 'p3', 'p4', 'cst', 'cbk'] as const
export type TransactHashFields = Record<typeof TRANSACT_HASH_ORDER[number], string>

export const datastring = {
  transact: (f: TransactHashFields): string => TRANSACT_HASH_ORDER.map((k) => f[k]).join(''),
  /** `POST /transact/push/{mpesa,airtel}`: `phone.vid.sid` — the order of the page's PHP and every client, not of its prose (B.4). */
  stkPush: (f: { phone: string, vid: string, sid: string }): string => f.phone + f.vid + f.sid,
  /** `POST /transact/mobilemoney`: `sid.vid`, as the clients that work use it (B.5 lists the conflict). */
  status: (f: { sid: string, vid: string }): string => f.sid + f.vid,
  /** `POST /transaction/search`: `oid.vid` (B.6). */
  search: (f: { oid: string, vid: string }): string => f.oid + f.vid,
  /**
   * `POST /transaction/refund`: an http query string of every sent parameter but `hash`, keys in
   * alphabetical order ("amount=50&code=…&vid=…"), form-encoded as PHP's http_build_query does for
   * these plain values (B.7).
   */
  refund: (params: Readonly<Record<string, string>>): string =>
    new URLSearchParams(Object.keys(params).filter((k) => k !== 'hash').sort().map((k): [string, string] => [k, params[k] ?? ''])).toString()
}

export function hmacSha256Hex (key: string, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('hex')
}

/** Constant-time comparison of two hex hashes (case-insensitive, as hex is). */
export function sameHash (expected: string, received: string): boolean {
  const a = Buffer.from(expected.toLowerCase(), 'utf8')
  const b = Buffer.from(received.toLowerCase(), 'utf8')
  return a.length === b.length && timingSafeEqual(a, b)
}
