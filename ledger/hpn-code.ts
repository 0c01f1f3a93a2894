import { randomInt } from 'node:crypto'

/**
 * HPN codes: what a customer types as the payment reference. Six characters of Crockford base32
 * (0-9 and A-Z without I, L, O, U), the last a check character.
 *
 * The check character is a Damm-style check over the field GF(32): reading a character x after state
 * s moves to s∘x = α·s + x, with α a generator of GF(32)* (α ≠ 0, 1). The check character makes the
 * final state 0. Rows and columns of ∘ are permutations (a Latin square), so every single
 * substitution changes the final state; and (s∘x)∘y − (s∘y)∘x = (α+1)(x+y) ≠ 0 for x ≠ y, so every
 * adjacent transposition does too. `hpn-code.test.ts` proves both exhaustively over the alphabet.
 */
export const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
export const CODE_LENGTH = 6

const VALUE = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]))
// GF(2^5) with the primitive polynomial x^5 + x^4 + x^2 + x + 1. Any α other than 0 and 1, and any
// start state, give the two guarantees; these were picked so that the codes in the public examples
// of the product (HKMVR2, K7M3F6) are valid codes here too.
const MODULUS = 0b110111
const ALPHA = 24
const START = 24

function gfMul (a: number, b: number): number {
  let product = 0
  let x = a
  let y = b
  while (y > 0) {
    if ((y & 1) !== 0) product ^= x
    y >>= 1
    x <<= 1
    if ((x & 0b100000) !== 0) x ^= MODULUS
  }
  return product
}

export const SYMBOL_COUNT = ALPHABET.length

/** The quasigroup operation, exported so the proof can enumerate it. */
export function step (state: number, symbol: number): number {
  return gfMul(ALPHA, state) ^ symbol
}

function finalState (symbols: readonly number[]): number {
  let s = START
  for (const v of symbols) s = step(s, v)
  return s
}

/** The check character for five data characters (already canonical). */
export function checkCharacter (data: string): string {
  const s = finalState([...data].map((c) => VALUE.get(c) ?? 0))
  // step(s, c) = α·s + c = 0  ⇔  c = α·s (characteristic 2).
  return ALPHABET[gfMul(ALPHA, s)] as string
}

/** α·s for every state: a code's check is then six table reads (it runs on every lookup by code). */
const TIMES_ALPHA = Uint8Array.from({ length: SYMBOL_COUNT }, (_, s) => gfMul(ALPHA, s))

/** By character code (ASCII): a canonical character's value, else -1. */
const CANONICAL_VALUE = asciiTable((c) => VALUE.get(c))
/** By character code (ASCII): the value a typed character reads as (canonicalChar), else -1. */
const TYPED_VALUE = asciiTable((c) => { const k = canonicalChar(c); return k === null ? undefined : VALUE.get(k) })

function asciiTable (valueOf: (c: string) => number | undefined): Int8Array {
  return Int8Array.from({ length: 128 }, (_, code) => valueOf(String.fromCharCode(code)) ?? -1)
}

/** The value `table` gives the i-th character of `text`; -1 for none (and for any non-ASCII character). */
function valueAt (table: Int8Array, text: string, i: number): number {
  const c = text.charCodeAt(i)
  return c < 128 ? table[c] as number : -1
}

/** True when `code` is six canonical characters whose check character is right. */
export function isValidCode (code: string): boolean {
  if (code.length !== CODE_LENGTH) return false
  let s = START
  for (let i = 0; i < CODE_LENGTH; i++) {
    const v = valueAt(CANONICAL_VALUE, code, i)
    if (v < 0) return false
    s = (TIMES_ALPHA[s] as number) ^ v
  }
  return s === 0
}

/** A fresh random code; uniqueness is the ledger's job. */
export function generateCode (random: (max: number) => number = randomInt): string {
  let data = ''
  for (let i = 0; i < CODE_LENGTH - 1; i++) data += ALPHABET[random(ALPHABET.length)]
  return data + checkCharacter(data)
}

/**
 * Maps one typed character to the canonical alphabet the way Crockford base32 reads it:
 * case-folded, O→0, I and L→1. Returns null for anything that cannot be part of a code.
 */
function canonicalChar (c: string): string | null {
  const u = c.toUpperCase()
  if (u === 'O') return '0'
  if (u === 'I' || u === 'L') return '1'
  return VALUE.has(u) ? u : null
}

/** Canonical form of a code typed by a person ("hk mvr2" → "HKMVR2"), or null if not six code characters. */
export function normaliseCode (typed: string): string | null {
  return typedAsIs(typed) ?? normaliseTyped(typed)
}

/**
 * The common case without a regular expression or a string a character: six ASCII characters that
 * each read as a code character (no separator to remove). The canonical code is `typed` itself when
 * it was typed so (a merchant polling with the code it was given). Null: not that case.
 */
function typedAsIs (typed: string): string | null {
  if (typed.length !== CODE_LENGTH) return null
  let canonical = true
  let out = ''
  for (let i = 0; i < CODE_LENGTH; i++) {
    const v = valueAt(TYPED_VALUE, typed, i)
    if (v < 0) return null
    if (valueAt(CANONICAL_VALUE, typed, i) !== v) canonical = false
    out += ALPHABET[v] as string
  }
  return canonical ? typed : out
}

function normaliseTyped (typed: string): string | null {
  const compact = typed.replace(/[\s\-_.:,;/]/g, '')
  if (compact.length !== CODE_LENGTH) return null
  let out = ''
  for (const c of compact) {
    const k = canonicalChar(c)
    if (k === null) return null
    out += k
  }
  return out
}

export interface CodeCandidates {
  /** Codes whose check character is right, in the order they appear. */
  valid: string[]
  /** Six-character candidates whose check character is wrong: inputs for typo correction. */
  invalid: string[]
}

/**
 * Finds HPN codes inside free text a customer typed or a telco relayed:
 * "Ref:HKMVR2.", "hk mvr2", "NAME ,233200000001,HKMVR2 from VODAFONE", "Ref HK MVR2 order 8821".
 *
 * The text is split into alphanumeric runs; a candidate is a single run of six characters, or
 * consecutive runs that together make six (a code typed with a space or dash inside). Longer runs
 * are never cut into windows: a 12-digit phone number would otherwise yield a "valid" code one
 * time in 32.
 */
export function findCodeCandidates (text: string): CodeCandidates {
  const runs = text.split(/[^0-9A-Za-z]+/).filter((r) => r.length > 0)
  const valid: string[] = []
  const invalid: string[] = []
  const seen = new Set<string>()
  for (let i = 0; i < runs.length; i++) {
    let joined = ''
    for (let j = i; j < runs.length; j++) {
      joined += runs[j]
      if (joined.length > CODE_LENGTH) break
      if (joined.length < CODE_LENGTH) continue
      const code = normaliseCode(joined)
      if (code !== null && !seen.has(code)) {
        seen.add(code)
        ;(isValidCode(code) ? valid : invalid).push(code)
      }
      break
    }
  }
  return { valid, invalid }
}

/**
 * Every valid code one substitution or one adjacent transposition away from `typed` (canonical,
 * six characters). Used by matching to propose a correction; the ledger decides whether exactly
 * one open payment owns one of them.
 */
export function nearbyValidCodes (typed: string): string[] {
  if (typed.length !== CODE_LENGTH) return []
  const out = new Set<string>()
  const chars = [...typed]
  for (let i = 0; i < CODE_LENGTH; i++) {
    for (const c of ALPHABET) {
      if (c === chars[i]) continue
      const v = [...chars]
      v[i] = c
      const code = v.join('')
      if (isValidCode(code)) out.add(code)
    }
    if (i < CODE_LENGTH - 1 && chars[i] !== chars[i + 1]) {
      const v = [...chars]
      ;[v[i], v[i + 1]] = [v[i + 1] as string, v[i] as string]
      const code = v.join('')
      if (isValidCode(code)) out.add(code)
    }
  }
  out.delete(typed)
  return [...out]
}
