/**
 * Ghanaian phone numbers. Inside the daemon and in every response they use the display format the
 * telcos' own receipts use: ten digits starting with 0 ("0244123456"). Accepted input forms are the
 * local form and the international forms +233… / 233… / 00233…, with spaces, dashes or dots.
 *
 * Validation is by format only, on purpose: operators add number ranges every year and a range
 * table would reject a real customer's new number. The telco is not inferred from the prefix either
 * (numbers are portable between networks).
 */
export function normaliseGhanaPhone (input: string): string | null {
  const digits = input.trim().replace(/[\s\-.()]/g, '')
  let national: string | undefined
  const m = /^(?:\+233|00233|233)(\d{9})$/.exec(digits)
  if (m !== null) national = m[1]
  else if (/^0\d{9}$/.test(digits)) national = digits.slice(1)
  if (national === undefined) return null
  return `0${national}`
}
