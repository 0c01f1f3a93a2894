import type { Db } from './db.js'
import { ConflictError, InvalidFieldError } from './errors.js'

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

export function createMerchantRepository (db: Db, now: () => number = Date.now) {
  const insert = db.prepare('INSERT INTO merchants (id, name, created_at) VALUES (?, ?, ?)')
  const byId = db.prepare('SELECT id, name, created_at AS createdAt FROM merchants WHERE id = ?')
  const all = db.prepare('SELECT id, name, created_at AS createdAt FROM merchants ORDER BY created_at, id')
  const count = db.prepare('SELECT COUNT(*) FROM merchants').pluck()

  return {
    create (input: { name: string, id?: string | undefined }): Merchant {
      const name = input.name.trim()
      if (name === '' || name.length > 200) throw new InvalidFieldError('name', 'must be 1 to 200 characters')
      // The first merchant is `default` unless an id is given.
      const id = input.id ?? ((count.get() as number) === 0 ? DEFAULT_MERCHANT_ID : slugify(name))
      if (!SLUG.test(id)) throw new InvalidFieldError('id', 'must be a slug: lower-case letters, digits and dashes')
      if (byId.get(id) !== undefined) throw new ConflictError('merchant_exists', `merchant ${id} already exists`)
      const merchant: Merchant = { id, name, createdAt: now() }
      insert.run(merchant.id, merchant.name, merchant.createdAt)
      return merchant
    },
    get (id: string): Merchant | undefined {
      return byId.get(id) as Merchant | undefined
    },
    list (): Merchant[] {
      return all.all() as Merchant[]
    },
    count (): number {
      return count.get() as number
    }
  }
}

export type MerchantRepository = ReturnType<typeof createMerchantRepository>
