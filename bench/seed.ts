import { randomBytes } from 'node:crypto'
import { ALPHABET, checkCharacter } from '../ledger/hpn-code.js'
import type { Ledger } from '../ledger/ledger.js'
import { openLedger, type DatabaseSettings } from '../ledger/open.js'
import { seedPayments as insertPayments, type SeedPayment } from '../ledger/seed.js'
import type { Scope } from '../ledger/api-keys.js'

const SCOPES: Scope[] = ['payments:read', 'payments:write', 'webhooks:manage', 'operator']

/**
 * The i-th seeded HPN code: an odd multiplier permutes 0..2^25-1, so codes are distinct without a
 * lookup and spread over the whole code space (no hot B-tree page), each with its check character.
 */
export function seededCode (i: number): string {
  let v = Math.imul(i, 0x9e3779b1) & 0x1ffffff
  let data = ''
  for (let k = 0; k < 5; k++) { data = ALPHABET[v & 31] + data; v >>>= 5 }
  return data + checkCharacter(data)
}

/**
 * The key the bench's daemons (which inherit this process's environment) and its own ledger handles
 * seal secrets with: one per run.
 */
export function benchSecretKey (): Buffer {
  process.env['HARPOON_SECRET_KEY'] ??= randomBytes(32).toString('hex')
  return Buffer.from(process.env['HARPOON_SECRET_KEY'], 'hex')
}

export interface Seeded { key: string, ledger: Ledger }

/** Opens (and migrates) the database, with merchant `default` and a live key holding every scope. */
export async function prepareLedger (database: DatabaseSettings): Promise<Seeded> {
  const ledger = await openLedger(database, { secretKey: benchSecretKey() })
  if (await ledger.merchants.get('default') === undefined) await ledger.merchants.create({ id: 'default', name: 'Bench shop' })
  const key = (await ledger.apiKeys.create({ merchantId: 'default', name: 'bench', mode: 'live', scopes: SCOPES })).secret
  return { key, ledger }
}

/**
 * `n` payments of merchant `default` in live mode, in one transaction with the production schema and
 * pragmas: nine in ten SUCCESS, one in ten PENDING (expiring in a week), codes from `seededCode`.
 */
export async function seedPayments (ledger: Ledger, n: number): Promise<void> {
  const now = Date.now()
  function * rows (): Generator<SeedPayment> {
    for (let i = 0; i < n; i++) {
      const pending = i % 10 === 0
      const amount = 100 + (i % 50_000)
      const created = now - 60 * 86_400_000 + Math.floor((i / n) * 60 * 86_400_000)
      yield {
        reference: `hpn_trx_${i.toString(16).padStart(32, '0')}`,
        merchantId: 'default',
        mode: 'live',
        hpnCode: seededCode(i),
        status: pending ? 'PENDING' : 'SUCCESS',
        expectedMinor: amount,
        actualMinor: pending ? null : amount,
        clientReference: `order_${i}`,
        payerPhone: pending ? null : '0244000000',
        telcoProvider: pending ? null : 'mtn',
        telcoTransactionId: pending ? null : `9${String(i).padStart(10, '0')}`,
        expiresAt: pending ? now + 7 * 86_400_000 : created + 3_600_000,
        verifiedAt: pending ? null : created + 60_000,
        createdAt: created
      }
    }
  }
  await insertPayments(ledger, rows())
}
