import type { Migration } from './migration.js'

/**
 * Looking a payment up by its HPN code for one merchant and mode, newest first (`GET
 * /v1/payments/{code}` and matching a credit's reference). With only `payments_code(hpn_code,
 * created_at)` and `payments_list(merchant_id, mode, id)`, SQLite chose the second for its `ORDER BY
 * id DESC` and walked the merchant's whole table backwards: 20 ms a lookup at 100k payments, growing
 * with the table (README, Performance: api_get_payment). This index answers the equality and the order.
 */
export const codeLookup: Migration = {
  version: 5,
  name: 'code-lookup',
  up: `
CREATE INDEX payments_owner_code ON payments(merchant_id, mode, hpn_code, id);
`
}
