import type { EventSubscriber } from '../../ledger/ledger.js'
import { enqueueForward } from '../../webhooks/outbox.js'
import { FINAL_PROXY_STATUSES, proxyStatusOf, proxyTransaction } from './model.js'

/**
 * The MoMo proxy's forwards, written into the webhook outbox in the transaction of the change they
 * tell of: when a proxy request's payment reaches a final state (in the proxy's words), one delivery
 * to the request's callbackUrl, or its client's default, signed with the client's key by the
 * dispatcher. Each final status is forwarded once; the outbox retries it like any webhook.
 */
export function proxyForwarder (onWritten: () => void): EventSubscriber {
  return async (tx, event) => {
    if (event.paymentId === null) return
    const request = await tx.proxy.requestOfPayment(event.paymentId)
    if (request === undefined) return
    const payment = await tx.payments.getById(event.paymentId)
    if (payment === undefined) return
    const status = proxyStatusOf(payment.status)
    if (!FINAL_PROXY_STATUSES.has(status) || request.forwarded_status === status) return
    const client = await tx.proxy.client(request.client_id)
    const endpoint = client === undefined ? undefined : await tx.webhookEndpoints.byId(client.endpointId)
    if (endpoint === undefined) return
    const delivery = await enqueueForward(tx, endpoint, {
      eventType: event.type, eventId: event.id, body: JSON.stringify(proxyTransaction(request, payment)), targetUrl: request.callback_url
    })
    await tx.proxy.markForwarded(request.reference_id, status, delivery.id)
    tx.afterCommit(onWritten)
  }
}
