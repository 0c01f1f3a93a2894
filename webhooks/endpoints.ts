import { randomUUID } from 'node:crypto'
import { ALL_EVENTS, EVENT_TYPES } from '../core/enums.js'
import { InvalidFieldError } from '../ledger/errors.js'
import type { LedgerStores } from '../ledger/ledger.js'
import type { Owner } from '../ledger/modes.js'
import type { Endpoint } from '../ledger/webhook-endpoints.js'
import { generateSecret } from './signer.js'
import { TargetRefusedError, checkTargetUrl, resolveAndCheck, type Resolver } from './ssrf.js'

export type { Endpoint } from '../ledger/webhook-endpoints.js'
export { ALL_EVENTS } from '../core/enums.js'

/** Event names an endpoint may subscribe to; `webhook.test` is sent by the test call whatever the list. */
export const SUBSCRIBABLE_EVENTS = EVENT_TYPES.filter((e) => e !== 'webhook.test')

/** `["*"]`, an omitted list or an empty one all mean every event; names are checked and deduplicated. */
export function normaliseEvents (events: readonly string[] | undefined): string[] {
  if (events === undefined || events.length === 0 || events.includes(ALL_EVENTS)) return [ALL_EVENTS]
  const unknown = events.filter((e) => !(SUBSCRIBABLE_EVENTS as readonly string[]).includes(e))
  if (unknown.length > 0) throw new InvalidFieldError('events', `has unknown event names: ${unknown.join(', ')} (known: ${SUBSCRIBABLE_EVENTS.join(', ')} or "*")`)
  return [...new Set(events)]
}

export interface EndpointInput {
  url: string
  events?: string[] | undefined
  description?: string | null | undefined
}

export interface EndpointUpdate {
  url?: string | undefined
  events?: string[] | undefined
  description?: string | null | undefined
  isActive?: boolean | undefined
}

type EndpointStores = Pick<LedgerStores, 'webhookEndpoints'>

export interface TargetRules {
  allowPrivateTargets: boolean
  resolver: Resolver
}

/**
 * A webhook target as the guard parsed and judged it (scheme for the mode, literals, names, and
 * every DNS answer), normalised: `http://a.b.c.d\@127.0.0.1/` is host a.b.c.d, stored as
 * `http://a.b.c.d/@127.0.0.1/`, so what is stored and shown is what is delivered to, never text
 * another parser could read differently. A fragment is never sent, so it is dropped. Used for
 * endpoints and for a payment's own `webhook_url`; a refusal names `field`. Resolves names, so it
 * runs before any transaction; the dispatcher judges the address again at every connect.
 */
export async function checkWebhookTarget (url: string, mode: Owner['mode'], rules: TargetRules, field = 'url'): Promise<string> {
  const policy = { allowPrivateTargets: rules.allowPrivateTargets }
  try {
    const parsed = checkTargetUrl(url, { ...policy, requireHttps: mode === 'live' && !rules.allowPrivateTargets })
    await resolveAndCheck(parsed.hostname, rules.resolver, policy)
    parsed.hash = ''
    return parsed.href
  } catch (err) {
    if (err instanceof TargetRefusedError) throw new InvalidFieldError(field, err.message)
    throw err
  }
}

/**
 * Registers an endpoint with its first signing secret, which is never shown again. URL safety is
 * checked by the caller before (it needs DNS, which has no place inside a transaction).
 */
export async function createEndpoint (stores: EndpointStores, owner: Owner, input: EndpointInput): Promise<{ endpoint: Endpoint, secret: string }> {
  const secret = generateSecret()
  const endpoint = await stores.webhookEndpoints.create(owner, {
    id: randomUUID(), url: input.url, events: normaliseEvents(input.events), description: input.description ?? null, secret
  })
  return { endpoint, secret }
}

export async function updateEndpoint (stores: EndpointStores, owner: Owner, id: string, changes: EndpointUpdate): Promise<Endpoint> {
  return await stores.webhookEndpoints.update(owner, id, {
    url: changes.url, events: changes.events === undefined ? undefined : normaliseEvents(changes.events), description: changes.description, isActive: changes.isActive
  })
}

/** A new secret; every secret valid now stays valid `overlapSeconds` more (0 = revoke at once). */
export async function rotateEndpointSecret (stores: EndpointStores, owner: Owner, id: string, overlapSeconds: number): Promise<{ endpoint: Endpoint, secret: string, previousExpiresAt: number }> {
  const secret = generateSecret()
  const { endpoint, previousExpiresAt } = await stores.webhookEndpoints.rotateSecret(owner, id, secret, overlapSeconds)
  return { endpoint, secret, previousExpiresAt }
}
