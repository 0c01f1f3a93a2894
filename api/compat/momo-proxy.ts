import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { typed } from '../typed.js'
import type { Logger } from 'pino'
import type { Channel } from '../../channels/channel.js'
import { startCollection } from '../../channels/collect.js'
import type { ChannelRegistry } from '../../channels/registry.js'
import type { ErrorCode } from '../../core/error-codes.js'
import { isHarpoonError } from '../../core/errors.js'
import { formatAmount, parseAmount } from '../../core/money.js'
import type { Ledger } from '../../ledger/ledger.js'
import type { ProxyClient } from '../../ledger/proxy.js'
import type { Mode } from '../../ledger/modes.js'
import { auditAppRequest } from '../audit-legs.js'
import type { FieldProblem } from '../envelope.js'
import { httpStatusFor } from '../error-handler.js'
import { HttpError } from '../http-errors.js'
import { registerCallbackRoute } from '../routes/channels.js'
import { proxyTransaction } from './model.js'

export interface MomoProxyDeps {
  ledger: Ledger
  logger: Logger
  registry: ChannelRegistry
  /** `momo_proxy.channel`: every request to pay goes through it. */
  channelId: string
  wake: () => void
  maxAmountMinor: number
  defaultExpiresIn: number
  /** Judges callbackUrl as a webhook URL is judged (the webhooks layer's checkTarget: the SSRF guard, DNS included). */
  checkTarget: (url: string, mode: Mode, field?: string) => Promise<string>
}

const KEY_HEADER = 'x-proxy-api-key'
const NOTE_MAX = 160
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The proxy's error body: `{error, message, details}` (details: one entry per bad field). */
function proxyError (status: number, error: ErrorCode, message: string, details: readonly FieldProblem[] = []): HttpError {
  return new HttpError(status, error, message, details)
}

/**
 * The MoMo proxy's own API (`momo_proxy` in the config), for apps written against it: `POST
 * /request-to-pay`, `GET /status/{referenceId}`, `X-Proxy-Api-Key` keys from `harpoon proxy-clients
 * create`, and the final state forwarded to the request's callbackUrl signed with the client's key
 * (forwards.ts). A request to pay is a payment on the proxy's channel like any other: same
 * statuses, webhooks, dashboard and audit log. MTN's callbacks for it arrive at `/callback` (the
 * proxy's listener path) or `/v1/channels/{id}/callback`, and are never believed.
 */
export function momoProxyRoutes (deps: MomoProxyDeps) {
  const { ledger } = deps

  function channel (): Channel {
    const c = deps.registry.get(deps.channelId)
    if (c === undefined) throw proxyError(503, 'channel_unavailable', `the proxy's channel ${deps.channelId} is not running`)
    return c
  }

  async function client (request: FastifyRequest): Promise<ProxyClient> {
    const header = request.headers[KEY_HEADER]
    const key = Array.isArray(header) ? header[0] : header
    if (key === undefined || key === '') throw proxyError(401, 'unauthorized', 'missing X-Proxy-Api-Key header')
    const found = await ledger.proxy.authenticate(key)
    if (found === null) throw proxyError(401, 'unauthorized', 'unknown or revoked X-Proxy-Api-Key')
    return found
  }

  return async function register (instance: FastifyInstance): Promise<void> {
    const app = typed(instance)
    // The proxy's apps read `{error, message, details}`, not the daemon's envelope.
    app.setErrorHandler(async (err: Error & { statusCode?: number, validation?: unknown }, request, reply: FastifyReply) => {
      const status = isHarpoonError(err) ? httpStatusFor(err) : err.statusCode !== undefined && err.statusCode < 500 ? err.statusCode : 500
      if (status >= 500) request.log.error({ err }, 'MoMo proxy request failed')
      const code = isHarpoonError(err) ? err.code : status === 500 ? 'internal_error' : 'bad_request'
      const details = isHarpoonError(err) ? err.details : []
      await reply.code(status).send({ error: code, message: status === 500 ? 'internal error' : err.message, details })
    })

    app.post('/request-to-pay', { config: { publicLimited: true }, schema: { tags: ['MoMo proxy'], summary: 'MoMo proxy: ask MTN to prompt the payer (X-Proxy-Api-Key)', security: [] } }, async (request, reply) => {
      const who = await client(request)
      const ch = channel()
      if (ch.mode !== who.mode || (ch.merchantId !== null && ch.merchantId !== who.merchantId)) {
        throw proxyError(403, 'forbidden', `this client belongs to merchant ${who.merchantId} (${who.mode}); the proxy's channel ${ch.id} collects for ${ch.merchantId ?? 'every merchant'} (${ch.mode})`)
      }
      const body = (typeof request.body === 'object' && request.body !== null && !Array.isArray(request.body) ? request.body : {}) as Record<string, unknown>
      const problems: FieldProblem[] = []
      const bad = (field: string, message: string): void => { problems.push({ field, message }) }

      const amountMinor = parseAmount(typeof body['amount'] === 'string' ? body['amount'].trim() : body['amount'])
      if (amountMinor === null || amountMinor <= 0) bad('amount', 'must be a positive amount with at most 2 decimals ("100" or "100.50")')
      else if (amountMinor > deps.maxAmountMinor) bad('amount', `must be at most ${formatAmount(deps.maxAmountMinor)}`)
      const currency = body['currency'] ?? ch.currency
      if (currency !== ch.currency) bad('currency', `must be ${ch.currency}: the only currency the proxy's channel collects`)
      const externalId = body['externalId'] ?? ''
      if (typeof externalId !== 'string' || externalId.length > 100) bad('externalId', 'must be a string of at most 100 characters')
      const payer = (typeof body['payer'] === 'object' && body['payer'] !== null ? body['payer'] : {}) as Record<string, unknown>
      if (payer['partyIdType'] !== 'MSISDN') bad('payer.partyIdType', 'must be MSISDN: the payer is prompted on their phone')
      const partyId = typeof payer['partyId'] === 'string' ? payer['partyId'] : typeof payer['partyId'] === 'number' ? String(payer['partyId']) : ''
      const phone = ch.displayPhone(partyId)
      if (phone === null) bad('payer.partyId', ch.country === null ? 'must be an international number' : `must be a number of ${ch.country} (international form, without +)`)
      const notes: Record<'payerMessage' | 'payeeNote', string> = { payerMessage: '', payeeNote: '' }
      for (const field of ['payerMessage', 'payeeNote'] as const) {
        const v = body[field] ?? ''
        if (typeof v !== 'string' || v.length > NOTE_MAX) bad(field, `must be a string of at most ${NOTE_MAX} characters`)
        else notes[field] = v
      }
      let callbackUrl: string | null = null
      if (body['callbackUrl'] !== undefined && body['callbackUrl'] !== null && body['callbackUrl'] !== '') {
        if (typeof body['callbackUrl'] !== 'string') bad('callbackUrl', 'must be a URL')
        else {
          try {
            callbackUrl = await deps.checkTarget(body['callbackUrl'], ch.mode, 'callbackUrl')
          } catch (err) {
            if (!isHarpoonError(err)) throw err
            problems.push(...err.details)
          }
        }
      }
      if (problems.length > 0) throw proxyError(400, 'invalid_request', `${problems.length} field${problems.length === 1 ? '' : 's'} invalid: ${problems.map((p) => p.field).join(', ')}`, problems)

      const owner = { merchantId: who.merchantId, mode: who.mode }
      const referenceId = await ledger.transact(async (tx) => {
        const { payment } = await startCollection(tx, ch, owner, {
          amountMinor: amountMinor as number,
          currency: ch.currency,
          customerPhone: phone as string,
          clientReference: null,
          meta: { momo_proxy: { client: who.id, externalId } },
          expiresInSeconds: deps.defaultExpiresIn,
          externalId: externalId as string,
          payerMessage: notes.payerMessage,
          payeeNote: notes.payeeNote
        }, deps.wake)
        const reference = payment.channel_reference as string
        await tx.proxy.createRequest({
          reference_id: reference, client_id: who.id, payment_id: payment.id, external_id: externalId as string,
          payer_type: 'MSISDN', payer_id: partyId, payer_message: notes.payerMessage, payee_note: notes.payeeNote, callback_url: callbackUrl
        })
        auditAppRequest(request, payment.id, ch.id, 'request-to-pay')
        return reference
      })
      return await reply.code(202).send({ referenceId, status: 'PENDING' })
    })

    app.get<{ Params: { referenceId: string } }>('/status/:referenceId', { config: { publicLimited: true }, schema: { tags: ['MoMo proxy'], summary: 'MoMo proxy: a request to pay\'s state (X-Proxy-Api-Key)', security: [] } }, async (request) => {
      const who = await client(request)
      const { referenceId } = request.params
      const found = UUID.test(referenceId) ? await ledger.proxy.request(referenceId.toLowerCase()) : undefined
      if (found === undefined) throw proxyError(404, 'not_found', `no transaction ${referenceId}`)
      if (found.client_id !== who.id) throw proxyError(403, 'forbidden', 'this transaction belongs to another client')
      const payment = await ledger.payments.getById(found.payment_id)
      if (payment === undefined) throw proxyError(404, 'not_found', `no transaction ${referenceId}`)
      const forward = found.forward_delivery_id === null ? undefined : await ledger.webhookDeliveries.byId(found.forward_delivery_id)
      const transaction = proxyTransaction(found, payment)
      const { createdAt, updatedAt, ...rest } = transaction
      return { ...rest, callbackForwarded: forward?.status === 'delivered', createdAt, updatedAt }
    })

    // MTN's callbacks for the proxy's requests, at the proxy's own listener path. Recorded, never
    // believed: an unsigned POST claiming SUCCESSFUL settles nothing, only MTN's answer to our GET does.
    await registerCallbackRoute(app, '/callback', deps, () => channel(), { tags: ['MoMo proxy'] })
  }
}
