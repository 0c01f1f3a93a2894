import { MTN_PARTY_ID_TYPES, type MtnParty, type MtnStatus } from './wire.js'

/**
 * What MTN says about one request-to-pay or transfer, read from a status answer (or, for logging
 * only, from a callback body: callbacks are never believed, see README).
 */
export interface MtnTransactionState {
  /** PENDING, SUCCESSFUL or FAILED; any other word MTN might use is mapped (see `mtnStatus`). */
  status: MtnStatus
  /** The status word exactly as MTN sent it. */
  mtnStatus: string
  /** As MTN echoes it, normalised by MTN ("5.0" comes back "5"); compare as a decimal, not as text. */
  amount: string | null
  currency: string | null
  /** MTN's own transaction id; present once SUCCESSFUL. */
  financialTransactionId: string | null
  externalId: string | null
  payerMessage: string | null
  payeeNote: string | null
  /** The failure reason code (APPROVAL_REJECTED, EXPIRED, NOT_ENOUGH_FUNDS, …) whether MTN sent it as a string or as `{code, message}`. */
  reason: string | null
  reasonMessage: string | null
}

export interface RequestToPayState extends MtnTransactionState { payer: MtnParty | null }
export interface TransferState extends MtnTransactionState { payee: MtnParty | null }

/** Status words some MTN markets and SDKs report besides the three documented ones. */
const FAILED_WORDS = new Set(['FAILED', 'REJECTED', 'TIMEOUT', 'EXPIRED', 'CANCELLED', 'CANCELED'])

/**
 * SUCCESSFUL only when MTN says exactly that; the documented FAILED and the failure words some
 * markets use are FAILED; anything else (PENDING, CREATED, ONGOING, an unknown word) is PENDING, so
 * nothing is ever settled on a word we do not know.
 */
export function mapMtnStatus (word: string): MtnStatus {
  const w = word.toUpperCase()
  if (w === 'SUCCESSFUL') return 'SUCCESSFUL'
  if (FAILED_WORDS.has(w)) return 'FAILED'
  return 'PENDING'
}

function str (v: unknown): string | null {
  if (typeof v === 'string') return v
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return null
}

function party (v: unknown): MtnParty | null {
  if (typeof v !== 'object' || v === null) return null
  const o = v as Record<string, unknown>
  const type = o['partyIdType']
  const id = str(o['partyId'])
  if (typeof type !== 'string' || id === null) return null
  const upper = type.toUpperCase()
  return (MTN_PARTY_ID_TYPES as readonly string[]).includes(upper) ? { partyIdType: upper as MtnParty['partyIdType'], partyId: id } : null
}

/**
 * Reads a status (or callback) body. Returns null when it is not an object with a status word:
 * the caller treats that as a bad response, never as a state.
 */
export function readMtnTransaction (body: unknown, partyField: 'payer'): RequestToPayState | null
export function readMtnTransaction (body: unknown, partyField: 'payee'): TransferState | null
export function readMtnTransaction (body: unknown, partyField: 'payer' | 'payee'): RequestToPayState | TransferState | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null
  const o = body as Record<string, unknown>
  const word = o['status']
  if (typeof word !== 'string' || word === '') return null
  const rawReason = o['reason']
  let reason: string | null = null
  let reasonMessage: string | null = null
  if (typeof rawReason === 'string') reason = rawReason
  else if (typeof rawReason === 'object' && rawReason !== null) {
    reason = str((rawReason as Record<string, unknown>)['code'])
    reasonMessage = str((rawReason as Record<string, unknown>)['message'])
  }
  const state: MtnTransactionState = {
    status: mapMtnStatus(word),
    mtnStatus: word,
    amount: str(o['amount']),
    currency: str(o['currency']),
    financialTransactionId: str(o['financialTransactionId']),
    externalId: str(o['externalId']),
    payerMessage: str(o['payerMessage']),
    payeeNote: str(o['payeeNote']),
    reason: reason ?? (mapMtnStatus(word) === 'FAILED' && word.toUpperCase() !== 'FAILED' ? word.toUpperCase() : null),
    reasonMessage
  }
  return partyField === 'payer' ? { ...state, payer: party(o['payer']) } : { ...state, payee: party(o['payee']) }
}
