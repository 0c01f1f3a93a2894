import type { Logger } from 'pino'
import { systemClock, type TimerClock } from '../core/time.js'
import type { PaymentStore } from './payments.js'

export interface ExpirySweeper {
  /** No more ticks; resolves once a sweep in progress has finished. */
  stop: () => Promise<void>
  /** One sweep now (or the one already running): how many payments it expired. */
  sweep: () => Promise<number>
}

/**
 * Moves PENDING payments past `expires_at` to EXPIRED every `intervalMs` of `clock`, so they expire
 * within seconds. Drains in batches; an error is logged and retried on the next tick, never fatal.
 * Sweeps never overlap: a tick that finds one running joins it instead of starting another. Which
 * payments are due is the ledger's clock's answer; `clock` only times the ticks.
 */
export function startExpirySweeper (payments: PaymentStore, logger: Logger, intervalMs: number, clock: TimerClock = systemClock): ExpirySweeper {
  let running: Promise<number> | null = null
  let stopped = false
  let cancelTick = (): void => {}

  async function drain (): Promise<number> {
    let total = 0
    try {
      for (let n = await payments.expireDue(); n > 0; n = await payments.expireDue()) total += n
      if (total > 0) logger.info({ expired: total }, 'expired pending payments')
    } catch (err) {
      logger.error({ err }, 'expiry sweep failed; retrying next tick')
    }
    return total
  }

  async function sweep (): Promise<number> {
    running ??= drain().finally(() => { running = null })
    return await running
  }

  // Every intervalMs from the last tick, whether or not its sweep has ended (a slow one is joined).
  const tick = (): void => {
    if (stopped) return
    cancelTick = clock.after(intervalMs, () => {
      tick()
      sweep().catch((err: unknown) => { logger.error({ err }, 'expiry sweep failed; retrying next tick') })
    }, { unref: true })
  }
  tick()
  return {
    stop: async () => {
      stopped = true
      cancelTick()
      await running
    },
    sweep
  }
}
