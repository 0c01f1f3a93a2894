import { randomUUID } from 'node:crypto'
import type { EventType } from '../core/enums.js'
import { randomHex } from '../core/ids.js'
import { isoSeconds } from '../core/time.js'
import type { LedgerEvent } from '../ledger/events.js'
import type { LedgerStores } from '../ledger/ledger.js'
import type { Delivery, NewDelivery } from '../ledger/webhook-deliveries.js'
import type { Endpoint } from '../ledger/webhook-endpoints.js'

export { DELIVERY_STATUSES, type DeliveryStatus } from '../core/enums.js'
export type { AttemptVerdict, CompleteInput, Delivery, DeliveryQuery } from '../ledger/webhook-deliveries.js'

export const newWebhookId = (): string => `whk_${randomHex(16)}`

/**
 * The SPEC §5 envelope, serialised once: this string is stored and is what every attempt signs and
 * sends, so a retry or replay can never differ from the first send by a byte.
 */
export function envelopeBody (type: EventType, webhookId: string, occurredAt: number, data: Record<string, unknown>): string {
  const envelope: Record<string, unknown> = { event: type, webhook_id: webhookId, timestamp: isoSeconds(occurredAt) }
  // A payment event carries the payment's `sequence` beside `timestamp` too: receivers order by it.
  if (typeof data['sequence'] === 'number') envelope['sequence'] = data['sequence']
  envelope['data'] = data
  if (type === 'webhook.test') envelope['test'] = true
  return JSON.stringify(envelope)
}

type OutboxStores = Pick<LedgerStores, 'webhookEndpoints' | 'webhookDeliveries'>

async function enqueue (stores: OutboxStores, endpoint: Endpoint, type: EventType, eventId: number | null, occurredAt: number, data: Record<string, unknown>,
  maxRetries: number | null, targetUrl: string | null = null, lease?: NewDelivery['lease']): Promise<Delivery> {
  const webhookId = newWebhookId()
  return await stores.webhookDeliveries.insert({
    id: randomUUID(), webhookId, endpointId: endpoint.id, merchantId: endpoint.merchantId, mode: endpoint.mode, eventId,
    eventType: type, body: envelopeBody(type, webhookId, occurredAt, data), maxRetries, targetUrl, ...(lease === undefined ? {} : { lease })
  })
}

/**
 * A delivery whose body is not the Harpoon envelope (a MoMo proxy forward): stored and sent byte for
 * byte like every other, to `targetUrl` when given, else the endpoint's URL; signed by the endpoint's
 * kind (webhooks/dispatcher.ts). Inside the transaction of the change it tells of.
 */
export async function enqueueForward (stores: OutboxStores, endpoint: Endpoint, input: { eventType: EventType, eventId: number, body: string, targetUrl: string | null }): Promise<Delivery> {
  return await stores.webhookDeliveries.insert({
    id: randomUUID(), webhookId: newWebhookId(), endpointId: endpoint.id, merchantId: endpoint.merchantId, mode: endpoint.mode, eventId: input.eventId,
    eventType: input.eventType, body: input.body, maxRetries: null, targetUrl: input.targetUrl
  })
}

/**
 * The transactional outbox's writer: called with the transaction of every event (webhooks.ts
 * subscribes it to the ledger), it writes one delivery per subscribed endpoint, so the deliveries
 * commit or roll back with the change.
 *
 * A payment initialized with its own `webhook_url` gets every one of its events there too: a row
 * of the merchant's signing endpoint (its oldest active one, whose secrets sign it) aimed at that
 * URL, sent, retried and replayed like the endpoint's own rows. When no endpoint is active, or the
 * signer already gets this event at that very URL, nothing more is written.
 */
export async function enqueueEvent (tx: OutboxStores & Pick<LedgerStores, 'paymentDetails'>, event: LedgerEvent): Promise<Delivery[]> {
  const written: Delivery[] = []
  const subscribed = await tx.webhookEndpoints.subscribers(event, event.type)
  for (const endpoint of subscribed) {
    written.push(await enqueue(tx, endpoint, event.type, event.id, event.createdAt, event.data, null))
  }
  const target = event.paymentId === null ? null : (await tx.paymentDetails.of(event.paymentId))?.webhookUrl ?? null
  if (target !== null) {
    const signer = await tx.webhookEndpoints.signer(event)
    const sentThereAlready = signer !== undefined && signer.url === target && subscribed.some((e) => e.id === signer.id)
    // event_id stays null: the (event, endpoint) pair belongs to the signer's own row (migration 010).
    if (signer !== undefined && !sentThereAlready) written.push(await enqueue(tx, signer, event.type, null, event.createdAt, event.data, null, target))
  }
  return written
}

/**
 * A `webhook.test` delivery for one endpoint, tried once (replayable like any other), written already
 * leased to the caller that sends it now: a running poll loop could otherwise claim it first.
 */
export async function enqueueTest (stores: OutboxStores, endpoint: Endpoint, now: number, lease: NonNullable<NewDelivery['lease']>): Promise<Delivery> {
  return await enqueue(stores, endpoint, 'webhook.test', null, now, {
    message: 'This is a test webhook from your Harpoon daemon.', endpoint_id: endpoint.id, mode: endpoint.mode, sent_at: isoSeconds(now)
  }, 0, null, lease)
}
