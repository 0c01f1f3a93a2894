import { utf16be } from './decode.js'
import type { Encoding } from './types.js'

export interface PartText {
  readonly seq: number
  readonly encoding: Encoding
  readonly text: string | null
  readonly payloadHex: string
}

/**
 * Joins the parts of a concatenated message in sequence order. UCS-2 parts are joined as bytes and
 * decoded once, because senders cut between the two halves of a surrogate pair (emoji).
 * Returns null text when every part is 8-bit data.
 */
export function assembleText (parts: readonly PartText[]): string | null {
  const ordered = [...parts].sort((a, b) => a.seq - b.seq)
  if (ordered.length > 0 && ordered.every((p) => p.encoding === 'ucs2')) {
    return utf16be(Buffer.concat(ordered.map((p) => Buffer.from(p.payloadHex, 'hex'))))
  }
  if (ordered.every((p) => p.encoding === '8bit')) return null
  return ordered.map((p) => p.text ?? '').join('')
}
