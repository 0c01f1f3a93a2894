import { DEFAULT_SCOPES, type NewApiKey } from '../ledger/api-keys.js'
import type { Ledger, LedgerStores } from '../ledger/ledger.js'
import { DEFAULT_MERCHANT_ID } from '../ledger/merchants.js'

/**
 * On a database without merchants, creates the `default` one and says so; call it inside a
 * transaction (`tx`). The first start does this, and so does `harpoon keys create` run before it
 * (keys provisioned by a config-management tool).
 */
export async function createDefaultMerchantIfEmpty (tx: Pick<LedgerStores, 'merchants'>): Promise<boolean> {
  if (await tx.merchants.count() > 0) return false
  await tx.merchants.create({ id: DEFAULT_MERCHANT_ID, name: 'Default merchant' })
  return true
}

/**
 * On an empty database: the `default` merchant and one test-mode key, whose secret the caller
 * prints once. The key can do everything, `operator` included, so a newcomer can try the whole API
 * and the dashboard in test mode; live keys are made on purpose with `harpoon keys create`.
 */
export async function bootstrapEmptyDatabase (ledger: Ledger): Promise<NewApiKey | null> {
  return await ledger.transact(async (tx) => {
    if (!await createDefaultMerchantIfEmpty(tx)) return null
    return await tx.apiKeys.create({ merchantId: DEFAULT_MERCHANT_ID, name: 'first test key', mode: 'test', scopes: [...DEFAULT_SCOPES, 'operator'] })
  })
}

export function firstKeyBanner (key: NewApiKey): string {
  return [
    '',
    '  Harpoon: created the "default" merchant and a test-mode API key.',
    '  It is shown this one time only; store it now:',
    '',
    `    ${key.secret}`,
    '',
    '  Try: curl -H "Authorization: Bearer <key>" http://HOST:PORT/v1/payments',
    '  Live keys: harpoon keys create --name NAME --mode live',
    ''
  ].join('\n')
}
