import { describe, expect, it } from 'vitest'
import {
  ALPHABET, CODE_LENGTH, SYMBOL_COUNT, checkCharacter, findCodeCandidates, generateCode, isValidCode,
  nearbyValidCodes, normaliseCode, step
} from './hpn-code.js'

describe('HPN code check character', () => {
  it('uses the 32-character Crockford alphabet without I, L, O, U', () => {
    expect(ALPHABET).toHaveLength(32)
    expect(new Set(ALPHABET).size).toBe(32)
    expect(ALPHABET).not.toMatch(/[ILOU]/)
  })

  it('accepts the codes in the public examples', () => {
    expect(isValidCode('HKMVR2')).toBe(true)
    expect(isValidCode('K7M3F6')).toBe(true)
  })

  // The proof. A code is read left to right through states s_{k+1} = s_k ∘ x_k and is valid when the
  // final state is 0. Every state 0..31 is reachable before every position (the first position
  // starts from a fixed state, and s∘x runs over all 32 states as x does), so enumerating every
  // state × every symbol pair covers every position of every code.
  it('detects every single substitution: from any state, two different symbols lead to different states', () => {
    for (let s = 0; s < SYMBOL_COUNT; s++) {
      for (let x = 0; x < SYMBOL_COUNT; x++) {
        for (let y = 0; y < SYMBOL_COUNT; y++) {
          if (x !== y) expect(step(s, x)).not.toBe(step(s, y))
        }
      }
    }
  })

  it('detects every adjacent transposition: (s∘x)∘y differs from (s∘y)∘x whenever x ≠ y', () => {
    for (let s = 0; s < SYMBOL_COUNT; s++) {
      for (let x = 0; x < SYMBOL_COUNT; x++) {
        for (let y = 0; y < SYMBOL_COUNT; y++) {
          if (x !== y) expect(step(step(s, x), y)).not.toBe(step(step(s, y), x))
        }
      }
    }
  })

  it('keeps a difference once made: the same symbol read from two different states gives two different states', () => {
    for (let z = 0; z < SYMBOL_COUNT; z++) {
      const images = new Set<number>()
      for (let s = 0; s < SYMBOL_COUNT; s++) images.add(step(s, z))
      expect(images.size).toBe(SYMBOL_COUNT)
    }
  })

  it('confirms on real codes: every substitution and adjacent transposition of 2,000 codes is invalid', () => {
    let seed = 7
    const random = (max: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % max }
    // Mistakes collected and asserted once: 370,000 expect() calls took over 30 s on a loaded machine.
    const wrong: string[] = []
    for (let n = 0; n < 2000; n++) {
      const code = generateCode(random)
      if (!isValidCode(code)) wrong.push(`${code} generated but invalid`)
      for (let i = 0; i < CODE_LENGTH; i++) {
        for (const c of ALPHABET) {
          if (c === code[i]) continue
          const substituted = code.slice(0, i) + c + code.slice(i + 1)
          if (isValidCode(substituted)) wrong.push(`${substituted} (substitution in ${code}) passes`)
        }
        if (i < CODE_LENGTH - 1 && code[i] !== code[i + 1]) {
          const swapped = code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2)
          if (isValidCode(swapped)) wrong.push(`${swapped} (transposition in ${code}) passes`)
        }
      }
    }
    expect(wrong).toEqual([])
  })

  it('computes the check character of the data characters', () => {
    expect(checkCharacter('HKMVR')).toBe('2')
    expect(checkCharacter('K7M3F')).toBe('6')
  })
})

describe('reading a typed reference', () => {
  it.each([
    ['hk mvr2', ['HKMVR2']],
    ['Ref:HKMVR2.', ['HKMVR2']],
    ['NAME ,233200000001,HKMVR2 from VODAFONE', ['HKMVR2']],
    ['Ref HK MVR2 order 8821', ['HKMVR2']],
    ['hkmvr2', ['HKMVR2']],
    ['HKM-VR2', ['HKMVR2']],
    ['k7m3f6 and HKMVR2', ['K7M3F6', 'HKMVR2']],
    ['payment for order 1234', []],
    ['', []]
  ])('finds the codes in %j', (text, codes) => {
    expect(findCodeCandidates(text).valid).toEqual(codes)
  })

  it('reads O as zero and I or L as one', () => {
    const code = `A${'0'}${'1'}BC`
    const full = code + checkCharacter(code)
    const typed = full.replace('0', 'o').replace('1', 'l')
    expect(normaliseCode(typed)).toBe(full)
    expect(findCodeCandidates(`ref ${typed}`).valid).toEqual([full])
  })

  it('never cuts a code out of a longer run such as a phone number', () => {
    expect(findCodeCandidates('233200000001').valid).toEqual([])
    expect(findCodeCandidates('XHKMVR2').valid).toEqual([])
  })

  it('reports six-character candidates with a wrong check character for correction', () => {
    const c = findCodeCandidates('ref HKMVR3')
    expect(c.valid).toEqual([])
    expect(c.invalid).toEqual(['HKMVR3'])
    expect(nearbyValidCodes('HKMVR3')).toContain('HKMVR2')
    expect(nearbyValidCodes('HKMRV2')).toContain('HKMVR2')
  })

  it('rejects characters outside the alphabet', () => {
    expect(normaliseCode('HKMVR!')).toBeNull()
    expect(normaliseCode('HKMVRU')).toBeNull()
    expect(normaliseCode('HKMVR')).toBeNull()
  })

  it('reads every six characters as the character-by-character definition does (the table-driven common case included)', () => {
    // The definition: separators removed, each character case-folded (toUpperCase, so also the
    // non-ASCII letters that fold to one: dotless ı is I), O read as 0, I and L as 1.
    const byDefinition = (typed: string): string | null => {
      const compact = typed.replace(/[\s\-_.:,;/]/g, '')
      if (compact.length !== CODE_LENGTH) return null
      let out = ''
      for (const c of compact) {
        const u = c.toUpperCase()
        const k = u === 'O' ? '0' : u === 'I' || u === 'L' ? '1' : u
        if (!ALPHABET.includes(k) || k.length !== 1) return null
        out += k
      }
      return out
    }
    const validByDefinition = (code: string): boolean => {
      if (code.length !== CODE_LENGTH || [...code].some((c) => !ALPHABET.includes(c))) return false
      let s = 24
      for (const c of code) s = step(s, ALPHABET.indexOf(c))
      return s === 0
    }
    const chars = [...ALPHABET, ...ALPHABET.toLowerCase(), 'o', 'O', 'i', 'I', 'l', 'L', 'u', 'U', ' ', '-', '!', 'ı', 'ſ', 'é', '\u00a0', '0']
    let seed = 7
    const random = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n }
    const samples = ['HKMVR2', 'hkmvr2', 'HK MVR2', 'HKMVRU', 'ıKMVR2', 'AOI1L0', 'hkmvr', 'HKMVR2X']
    for (let k = 0; k < 20_000; k++) samples.push(Array.from({ length: 5 + random(3) }, () => chars[random(chars.length)]).join(''))
    for (let k = 0; k < 2_000; k++) samples.push(generateCode())
    for (const typed of samples) {
      expect(normaliseCode(typed), typed).toBe(byDefinition(typed))
      expect(isValidCode(typed), typed).toBe(validByDefinition(typed))
    }
    expect(samples.filter((t) => isValidCode(t)).length).toBeGreaterThan(2_000)
  })
})
