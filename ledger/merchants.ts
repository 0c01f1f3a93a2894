import { ConflictError, InvalidFieldError } from './errors.js'
import type { LedgerScope } from './scope.js'
import { sql } from './sql.js'

export interface Merchant {
  id: string
  name: string
  createdAt: number
}

export const DEFAULT_MERCHANT_ID = 'default'
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/

/** "Kofi's Shop Ltd." → "kofi-s-shop-ltd" */
export function slugify (name: string): string {
  return name.normalize('NFKD').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64).replace(/-+$/, '')
}

export interface MerchantStore {
  /** The first merchant is `default` unless an id is given; otherwise the id is the name's slug. */
  create: (input: { name: string, id?: string | undefined }) => Promise<Merchant>
  get: (id: string) => Promise<Merchant | undefined>
  list: () => Promise<Merchant[]>
  count: () => Promise<number>
}

export class SqlMerchantStore implements MerchantStore {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async create (input: { name: string, id?: string | undefined }): Promise<Merchant> {
    const name = input.name.trim()
    if (name === '' || name.length > 200) throw new InvalidFieldError('name', 'must be 1 to 200 characters')
    return await this.#s.write(async (tx) => {
      const id = input.id ?? ((await tx.merchants.count()) === 0 ? DEFAULT_MERCHANT_ID : slugify(name))
      if (!SLUG.test(id)) throw new InvalidFieldError('id', 'must be a slug: lower-case letters, digits and dashes')
      if (await tx.merchants.get(id) !== undefined) throw new ConflictError('merchant_exists', `merchant ${id} already exists`)
      const merchant: Merchant = { id, name, createdAt: tx.now() }
      await tx.ex.run(sql`INSERT INTO merchants (id, name, created_at) VALUES (${merchant.id}, ${merchant.name}, ${merchant.createdAt})`)
      return merchant
    })
  }

  async get (id: string): Promise<Merchant | undefined> {
    return await this.#s.ex.get<Merchant>(sql`SELECT id, name, created_at AS "createdAt" FROM merchants WHERE id = ${id}`)
  }

  async list (): Promise<Merchant[]> {
    return await this.#s.ex.all<Merchant>(sql`SELECT id, name, created_at AS "createdAt" FROM merchants ORDER BY created_at, id`)
  }

  async count (): Promise<number> {
    return await this.#s.ex.value<number>(sql`SELECT COUNT(*) FROM merchants`) ?? 0
  }
}
