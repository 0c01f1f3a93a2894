import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto'

/**
 * SPEC §5 signing. Two schemes over the same stored body bytes:
 * - Harpoon: `X-Harpoon-Signature: sha256=<hex>`, HMAC-SHA256 keyed with the newest secret *string*
 *   (what the documented receiver code does) over `{timestamp}.{body}`. One signature only, so that
 *   code keeps working unchanged.
 * - Standard Webhooks: `webhook-signature: v1,<base64> …`, keyed with the base64-decoded bytes after
 *   `whsec_`, over `{webhook_id}.{timestamp}.{body}`, one entry per still-valid secret, so a receiver
 *   can rotate without downtime and the id it dedupes on is covered by the MAC.
 */
export const SECRET_PREFIX = 'whsec_'
const SECRET_BYTES = 32

/** `whsec_` + base64 of 32 random bytes. */
export function generateSecret (): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64')
}

export function isSecret (value: string): boolean {
  if (!value.startsWith(SECRET_PREFIX)) return false
  return Buffer.from(value.slice(SECRET_PREFIX.length), 'base64').length >= 24
}

export function harpoonSignature (secret: string | KeyObject, timestamp: number, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.`).update(body, 'utf8').digest('hex')
}

/** The HMAC key of a `whsec_` secret for Standard Webhooks: the bytes its base64 encodes. */
function standardKey (secret: string): Buffer {
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64')
}

export function standardSignature (secret: string | KeyObject, webhookId: string, timestamp: number, body: string): string {
  const key = typeof secret === 'string' ? standardKey(secret) : secret
  return 'v1,' + createHmac('sha256', key).update(`${webhookId}.${timestamp}.`).update(body, 'utf8').digest('base64')
}

/**
 * An endpoint's still-valid secrets as HMAC keys, made once and used for many attempts (the
 * dispatcher makes them for each claim batch, from the secrets valid then, so a rotation reaches the
 * next batch): decoding a secret and preparing its key for each signature cost a few µs a delivery.
 */
export interface SigningKeys {
  /** X-Harpoon-Signature's key: the newest secret's whole string. */
  readonly harpoon: KeyObject
  /** webhook-signature's keys, newest first: every still-valid secret's decoded bytes. */
  readonly standard: readonly KeyObject[]
}

/** `secrets`: still-valid secrets, newest first. */
export function signingKeys (secrets: readonly string[]): SigningKeys {
  const newest = secrets[0]
  if (newest === undefined) throw new Error('an endpoint without a valid secret cannot be signed for')
  return { harpoon: createSecretKey(Buffer.from(newest, 'utf8')), standard: secrets.map((s) => createSecretKey(standardKey(s))) }
}

export interface SignInput {
  webhookId: string
  /** Unix seconds of this attempt (never of the event: a retry carries a fresh timestamp). */
  timestamp: number
  body: string
  /** The endpoint's still-valid secrets (signingKeys). */
  keys: SigningKeys
}

export const USER_AGENT = 'Harpoon-Webhook/1.0'

/** Every header of one attempt. The values are signatures: never log them. */
export function signedHeaders (input: SignInput): Record<string, string> {
  const ts = input.timestamp
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-harpoon-webhook-id': input.webhookId,
    'x-harpoon-timestamp': String(ts),
    'x-harpoon-signature': harpoonSignature(input.keys.harpoon, ts, input.body),
    'webhook-id': input.webhookId,
    'webhook-timestamp': String(ts),
    'webhook-signature': input.keys.standard.map((k) => standardSignature(k, input.webhookId, ts, input.body)).join(' ')
  }
}

/**
 * The MoMo proxy's forward signature (api/compat/): `X-MoMo-Proxy-Signature` = hex HMAC-SHA256 of the
 * raw body, keyed with the client's API key, as the proxy's own receivers check it. No timestamp is
 * signed: that is the proxy's scheme, kept so its apps verify unchanged.
 */
export function momoProxySignature (key: string, body: string): string {
  return createHmac('sha256', key).update(body, 'utf8').digest('hex')
}

export const MOMO_PROXY_USER_AGENT = 'Harpoon-MoMo-Proxy/1.0'

export function momoProxyHeaders (key: string, body: string): Record<string, string> {
  return { 'content-type': 'application/json', 'user-agent': MOMO_PROXY_USER_AGENT, 'x-momo-proxy-signature': momoProxySignature(key, body) }
}
