import type { Migration } from '../../migration.js'

/** The dispatcher claims due deliveries endpoint by endpoint, oldest first (see the SQLite 006). */
export const deliveryClaim: Migration = {
  version: 6,
  name: 'delivery-claim',
  up: `
CREATE INDEX webhook_deliveries_endpoint_due ON webhook_deliveries(endpoint_id, next_attempt_at, id) WHERE status = 'pending';
`
}
