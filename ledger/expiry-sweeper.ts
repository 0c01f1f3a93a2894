import type { Logger } from 'pino'
import type { PaymentStore } from './payments.js'

export interface ExpirySweeper {
  /** No more ticks; resolves once a sweep in progress has finished. */
  stop: () => Promise<void>
  /** One sweep now (or the one already running): how many payments it expired. */
  sweep: () => Promise<number>
}

/**
 * Moves PENDING payments past `expires_at` to EXPIRED every `intervalMs`, so they expire within
 * seconds. Drains in batches; an error is logged and retried on the next tick, never fatal. Sweeps
 * never overlap: a tick that finds one running joins it instead of starting another.
 */
export function startExpirySweeper (payments: PaymentStore, logger: Logger, intervalMs: number): ExpirySweeper {
  let running: Promise<number> | null = null

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

  const timer = setInterval(() => { sweep().catch((err: unknown) => { logger.error({ err }, 'expiry sweep failed; retrying next tick') }) }, intervalMs)
  timer.unref()
  return {
    stop: async () => {
      clearInterval(timer)
      await running
    },
    sweep
  }
}
