import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ServerResponse } from 'node:http'
import { checkPaymentBody, isUuidV4, MTN_PAYMENT_PATHS, type MtnProduct } from '../wire.js'
import { ACCOUNTHOLDER_NUMBERS } from './behaviour.js'
import type { SimOperation } from './faults.js'
import type { SimApiUser, SimState } from './state.js'

/** What a route answers, before faults have their say. */
export interface SimReply { status: number, body?: unknown }

export function mtnError (status: number, code: string, message: string): SimReply {
  return { status, body: { code, message } }
}

const NOT_FOUND = mtnError(404, 'RESOURCE_NOT_FOUND', 'Requested resource was not found.')
const DUPLICATE = mtnError(409, 'RESOURCE_ALREADY_EXIST', 'Duplicated reference id. Creation of resource failed.')
// Azure API Management, in front of MTN, answers these two itself.
const BAD_SUBSCRIPTION: SimReply = { status: 401, body: { statusCode: 401, message: 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.' } }
const BAD_TOKEN: SimReply = { status: 401, body: { statusCode: 401, message: 'Unauthorized. Access token is missing or invalid.' } }

function badRequest (message: string): SimReply {
  return mtnError(400, 'BAD_REQUEST', message)
}

function header (req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

function isReply (x: unknown): x is SimReply {
  return typeof x === 'object' && x !== null && 'status' in x && typeof (x as SimReply).status === 'number'
}

/** A JSON body whatever Content-Type the caller sent (MTN is lenient there). */
function jsonBody (req: FastifyRequest): unknown {
  if (typeof req.body !== 'string') return req.body
  try { return JSON.parse(req.body) } catch { return undefined }
}

type Handler = (req: FastifyRequest) => SimReply

/**
 * The MTN Collection and Disbursement APIs. Each route runs through `serve`, which applies an
 * injected fault (before or after the call takes effect), records the call, and answers.
 */
export function mtnRoutes (app: FastifyInstance, state: SimState, hung: Set<ServerResponse>): void {
  const serve = (operation: SimOperation, handler: Handler) => async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const params = req.params as Record<string, string | undefined>
    const referenceId = params['referenceId'] ?? header(req, 'x-reference-id') ?? null
    const entry = { method: req.method, path: req.url.split('?')[0] ?? req.url, operation, referenceId }
    const fault = state.faults.take(operation)
    const answer = fault === undefined || fault.processed ? handler(req) : undefined
    if (fault?.kind === 'hang') {
      state.record({ ...entry, status: 'hang', fault: fault.id })
      reply.hijack()
      hung.add(reply.raw)
      reply.raw.on('close', () => hung.delete(reply.raw))
      return
    }
    if (fault?.kind === 'reset') {
      state.record({ ...entry, status: 'reset', fault: fault.id })
      reply.hijack()
      req.raw.socket.destroy()
      return
    }
    const out = fault === undefined ? answer as SimReply : { status: fault.status, body: fault.body }
    state.record({ ...entry, status: out.status, fault: fault?.id ?? null })
    reply.code(out.status)
    if (out.body === undefined) await reply.send()
    else await reply.send(out.body)
  }

  /** Subscription key (APIM), then bearer token, then the target environment. */
  const authorize = (req: FastifyRequest, product: MtnProduct): SimApiUser | SimReply => {
    if (state.productOfKey(header(req, 'ocp-apim-subscription-key')) !== product) return BAD_SUBSCRIPTION
    const user = state.userOfToken(product, header(req, 'authorization'))
    if (user === null) return BAD_TOKEN
    const environment = header(req, 'x-target-environment')
    if (environment === undefined || environment === '') return badRequest('X-Target-Environment is required.')
    if (environment !== state.environment) return mtnError(500, 'NOT_ALLOWED_TARGET_ENVIRONMENT', 'Access to target environment is forbidden.')
    return user
  }

  // ---- sandbox provisioning ----

  const provisioningKey = (req: FastifyRequest): MtnProduct | SimReply => state.productOfKey(header(req, 'ocp-apim-subscription-key')) ?? BAD_SUBSCRIPTION

  app.post('/v1_0/apiuser', serve('provisioning', (req) => {
    const product = provisioningKey(req)
    if (isReply(product)) return product
    const id = header(req, 'x-reference-id')
    if (id === undefined || !isUuidV4(id)) return badRequest('X-Reference-Id must be a UUID version 4.')
    const host = (jsonBody(req) as Record<string, unknown> | undefined)?.['providerCallbackHost']
    if (typeof host !== 'string' || host === '') return badRequest('providerCallbackHost is required.')
    return state.createUser(id, product, host) ? { status: 201 } : DUPLICATE
  }))

  app.get('/v1_0/apiuser/:referenceId', serve('provisioning', (req) => {
    const product = provisioningKey(req)
    if (isReply(product)) return product
    const user = state.user((req.params as { referenceId: string }).referenceId)
    return user === undefined ? NOT_FOUND : { status: 200, body: { providerCallbackHost: user.providerCallbackHost, targetEnvironment: state.environment } }
  }))

  app.post('/v1_0/apiuser/:referenceId/apikey', serve('provisioning', (req) => {
    const product = provisioningKey(req)
    if (isReply(product)) return product
    const user = state.user((req.params as { referenceId: string }).referenceId)
    return user === undefined ? NOT_FOUND : { status: 201, body: { apiKey: state.createApiKey(user) } }
  }))

  for (const product of ['collection', 'disbursement'] as const) {
    const { create, partyField } = MTN_PAYMENT_PATHS[product]
    const createOp: SimOperation = product === 'collection' ? 'requesttopay' : 'transfer'
    const statusOp: SimOperation = product === 'collection' ? 'requesttopay-status' : 'transfer-status'

    app.post(`/${product}/token/`, serve('token', (req) => {
      if (state.productOfKey(header(req, 'ocp-apim-subscription-key')) !== product) return BAD_SUBSCRIPTION
      const hasBody = typeof req.body === 'string' ? req.body !== '' : req.body !== undefined && req.body !== null
      if (state.settings.strict && hasBody) return badRequest('The token endpoint takes no body.')
      const minted = state.mintToken(product, header(req, 'authorization'))
      if (minted === null) {
        return state.settings.badCredentialsStatus === 401
          ? { status: 401, body: { error: 'login_failed' } }
          : mtnError(500, 'INTERNAL_PROCESSING_ERROR', 'An internal error occurred while processing.')
      }
      return { status: 200, body: { access_token: minted.token, token_type: 'access_token', expires_in: minted.expiresIn } }
    }))

    app.post(create, serve(createOp, (req) => {
      const user = authorize(req, product)
      if (isReply(user)) return user
      const referenceId = header(req, 'x-reference-id')
      if (referenceId === undefined || !isUuidV4(referenceId)) return badRequest('X-Reference-Id must be a UUID version 4.')
      const callbackUrl = header(req, 'x-callback-url')
      if (callbackUrl !== undefined) {
        let host: string
        try { host = new URL(callbackUrl).hostname } catch { return badRequest('X-Callback-Url must be a URL when present.') }
        if (state.settings.checkCallbackHost && host.toLowerCase() !== user.providerCallbackHost.toLowerCase()) {
          return mtnError(500, 'INVALID_CALLBACK_URL_HOST', `Callback URL host ${host} is not the API user's providerCallbackHost.`)
        }
      }
      const checked = checkPaymentBody(jsonBody(req), partyField, { strict: state.settings.strict })
      if (checked.body === null) return badRequest(checked.problems.map((p) => `${p.field} ${p.message}`).join('; '))
      const body = checked.body
      if (body.currency !== state.currency) return mtnError(400, 'INVALID_CURRENCY', `Currency not supported: ${state.environment} takes ${state.currency}.`)
      if (state.settings.strict && (body.payerMessage === '' || body.payeeNote === '')) return mtnError(500, 'INTERNAL_PROCESSING_ERROR', 'An internal error occurred while processing.')
      if (state.find(product, referenceId) !== undefined) return DUPLICATE
      const behaviour = state.behaviourOf(body.party.partyId, product)
      if (behaviour.refuse !== undefined) return mtnError(behaviour.refuse.status, behaviour.refuse.code, behaviour.label ?? behaviour.refuse.code)
      state.create(product, referenceId, user, body, callbackUrl ?? null, behaviour)
      return { status: 202 }
    }))

    app.get(`${create}/:referenceId`, serve(statusOp, (req) => {
      const user = authorize(req, product)
      if (isReply(user)) return user
      const { referenceId } = req.params as { referenceId: string }
      if (!isUuidV4(referenceId)) return badRequest('referenceId must be a UUID version 4.')
      if (!state.allowStatusRead(user.id)) return mtnError(429, 'TOO_MANY_REQUESTS', `At most ${state.settings.statusRateLimit ?? 0} status reads per second.`)
      const tx = state.find(product, referenceId)
      // A transaction belongs to the API user that created it.
      return tx === undefined || tx.apiUser !== user.id ? NOT_FOUND : { status: 200, body: state.statusBody(tx) }
    }))

    const balance = (req: FastifyRequest): SimReply => {
      const user = authorize(req, product)
      if (isReply(user)) return user
      const currency = (req.params as { currency?: string }).currency
      if (currency !== undefined && currency !== state.currency) return mtnError(500, 'INVALID_CURRENCY', 'Currency not supported on the requested account.')
      return { status: 200, body: { availableBalance: state.balance(product), currency: state.currency } }
    }
    app.get(`/${product}/v1_0/account/balance`, serve('account-balance', balance))
    app.get(`/${product}/v1_0/account/balance/:currency`, serve('account-balance', balance))

    app.get(`/${product}/v1_0/accountholder/:type/:id/active`, serve('accountholder-active', (req) => {
      const user = authorize(req, product)
      if (isReply(user)) return user
      const { type, id } = req.params as { type: string, id: string }
      if (!['msisdn', 'email', 'party_code'].includes(type)) return badRequest('accountHolderIdType must be msisdn, email or party_code, in lower case.')
      const scripted = ACCOUNTHOLDER_NUMBERS[id]
      return scripted === undefined ? { status: 200, body: { result: true } } : { status: scripted.status, body: scripted.body }
    }))

    app.get(`/${product}/v1_0/accountholder/msisdn/:id/basicuserinfo`, serve('basicuserinfo', (req) => {
      const user = authorize(req, product)
      if (isReply(user)) return user
      return { status: 200, body: { sub: '0', name: 'Sand Box', given_name: 'Sand', family_name: 'Box', birthdate: '1976-08-13', locale: 'sv_SE', gender: 'MALE', updated_at: Math.floor(state.clock.now() / 1000) } }
    }))
  }
}
