import type { Db } from './db.js'
import type { Mode } from './modes.js'

/**
 * Each wallet's balance chain: the balance a telco message reports must equal the last reported
 * balance plus this message's movement. A forged SMS rarely knows the wallet's balance, so a break
 * is a risk signal on the credit (SPEC §6). Messages can also arrive out of order, so a break is a
 * flag for a person, not a verdict.
 */
export function createBalanceChain (db: Db, now: () => number = Date.now) {
  const get = db.prepare('SELECT balance_minor FROM wallet_balances WHERE wallet = ? AND mode = ?').pluck()
  const put = db.prepare(`INSERT INTO wallet_balances (wallet, mode, balance_minor, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (wallet, mode) DO UPDATE SET balance_minor = excluded.balance_minor, updated_at = excluded.updated_at`)

  return {
    /** The last balance a wallet reported, or null. */
    current (wallet: string, mode: Mode): number | null {
      return (get.get(wallet, mode) as number | undefined) ?? null
    },

    /**
     * Records a reported balance. `movementMinor` is the signed change this message describes (null
     * when unknown). Returns true when the chain is broken.
     */
    observe (wallet: string, mode: Mode, movementMinor: number | null, balanceMinor: number | null): boolean {
      if (balanceMinor === null) return false
      const previous = get.get(wallet, mode) as number | undefined
      put.run(wallet, mode, balanceMinor, now())
      return previous !== undefined && movementMinor !== null && previous + movementMinor !== balanceMinor
    }
  }
}

export type BalanceChain = ReturnType<typeof createBalanceChain>
