/**
 * Phone numbers. Inside the daemon and in every response they use the display format the telcos'
 * own receipts use: the national number with its trunk 0 ("0244123456" in Ghana, "0712345678" in
 * Kenya, "0772123456" in Uganda). Countries whose numbers have no trunk prefix (Cameroon, Eswatini,
 * Côte d'Ivoire, …) are shown in international form with a `+` ("+237671234567"), so a displayed
 * number is never ambiguous. Accepted input forms are the local form and the international forms
 * +CC… / CC… / 00CC…, with spaces, dashes, dots or brackets.
 *
 * Validation is by format only, on purpose: operators add number ranges every year and a range
 * table would reject a real customer's new number. The telco is not inferred from the prefix either
 * (numbers are portable between networks).
 */

/** How one country writes its mobile numbers. */
export interface Numbering {
  /** ISO 3166-1 alpha-2. */
  readonly country: string
  readonly name: string
  /** Country calling code, digits only. */
  readonly callingCode: string
  /** The national significant number (after the trunk 0, or the whole local number where there is none). */
  readonly national: RegExp
  /** True where numbers are dialled nationally with a leading 0 (and displayed so). */
  readonly trunkZero: boolean
}

/**
 * The countries the channels need (MTN's markets, Kenya for iPay). Mobile ranges only where a
 * country's national numbers are otherwise ambiguous; lengths as the national numbering plans give them.
 */
export const NUMBERING: Readonly<Record<string, Numbering>> = {
  GH: { country: 'GH', name: 'Ghana', callingCode: '233', national: /^\d{9}$/, trunkZero: true },
  KE: { country: 'KE', name: 'Kenya', callingCode: '254', national: /^[17]\d{8}$/, trunkZero: true },
  UG: { country: 'UG', name: 'Uganda', callingCode: '256', national: /^7\d{8}$/, trunkZero: true },
  RW: { country: 'RW', name: 'Rwanda', callingCode: '250', national: /^7\d{8}$/, trunkZero: true },
  ZM: { country: 'ZM', name: 'Zambia', callingCode: '260', national: /^[79]\d{8}$/, trunkZero: true },
  ZA: { country: 'ZA', name: 'South Africa', callingCode: '27', national: /^[678]\d{8}$/, trunkZero: true },
  LR: { country: 'LR', name: 'Liberia', callingCode: '231', national: /^[4-8]\d{7,8}$/, trunkZero: true },
  CM: { country: 'CM', name: 'Cameroon', callingCode: '237', national: /^6\d{8}$/, trunkZero: false },
  SZ: { country: 'SZ', name: 'Eswatini', callingCode: '268', national: /^7\d{7}$/, trunkZero: false },
  CI: { country: 'CI', name: 'Côte d\'Ivoire', callingCode: '225', national: /^0\d{9}$/, trunkZero: false },
  BJ: { country: 'BJ', name: 'Benin', callingCode: '229', national: /^01\d{8}$/, trunkZero: false },
  CG: { country: 'CG', name: 'Congo', callingCode: '242', national: /^0\d{8}$/, trunkZero: false },
  GN: { country: 'GN', name: 'Guinea', callingCode: '224', national: /^6\d{8}$/, trunkZero: false }
}

const SEPARATORS = /[\s\-.()]/g

/** A country's international forms (+CC…, 00CC…, CC…) by calling code: made once, not on every number read. */
const INTERNATIONAL_FORMS = new Map<string, RegExp>()

function internationalForm (n: Numbering): RegExp {
  let form = INTERNATIONAL_FORMS.get(n.callingCode)
  if (form === undefined) {
    form = new RegExp(`^(?:\\+${n.callingCode}|00${n.callingCode}|${n.callingCode})(\\d{6,12})$`)
    INTERNATIONAL_FORMS.set(n.callingCode, form)
  }
  return form
}

/** The national significant number of `input` in `country`, or null. */
function nationalNumber (input: string, n: Numbering): string | null {
  const digits = input.trim().replace(SEPARATORS, '')
  const international = internationalForm(n).exec(digits)
  let rest: string | undefined
  if (international !== null) rest = international[1]
  else if (n.trunkZero && /^0\d{6,12}$/.test(digits)) rest = digits.slice(1)
  else if (!n.trunkZero && /^\d{6,12}$/.test(digits)) rest = digits
  return rest !== undefined && n.national.test(rest) ? rest : null
}

function numbering (country: string): Numbering {
  const n = NUMBERING[country]
  if (n === undefined) throw new Error(`no numbering plan for country ${country}`)
  return n
}

/** A number of `country` in any accepted form → its display form, or null when it is not one. */
export function normalisePhone (country: string, input: string): string | null {
  const n = numbering(country)
  const rest = nationalNumber(input, n)
  if (rest === null) return null
  return n.trunkZero ? `0${rest}` : `+${n.callingCode}${rest}`
}

/** A display (or any accepted) form → the international digits without `+` that MTN and other gateways take ("233244123456"), or null. */
export function internationalPhone (country: string, input: string): string | null {
  const n = numbering(country)
  const rest = nationalNumber(input, n)
  return rest === null ? null : `${n.callingCode}${rest}`
}

/**
 * A number of no particular country (an MTN sandbox, whose test numbers are Swedish-looking):
 * `+` and 6 to 15 digits, E.164's length, shown with its `+`. The input must be international.
 */
export function normaliseAnyInternational (input: string): string | null {
  const digits = input.trim().replace(SEPARATORS, '').replace(/^(?:\+|00)/, '')
  return /^[1-9]\d{5,14}$/.test(digits) ? `+${digits}` : null
}

/** Ghana: "0244123456", "+233244123456", "233 24 412 3456" → "0244123456". */
export function normaliseGhanaPhone (input: string): string | null {
  return normalisePhone('GH', input)
}

/**
 * Kenya: mobile numbers only, 07… (Safaricom, Airtel, Telkom) and the newer 01… ranges (0110…,
 * 0100…): "0712345678", "0110123456", "254712345678", "+254 712 345 678" → "0712345678".
 */
export function normaliseKenyaPhone (input: string): string | null {
  return normalisePhone('KE', input)
}

/** "0712345678" → "254712345678": the form Kenyan gateways (iPay, Daraja) take. */
export function kenyaInternational (display: string): string {
  return `254${display.slice(1)}`
}
