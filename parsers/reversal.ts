import { cleanText } from './engine.js'
import type { ParsedSms } from './types.js'

/**
 * "Transaction EQ47FM754 has been reversed" (M-PESA; shared research next-wave.md C.6, sample K9):
 * the telco took back money that had come in. The message's `transaction_id` is the reversal's own
 * code; the code of the transaction it takes back is only in the text, and is not one of the fields
 * of `harpoon parse` (SPEC §3), so it is read here.
 */
const REVERSED = /\btransaction\s{1,3}([A-Z0-9]{8,12})\s{1,3}has\s{1,3}been\s{1,3}reversed\b/i

/**
 * The telco transaction a trusted debit says it reversed, uppercased; null for any other message.
 * A receipt that merely mentions a reversal ("This transaction has been reversed") names no code
 * and is `other`, never a debit, so it never reaches here with one.
 */
export function reversedTransactionId (parsed: ParsedSms, text: string): string | null {
  if (parsed.kind !== 'debit') return null
  const id = REVERSED.exec(cleanText(text))?.[1]?.toUpperCase() ?? null
  // A reversal names another transaction than its own.
  return id === parsed.transaction_id ? null : id
}
