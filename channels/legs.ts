import { AsyncLocalStorage } from 'node:async_hooks'
import type { Logger } from 'pino'
import type { AuditLegInput, AuditStore } from '../ledger/audit.js'
import type { ProviderLeg } from './channel.js'

/**
 * The payment a provider call is made for; token calls inherit it from the call that needed them.
 * `held`: calls made before their payment exists (iPay's transact, before the initialize commits),
 * kept until the payment's transaction records them.
 */
const current = new AsyncLocalStorage<{ paymentId: number } | { held: ProviderLeg[] }>()

/** Runs `fn` with its provider calls attributed to `paymentId` in the audit log. */
export async function forPayment<T> (paymentId: number, fn: () => Promise<T>): Promise<T> {
  return await current.run({ paymentId }, fn)
}

/** Runs `fn` keeping its provider calls back: the caller records them with `recordHeldLegs` once their payment exists. */
export async function holdingLegs<T> (fn: () => Promise<T>): Promise<{ result: T, legs: ProviderLeg[] }> {
  const held: ProviderLeg[] = []
  const result = await current.run({ held }, fn)
  return { result, legs: held }
}

/** Records calls `holdingLegs` kept back, against the payment they were made for (inside its transaction). */
export async function recordHeldLegs (audit: AuditStore, channelId: string, paymentId: number | null, legs: readonly ProviderLeg[]): Promise<void> {
  for (const leg of legs) await audit.record(auditOf(leg, channelId, paymentId))
}

function auditOf (leg: ProviderLeg, channelId: string, paymentId: number | null): AuditLegInput {
  return {
    paymentId,
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
  }
}

/**
 * The `onLeg` of a channel: writes each provider exchange to the audit log against the payment whose
 * call it was. A failed write is logged, never thrown: the provider's answer matters more than its
 * record, and a throw here would make a completed call look failed.
 */
export function providerLegRecorder (audit: AuditStore, channelId: string, logger: Logger): (leg: ProviderLeg) => Promise<void> {
  return async (leg) => {
    const context = current.getStore()
    if (context !== undefined && 'held' in context) { context.held.push(leg); return }
    try {
      await audit.record(auditOf(leg, channelId, context?.paymentId ?? null))
    } catch (err) {
      logger.error({ err, channel: channelId, operation: leg.operation }, 'could not write a provider call to the audit log')
    }
  }
}
