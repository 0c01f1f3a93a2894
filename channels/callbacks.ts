import type { Logger } from 'pino'
import type { ChannelTransactionRow } from '../ledger/channel-transactions.js'
import type { Ledger } from '../ledger/ledger.js'
import type { CallbackVerification, Channel } from './channel.js'
import { forPayment } from './legs.js'

/** However many callbacks arrive, a transaction's provider is asked at most this often because of them. */
export const CALLBACK_CHECK_GAP_MS = 1_000

/** Headers worth keeping with a callback: what it is and who sent it, never credentials or cookies. */
const KEPT_HEADERS = ['content-type', 'content-length', 'user-agent', 'x-forwarded-for', 'x-real-ip']

export interface ReceivedCallback {
  method: string
  /** Path and query as received. */
  url: string
  headers: Record<string, string | string[] | undefined>
  query: Record<string, string | undefined>
  /** The body as received, text. */
  rawBody: string
  remoteAddress: string
  startedAt: number
}

export interface CallbackDeps {
  ledger: Ledger
  logger: Logger
  /** Brings the outbox round forward (the checks the callback moved up are due). */
  wake: () => void
}

/**
 * A callback from a channel's provider. Never believed: anyone can send one (MTN signs nothing), so
 * it is only recorded, raw, in the audit log, and the transaction it names (by the reference in our
 * callback URL, or the app's id the provider echoes) is checked soon with our own credentials; that
 * answer alone settles anything. Duplicates and forgeries cost one status read at most per second.
 */
export async function receiveCallback (deps: CallbackDeps, channel: Channel, callback: ReceivedCallback): Promise<{ woke: boolean, forged: boolean }> {
  const { ledger } = deps
  let body: unknown = null
  try { body = JSON.parse(callback.rawBody) } catch { /* not JSON: recorded as text, names nothing */ }
  const hint = channel.callbackHint({ query: callback.query, body })
  let row: ChannelTransactionRow | undefined
  if (hint?.referenceId !== null && hint?.referenceId !== undefined) row = await ledger.channelTransactions.byReference(channel.id, hint.referenceId)
  if (row === undefined && hint?.externalId !== null && hint?.externalId !== undefined) row = await collectionOfPayment(ledger, channel, hint.externalId)
  const headers: Record<string, string> = {}
  for (const name of KEPT_HEADERS) {
    const v = callback.headers[name]
    if (v !== undefined) headers[name] = Array.isArray(v) ? v.join(', ') : v
  }
  headers['remote-address'] = callback.remoteAddress
  await ledger.audit.record({
    paymentId: row?.payment_id ?? null,
    channelId: channel.id,
    kind: 'callback',
    operation: row === undefined ? 'callback (names no transaction we know)' : `callback (${row.kind})`,
    referenceId: row?.reference_id ?? hint?.referenceId ?? null,
    method: callback.method,
    url: callback.url,
    requestHeaders: headers,
    requestBody: callback.rawBody,
    statusCode: 200,
    responseBody: null,
    error: null,
    durationMs: Math.max(0, ledger.now() - callback.startedAt),
    startedAt: callback.startedAt
  })
  // Recorded first, as it came; then, where the provider can say whether it is genuine (iPay's IPN), asked
  // (for a finished transaction too: a forgery is worth an operator's attention whenever it comes).
  let verification: CallbackVerification | null = null
  if (row !== undefined && channel.verifyCallback !== undefined) {
    verification = await forPayment(row.payment_id, async () => await channel.verifyCallback?.({ query: callback.query, body }) ?? null)
  }
  let woke = false
  if (row !== undefined && row.phase !== 'done' && verification?.verdict !== 'forged') {
    const now = ledger.now()
    woke = await ledger.channelTransactions.wake(channel.id, row.reference_id, Math.max(now, row.updated_at + CALLBACK_CHECK_GAP_MS)) !== undefined
  }
  const facts = { channel: channel.id, reference_id: row?.reference_id ?? null, payment_id: row?.payment_id ?? null, known: row !== undefined, check_soon: woke }
  if (verification?.verdict === 'forged') {
    deps.logger.warn({ ...facts, remote_address: callback.remoteAddress, verification: verification.detail }, 'FORGED channel callback: the provider contradicts it; it changes nothing')
  } else {
    deps.logger.info({ ...facts, ...(verification === null ? {} : { verification: verification.verdict, detail: verification.detail }) }, 'channel callback received (recorded; the provider will be asked)')
  }
  if (woke) deps.wake()
  return { woke, forged: verification?.verdict === 'forged' }
}

/** MTN echoes our externalId: the payment's reference (hpn_trx_…), whose collection this is. */
async function collectionOfPayment (ledger: Ledger, channel: Channel, externalId: string): Promise<ChannelTransactionRow | undefined> {
  if (!externalId.startsWith('hpn_trx_')) return undefined
  const owner = channel.merchantId === null ? null : { merchantId: channel.merchantId, mode: channel.mode }
  const payment = owner === null ? undefined : await ledger.payments.find(owner, externalId)
  if (payment?.channel_id !== channel.id || payment.channel_reference === null) return undefined
  return await ledger.channelTransactions.byReference(channel.id, payment.channel_reference)
}
