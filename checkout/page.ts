import { join } from 'node:path'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { GuideNetwork, PaymentGuide } from '../core/payment-guides.js'
import { STRICT_PAGE_HEADERS, loadPublicFiles } from '../core/strict-page.js'
import type { Ledger } from '../ledger/ledger.js'
import type { Owner } from '../ledger/modes.js'
import { amountDue, type PaymentRow } from '../ledger/payment-model.js'
import { renderCheckout, renderMissing, statusOf, type Approval, type CheckoutModel } from './render.js'

/**
 * The hosted checkout: `checkout_url` (from `POST /v1/transactions/initialize`) opens
 * `/checkout/{token}`, a server-rendered page for that one payment, and the page polls
 * `/checkout/{token}/status`. The token is the only key: 32 random bytes, of which the ledger keeps
 * a hash (ledger/checkout-tokens.ts). No API key, no cookie, nothing about any other payment.
 */
export interface CheckoutDeps {
  ledger: Ledger
  /** The wallets that can settle a payment of this merchant and mode (the same as `pay_to`'s). */
  wallets: (owner: Owner) => ReadonlyArray<{ network: GuideNetwork, msisdn: string, currency: string }>
  guides: Readonly<Record<GuideNetwork, PaymentGuide>>
  now?: () => number
}

/**
 * How the customer approves this payment: from their own USSD menu with the HPN code, or, for a
 * payment collected by a request-to-pay channel (channels/), in the prompt the network pushes to
 * their phone ("approve on your phone" instead of the USSD steps).
 */
export function approvalOf (payment: PaymentRow): Approval {
  return payment.channel_id === null ? 'ussd' : 'phone_prompt'
}

/** The shop's redirect_url with the payment's reference added to its query. */
export function returnUrlOf (redirectUrl: string | null, reference: string): string | null {
  if (redirectUrl === null) return null
  const url = new URL(redirectUrl)
  url.searchParams.set('reference', reference)
  return url.href
}

const ASSETS = { 'checkout.js': 'text/javascript; charset=utf-8', 'checkout.css': 'text/css; charset=utf-8' } as const
type Asset = keyof typeof ASSETS

export function checkoutPage (deps: CheckoutDeps) {
  const files = loadPublicFiles(import.meta.url, join('checkout', 'public'), Object.keys(ASSETS) as Asset[])
  const now = deps.now ?? Date.now

  async function model (token: string, payment: PaymentRow): Promise<CheckoutModel> {
    const details = await deps.ledger.paymentDetails.of(payment.id)
    return {
      status: payment.status,
      // What the customer must send: the unique amount where the payment has one.
      expectedMinor: amountDue(payment),
      actualMinor: payment.actual_minor,
      currency: payment.currency,
      hpnCode: payment.hpn_code,
      reference: payment.reference,
      expiresAt: payment.expires_at,
      sequence: payment.sequence,
      description: details?.description ?? null,
      returnUrl: returnUrlOf(details?.redirectUrl ?? null, payment.reference),
      wallets: deps.wallets({ merchantId: payment.merchant_id, mode: payment.mode }).filter((w) => w.currency === payment.currency),
      guides: deps.guides,
      approval: approvalOf(payment),
      statusUrl: `/checkout/${token}/status`,
      now: now()
    }
  }

  /** The checkout link's token, as the path carries it (the ledger answers for any string). */
  type TokenRoute = { Params: { token: string } }
  const page = (reply: FastifyReply): FastifyReply => reply.headers(STRICT_PAGE_HEADERS).header('x-robots-tag', 'noindex')

  return async function register (app: FastifyInstance): Promise<void> {
    const hidden = { schema: { hide: true } }
    app.get<TokenRoute>('/checkout/:token', hidden, async (request, reply) => {
      const { token } = request.params
      const payment = await deps.ledger.checkoutTokens.payment(token)
      if (payment === undefined) return await page(reply).code(404).type('text/html; charset=utf-8').send(renderMissing())
      return await page(reply).type('text/html; charset=utf-8').send(renderCheckout(await model(token, payment)))
    })

    app.get<TokenRoute>('/checkout/:token/status', hidden, async (request, reply) => {
      const { token } = request.params
      const payment = await deps.ledger.checkoutTokens.payment(token)
      if (payment === undefined) return await page(reply).code(404).send({ success: false, error: { code: 'not_found', message: 'no such checkout link', details: [] } })
      return await page(reply).send({
        success: true,
        data: statusOf({ status: payment.status, sequence: payment.sequence, expectedMinor: amountDue(payment), actualMinor: payment.actual_minor, currency: payment.currency, expiresAt: payment.expires_at })
      })
    })

    for (const name of Object.keys(ASSETS) as Asset[]) {
      app.get(`/checkout/assets/${name}`, hidden, async (_request, reply) => await page(reply).type(ASSETS[name]).send(files.get(name)))
    }
  }
}
