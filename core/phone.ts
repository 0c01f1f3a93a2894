/**
 * Phone numbers. Inside the daemon and in every response they use the display format the telcos'
 * own receipts use: ten digits starting with 0 ("0244123456" in Ghana, "0712345678" in Kenya).
 * Accepted input forms are the local form and the international forms +CC… / CC… / 00CC…, with
 * spaces, dashes, dots or brackets.
 *
 * Validation is by format only, on purpose: operators add number ranges every year and a range
 * table would reject a real customer's new number. The telco is not inferred from the prefix either
 * (numbers are portable between networks).
 */
function normaliseNational (input: string, countryCode: string, national: RegExp): string | null {
  const digits = input.trim().replace(/[\s\-.()]/g, '')
  const international = new RegExp(`^(?:\\+${countryCode}|00${countryCode}|${countryCode})(\\d{9})$`).exec(digits)
  const rest = international !== null ? international[1] : /^0\d{9}$/.test(digits) ? digits.slice(1) : undefined
  return rest !== undefined && national.test(rest) ? `0${rest}` : null
}

/** Ghana: "0244123456", "+233244123456", "233 24 412 3456" → "0244123456". */
export function normaliseGhanaPhone (input: string): string | null {
  return normaliseNational(input, '233', /^\d{9}$/)
}

/**
 * Kenya: mobile numbers only, 07… (Safaricom, Airtel, Telkom) and the newer 01… ranges (0110…,
 * 0100…): "0712345678", "0110123456", "254712345678", "+254 712 345 678" → "0712345678".
 */
export function normaliseKenyaPhone (input: string): string | null {
  return normaliseNational(input, '254', /^[17]\d{8}$/)
}

/** "0712345678" → "254712345678": the form Kenyan gateways (iPay, Daraja) take. */
export function kenyaInternational (display: string): string {
  return `254${display.slice(1)}`
}
