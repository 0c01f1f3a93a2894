import type { Mode } from '../core/enums.js'
import type { LedgerScope } from './scope.js'
import { sql } from './sql.js'

/**
 * Each wallet's balance chain: the balance a telco message reports must equal the last reported
 * balance plus this message's movement. A forged SMS rarely knows the wallet's balance, so a break
 * is a risk signal on the credit (SPEC §6). Messages can also arrive out of order, so a break is a
 * flag for a person, not a verdict.
 */
export interface BalanceChain {
  /** The last balance a wallet reported, or null. */
  current: (wallet: string, mode: Mode) => Promise<number | null>
  /**
   * Records a reported balance. `movementMinor` is the signed change this message describes (null
   * when unknown). Returns true when the chain is broken.
   */
  observe: (wallet: string, mode: Mode, movementMinor: number | null, balanceMinor: number | null) => Promise<boolean>
}

export class SqlBalanceChain implements BalanceChain {
  readonly #s: LedgerScope
  constructor (scope: LedgerScope) { this.#s = scope }

  async current (wallet: string, mode: Mode): Promise<number | null> {
    return await this.#s.ex.value<number>(sql`SELECT balance_minor FROM wallet_balances WHERE wallet = ${wallet} AND mode = ${mode}`) ?? null
  }

  async observe (wallet: string, mode: Mode, movementMinor: number | null, balanceMinor: number | null): Promise<boolean> {
    if (balanceMinor === null) return false
    return await this.#s.write(async (tx) => {
      const previous = await tx.balances.current(wallet, mode)
      await tx.ex.run(sql`INSERT INTO wallet_balances (wallet, mode, balance_minor, updated_at) VALUES (${wallet}, ${mode}, ${balanceMinor}, ${tx.now()})
        ON CONFLICT (wallet, mode) DO UPDATE SET balance_minor = excluded.balance_minor, updated_at = excluded.updated_at`)
      return previous !== null && movementMinor !== null && previous + movementMinor !== balanceMinor
    })
  }
}
