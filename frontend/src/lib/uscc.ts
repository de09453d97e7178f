// The 统一社会信用代码 (USCC, GB 32100-2015) check the server applies
// (src/xinyidai/domain/enterprises/codes.py, validate_uscc): trim and upper-case, 18 characters
// from a 31-character alphabet, and a check character from weights 3^i mod 31. The same cases
// test both (tests/domain/enterprises/uscc_cases.json). Plain TypeScript, no Vue.

/** Digits and upper-case letters except I, O, Z, S and V. */
export const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY'
export const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const
export const USCC_LENGTH = 18

export type UsccRule = 'uscc_length' | 'uscc_alphabet' | 'uscc_check_character'

export type UsccResult =
  | { ok: true; code: string }
  | { ok: false; rule: 'uscc_length'; length: number }
  /** `position` counts from 1, as people do. */
  | { ok: false; rule: 'uscc_alphabet'; position: number; character: string }
  | { ok: false; rule: 'uscc_check_character'; found: string; expected: string }

/** The 18th character of a USCC whose first 17 characters are `first17` (all in the alphabet). */
export function usccCheckChar(first17: string): string {
  if (first17.length !== 17) throw new Error('a USCC check character needs 17 characters')
  let total = 0
  for (let i = 0; i < 17; i += 1) {
    const value = USCC_ALPHABET.indexOf(first17[i])
    if (value < 0) throw new Error(`character ${i + 1} is not in the USCC alphabet`)
    total += value * USCC_WEIGHTS[i]
  }
  return USCC_ALPHABET[(31 - (total % 31)) % 31]
}

/** Check a USCC as the server does; the first rule broken, in the server's order, or the
 * normalised code. Characters are counted as the server counts them (code points). */
export function checkUscc(raw: string): UsccResult {
  const code = raw.trim().toUpperCase()
  const chars = Array.from(code)
  if (chars.length !== USCC_LENGTH) return { ok: false, rule: 'uscc_length', length: chars.length }
  for (let i = 0; i < chars.length; i += 1) {
    if (!USCC_ALPHABET.includes(chars[i])) return { ok: false, rule: 'uscc_alphabet', position: i + 1, character: chars[i] }
  }
  const expected = usccCheckChar(code.slice(0, 17))
  if (code[17] !== expected) return { ok: false, rule: 'uscc_check_character', found: code[17], expected }
  return { ok: true, code }
}
