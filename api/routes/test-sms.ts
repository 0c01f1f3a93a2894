import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { typed } from '../typed.js'
import { parseAmount } from '../../core/money.js'
import { MODEM_NETWORKS, NETWORK_INFO, networkCountryNames, normaliseNetworkPhone, type ModemNetwork } from '../../core/networks.js'
import type { Owner } from '../../ledger/modes.js'
import { caller } from '../auth.js'
import { ok } from '../envelope.js'
import { validationFailed } from '../http-errors.js'
import { AmountInput, ErrorSchema, envelope, literals, nullable } from '../schemas.js'
import { AGENT_ID_PATTERN } from '../../agent/protocol.js'

/** A network a modem can be on (core/networks.ts); a described SMS needs one test mode can write (canSimulate). */
export type TestNetwork = ModemNetwork

/**
 * A test SMS, either typed out or described (the daemon then writes the telco's wording), and the
 * test-mode `harpoon agent` whose virtual modem it should arrive on (null: this daemon's own).
 */
export type TestSmsRequest = { agent: string | null } & (
  | { network: TestNetwork, text: string, sender: string | null }
  | { network: TestNetwork, amountMinor: number, reference: string, payerPhone: string | null })

export interface TestSmsResult {
  sms_id: number
  network: string
  sender: string
  text: string
  outcome: string | null
  credit_id: string | null
  payment: string | null
  payment_status: string | null
  /** How the message travelled: a virtual modem's AT/PDU path here, or at an agent, or straight into ingest. */
  path: 'virtual_modem' | 'agent' | 'ingest'
}

const Body = Type.Object({
  network: literals(MODEM_NETWORKS),
  text: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  sender: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  amount: Type.Optional(AmountInput('with reference: the amount the customer paid')),
  reference: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'the payer\'s note; not for a network whose receipts carry none (M-PESA, Airtel Money Kenya)' })),
  payer_phone: Type.Optional(Type.String({ maxLength: 20 })),
  agent: Type.Optional(Type.String({ pattern: AGENT_ID_PATTERN, description: 'a test-mode harpoon agent: the SMS arrives on its virtual modem of this network and is forwarded here' }))
}, { additionalProperties: false })

const Result = Type.Object({
  sms_id: Type.Integer(),
  network: Type.String(),
  sender: Type.String(),
  text: Type.String(),
  outcome: nullable(Type.String()),
  credit_id: nullable(Type.String()),
  payment: nullable(Type.String()),
  payment_status: nullable(Type.String()),
  path: Type.String()
})

/** POST /v1/test/sms: test keys only; the message goes through the same parse and match path. */
export function testSmsRoutes (deliver: (owner: Owner, request: TestSmsRequest) => Promise<TestSmsResult>) {
  return async function register (instance: FastifyInstance): Promise<void> {
    const app = typed(instance)
    app.post('/test/sms', {
      config: { scope: 'payments:write', testOnly: true },
      schema: {
        tags: ['test mode'],
        summary: 'Feed a test SMS through parsing and matching (test keys only)',
        description: 'Either {network, text, sender?} or {network, amount, reference, payer_phone?}; the second writes the telco\'s real wording. With agent, it arrives on that test-mode agent\'s virtual modem and is forwarded here.',
        body: Body,
        response: { 200: envelope(Result), 401: ErrorSchema, 403: ErrorSchema, 422: ErrorSchema }
      }
    }, async (request) => {
      const auth = caller(request)
      const body = request.body
      const problems: Array<{ field: string, message: string }> = []
      let req: TestSmsRequest | undefined
      const agent = body.agent ?? null
      if (body.text !== undefined) {
        for (const f of ['amount', 'reference', 'payer_phone'] as const) if (body[f] !== undefined) problems.push({ field: f, message: 'cannot be combined with text' })
        req = { agent, network: body.network, text: body.text, sender: body.sender ?? null }
      } else {
        const amountMinor = parseAmount(body.amount)
        if (body.amount === undefined) problems.push({ field: 'amount', message: 'is required when text is not given' })
        else if (amountMinor === null || amountMinor <= 0) problems.push({ field: 'amount', message: 'must be a positive amount with at most 2 decimals' })
        const info = NETWORK_INFO[body.network]
        if (info.simulated === null) problems.push({ field: 'network', message: `test mode cannot write a ${info.name} receipt: send its text instead` })
        if (info.hasReference && body.reference === undefined) problems.push({ field: 'reference', message: 'is required when text is not given' })
        if (!info.hasReference && body.reference !== undefined) problems.push({ field: 'reference', message: `${info.name} receipts carry no reference: the payment is told by its amount_to_pay` })
        const payer = body.payer_phone === undefined ? null : normaliseNetworkPhone(body.payer_phone, body.network)
        if (body.payer_phone !== undefined && payer === null) problems.push({ field: 'payer_phone', message: `must be a number of ${networkCountryNames(body.network)}` })
        if (body.sender !== undefined) problems.push({ field: 'sender', message: 'only with text' })
        req = { agent, network: body.network, amountMinor: amountMinor ?? 0, reference: body.reference ?? '', payerPhone: payer }
      }
      if (problems.length > 0) throw validationFailed(problems)
      return ok(await deliver(auth, req))
    })
  }
}
