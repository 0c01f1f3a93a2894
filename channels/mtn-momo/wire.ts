/**
 * MTN MoMo Open API as it travels on the wire: the shapes, names and rules that both the client and
 * the simulator obey, kept in one place so the two can never drift apart. Sources and decisions are
 * in this folder's README.
 */

/** The two MTN products this folder speaks. Each has its own subscription key, API user and token. */
export type MtnProduct = 'collection' | 'disbursement'
export const MTN_PRODUCTS: readonly MtnProduct[] = ['collection', 'disbursement']

export type MtnPartyIdType = 'MSISDN' | 'EMAIL' | 'PARTY_CODE' | 'ALIAS'
export const MTN_PARTY_ID_TYPES: readonly MtnPartyIdType[] = ['MSISDN', 'EMAIL', 'PARTY_CODE', 'ALIAS']

export interface MtnParty { partyIdType: MtnPartyIdType, partyId: string }

/** MTN's own statuses. Anything else MTN might send is read as PENDING by the client (see README). */
export type MtnStatus = 'PENDING' | 'SUCCESSFUL' | 'FAILED'

/**
 * `X-Target-Environment` → the one currency MTN accepts there. Sandbox is EUR only; production is
 * `mtn<country>` with the country's currency.
 */
export const MTN_ENVIRONMENT_CURRENCIES: Readonly<Record<string, string>> = {
  sandbox: 'EUR',
  mtnghana: 'GHS',
  mtnuganda: 'UGX',
  mtnrwanda: 'RWF',
  mtnzambia: 'ZMW',
  mtnswaziland: 'SZL',
  mtncameroon: 'XAF',
  mtncongo: 'XAF',
  mtnivorycoast: 'XOF',
  mtnbenin: 'XOF',
  mtnguineaconakry: 'GNF',
  mtnsouthafrica: 'ZAR',
  mtnliberia: 'LRD'
}

/**
 * `X-Target-Environment` → the country whose numbers it serves (core/phone.ts numbering). The sandbox
 * is no country: its test numbers (46733123450 …) are taken in international form as they are.
 */
export const MTN_ENVIRONMENT_COUNTRIES: Readonly<Record<string, string | null>> = {
  sandbox: null,
  mtnghana: 'GH',
  mtnuganda: 'UG',
  mtnrwanda: 'RW',
  mtnzambia: 'ZM',
  mtnswaziland: 'SZ',
  mtncameroon: 'CM',
  mtncongo: 'CG',
  mtnivorycoast: 'CI',
  mtnbenin: 'BJ',
  mtnguineaconakry: 'GN',
  mtnsouthafrica: 'ZA',
  mtnliberia: 'LR'
}

/** MTN wants a version-4 UUID in `X-Reference-Id`; anything else is a 400. */
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i

export function isUuidV4 (text: string): boolean {
  return UUID_V4.test(text)
}

/** Amounts are decimal strings ("5.0"); at most two decimals, more than zero. */
const AMOUNT = /^\d{1,13}(?:\.\d{1,2})?$/

/** MTN echoes amounts normalised: "5.0" → "5", "05.50" → "5.5". */
export function normaliseMtnAmount (amount: string): string {
  const [whole = '0', fraction = ''] = amount.split('.')
  const w = whole.replace(/^0+(?=\d)/, '')
  const f = fraction.replace(/0+$/, '')
  return f === '' ? w : `${w}.${f}`
}

/** Notes longer than this, or with these characters, are refused by MTN with a 400. */
export const MTN_NOTE_MAX = 160
/** The characters reports name (apostrophe, ampersand); MTN only says "special characters". */
const NOTE_FORBIDDEN = /['&]/
/** What safeMtnNote strips: the reported ones and the usual suspects, to stay clear of the unknown list. */
const NOTE_STRIPPED = /['&<>"\\`]/g

/**
 * Makes free text acceptable as `payerMessage` / `payeeNote`: drops the characters MTN refuses and
 * cuts to 160 characters. The channel builds notes from merchant data and should pass them here.
 */
export function safeMtnNote (text: string): string {
  return text.replace(NOTE_STRIPPED, '').replace(/\s+/g, ' ').trim().slice(0, MTN_NOTE_MAX)
}

export interface WireProblem { field: string, message: string }

/** The body of `POST /collection/v1_0/requesttopay` (party = payer) and `/disbursement/v1_0/transfer` (party = payee). */
export interface MtnPaymentBody {
  amount: string
  currency: string
  externalId: string
  party: MtnParty
  payerMessage: string
  payeeNote: string
}

/**
 * The rules MTN applies to a request-to-pay or transfer body, as reported by its docs and users.
 * The simulator answers 400 for each problem; the client refuses before calling MTN. `raw` is the
 * parsed JSON; `partyField` is "payer" or "payee".
 */
export function checkPaymentBody (raw: unknown, partyField: 'payer' | 'payee', opts: { strict: boolean }): { body: MtnPaymentBody, problems: [] } | { body: null, problems: WireProblem[] } {
  const problems: WireProblem[] = []
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { body: null, problems: [{ field: '(body)', message: 'must be a JSON object' }] }
  const o = raw as Record<string, unknown>
  let amount = ''
  if (typeof o['amount'] === 'string' || (!opts.strict && typeof o['amount'] === 'number')) amount = String(o['amount'])
  if (!AMOUNT.test(amount) || Number(amount) <= 0) problems.push({ field: 'amount', message: 'must be a positive decimal string with at most 2 decimals' })
  const currency = typeof o['currency'] === 'string' ? o['currency'] : ''
  if (!/^[A-Z]{3}$/.test(currency)) problems.push({ field: 'currency', message: 'must be an ISO 4217 code' })
  const externalId = o['externalId'] === undefined ? '' : o['externalId']
  if (typeof externalId !== 'string') problems.push({ field: 'externalId', message: 'must be a string' })
  const party = o[partyField] as Record<string, unknown> | undefined
  const partyIdType = party?.['partyIdType']
  const partyId = party?.['partyId']
  if (typeof partyIdType !== 'string' || !(MTN_PARTY_ID_TYPES as readonly string[]).includes(partyIdType)) {
    problems.push({ field: `${partyField}.partyIdType`, message: `must be one of ${MTN_PARTY_ID_TYPES.join(', ')}` })
  }
  if (typeof partyId !== 'string' || partyId === '' || (partyIdType === 'MSISDN' && !/^\d{6,15}$/.test(partyId))) {
    problems.push({ field: `${partyField}.partyId`, message: partyIdType === 'MSISDN' ? 'must be the number in international form without +, 6 to 15 digits' : 'is required' })
  }
  const notes: Record<'payerMessage' | 'payeeNote', string> = { payerMessage: '', payeeNote: '' }
  for (const field of ['payerMessage', 'payeeNote'] as const) {
    const value = o[field] ?? ''
    if (typeof value !== 'string') { problems.push({ field, message: 'must be a string' }); continue }
    if (value.length > MTN_NOTE_MAX) problems.push({ field, message: `must be at most ${MTN_NOTE_MAX} characters` })
    else if (NOTE_FORBIDDEN.test(value)) problems.push({ field, message: 'must not contain an apostrophe or &' })
    notes[field] = value
  }
  if (problems.length > 0) return { body: null, problems }
  return {
    body: { amount, currency, externalId: externalId as string, party: { partyIdType: partyIdType as MtnPartyIdType, partyId: partyId as string }, ...notes },
    problems: []
  }
}

/** The MTN error body shape: `{"code": "RESOURCE_NOT_FOUND", "message": "…"}`. */
export interface MtnErrorBody { code: string, message: string }

/**
 * Business codes with which MTN refuses a transaction synchronously (HTTP 500): nothing is created,
 * and repeating the call cannot help. Other 5xx (INTERNAL_PROCESSING_ERROR, SERVICE_UNAVAILABLE, no
 * code) are outages and worth retrying.
 */
export const MTN_DECLINE_CODES: ReadonlySet<string> = new Set([
  'NOT_ALLOWED', 'NOT_ALLOWED_TARGET_ENVIRONMENT', 'INVALID_CALLBACK_URL_HOST', 'INVALID_CURRENCY',
  'PAYER_NOT_FOUND', 'PAYEE_NOT_FOUND', 'PAYEE_NOT_ALLOWED_TO_RECEIVE', 'NOT_ENOUGH_FUNDS',
  'PAYER_LIMIT_REACHED', 'SENDER_ACCOUNT_NOT_ACTIVE'
])

/** Paths, per product: the payment operation and its status resource. */
export const MTN_PAYMENT_PATHS: Readonly<Record<MtnProduct, { create: string, partyField: 'payer' | 'payee' }>> = {
  collection: { create: '/collection/v1_0/requesttopay', partyField: 'payer' },
  disbursement: { create: '/disbursement/v1_0/transfer', partyField: 'payee' }
}
