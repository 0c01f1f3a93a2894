import { AsyncLocalStorage } from 'node:async_hooks'
import type { Logger } from 'pino'
import type { AuditStore } from '../ledger/audit.js'
import type { ProviderLeg } from './channel.js'

/** The payment a provider call is made for; token calls inherit it from the call that needed them. */
const current = new AsyncLocalStorage<{ paymentId: number }>()

/** Runs `fn` with its provider calls attributed to `paymentId` in the audit log. */
export async function forPayment<T> (paymentId: number, fn: () => Promise<T>): Promise<T> {
  return await current.run({ paymentId }, fn)
}

/**
 * The `onLeg` of a channel: writes each provider exchange to the audit log against the payment whose
 * call it was. A failed write is logged, never thrown: the provider's answer matters more than its
 * record, and a throw here would make a completed call look failed.
 */
export function providerLegRecorder (audit: AuditStore, channelId: string, logger: Logger): (leg: ProviderLeg) => Promise<void> {
  return async (leg) => {
    try {
      await audit.record({
        paymentId: current.getStore()?.paymentId ?? null,
        channelId,
        kind: 'provider_call',
        operation: leg.operation,
        referenceId: leg.referenceId,
        method: leg.method,
        url: leg.url,
        requestHeaders: leg.requestHeaders,
        requestBody: leg.requestBody,
        statusCode: leg.statusCode,
        responseBody: leg.responseBody,
        error: leg.error,
        durationMs: leg.durationMs,
        startedAt: leg.startedAt
      })
    } catch (err) {
      logger.error({ err, channel: channelId, operation: leg.operation }, 'could not write a provider call to the audit log')
    }
  }
}
