import { HarpoonError } from '../core/errors.js'
import type { LedgerScope } from './scope.js'
import { sql } from './sql.js'

/** The associated data of a webhook signing secret: the row it belongs to. */
export const webhookSecretContext = (endpointId: string): string => `webhook_secrets:${endpointId}`

/**
 * Run once as the ledger opens, in one transaction: checks that the key given is the one the
 * database was sealed with (`secret_key_wrong` otherwise: nothing could be read back), records it on
 * a database that has none yet, and seals every secret still in plaintext (a database from before
 * migration 014, migrated in place). Returns how many it sealed.
 */
export async function adoptSecretKey (tx: LedgerScope): Promise<number> {
  tx.inTransaction('adopting the secret key')
  const box = tx.shared.secrets
  const check = await tx.ex.value<string>(sql`SELECT key_check FROM secret_key_check WHERE id = 1`)
  if (check === undefined) {
    await tx.ex.run(sql`INSERT INTO secret_key_check (id, key_check, created_at) VALUES (1, ${box.checkValue()}, ${tx.now()})`)
  } else if (!box.matches(check)) {
    throw new HarpoonError('secret_key_wrong', 'the database\'s secrets were sealed with another secret key: give this daemon the key it was started with before (HARPOON_SECRET_KEY or the key file next to the config; every node of one PostgreSQL ledger needs the same key)')
  }
  const plain = await tx.ex.all<{ id: number, endpoint_id: string, secret: string }>(sql`SELECT id, endpoint_id, secret FROM webhook_secrets
    WHERE secret NOT LIKE 'enc:v1:%' ORDER BY id`)
  for (const row of plain) {
    await tx.ex.run(sql`UPDATE webhook_secrets SET secret = ${box.seal(row.secret, webhookSecretContext(row.endpoint_id))} WHERE id = ${row.id}`)
  }
  return plain.length
}

