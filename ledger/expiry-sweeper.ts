import type { Logger } from 'pino'
import type { PaymentRepository } from './payments.js'

/**
 * Moves PENDING payments past `expires_at` to EXPIRED every `intervalMs`, so they expire within
 * seconds. Drains in batches; an error is logged and retried on the next tick, never fatal.
 */
export function startExpirySweeper (payments: PaymentRepository, logger: Logger, intervalMs: number): { stop: () => void, sweep: () => number } {
  function sweep (): number {
    let total = 0
    try {
      for (let n = payments.expireDue(); n > 0; n = payments.expireDue()) total += n
      if (total > 0) logger.info({ expired: total }, 'expired pending payments')
    } catch (err) {
      logger.error({ err }, 'expiry sweep failed; retrying next tick')
    }
    return total
  }
  const timer = setInterval(sweep, intervalMs)
  timer.unref()
  return { stop: () => clearInterval(timer), sweep }
}
