import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { checkUscc, USCC_ALPHABET, USCC_WEIGHTS, usccCheckChar } from './uscc'

// The server's own cases (tests/domain/enterprises/test_codes.py reads the same file).
interface Cases {
  valid: { code: string; normalised?: string; note?: string }[]
  invalid: { code: string; rule: string; position?: number; expected?: string }[]
}
const here = dirname(fileURLToPath(import.meta.url))
const cases: Cases = JSON.parse(readFileSync(resolve(here, '../../../tests/domain/enterprises/uscc_cases.json'), 'utf-8'))

describe('USCC check (the server\'s cases)', () => {
  it('has cases to check', () => {
    expect(cases.valid.length).toBeGreaterThan(4)
    expect(new Set(cases.invalid.map((c) => c.rule))).toEqual(new Set(['uscc_length', 'uscc_alphabet', 'uscc_check_character']))
  })

  it.each(cases.valid)('accepts $code', ({ code, normalised }) => {
    const expected = normalised ?? code
    expect(checkUscc(code)).toEqual({ ok: true, code: expected })
    expect(checkUscc(` ${expected.toLowerCase()} `)).toEqual({ ok: true, code: expected })
  })

  it.each(cases.invalid)('refuses $code for $rule', (c) => {
    const result = checkUscc(c.code)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.rule).toBe(c.rule)
    if (c.position !== undefined) expect(result).toMatchObject({ position: c.position })
    if (c.expected !== undefined) expect(result).toMatchObject({ expected: c.expected })
  })
})

describe('USCC check (properties)', () => {
  it('uses the weights 3^i mod 31 and a 31-character alphabet without I, O, Z, S, V', () => {
    expect(USCC_WEIGHTS.map((_, i) => Number(3n ** BigInt(i) % 31n))).toEqual([...USCC_WEIGHTS])
    expect(USCC_ALPHABET).toHaveLength(31)
    for (const ch of 'IOZSV') expect(USCC_ALPHABET).not.toContain(ch)
  })

  it('accepts any prefix with its computed check character and refuses every single change', () => {
    let seed = 2026
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    for (let n = 0; n < 200; n += 1) {
      const prefix = Array.from({ length: 17 }, () => USCC_ALPHABET[next() % 31]).join('')
      const code = prefix + usccCheckChar(prefix)
      expect(checkUscc(code)).toEqual({ ok: true, code })
      const position = next() % 18
      const others = USCC_ALPHABET.replace(code[position], '')
      const changed = code.slice(0, position) + others[next() % others.length] + code.slice(position + 1)
      expect(checkUscc(changed)).toMatchObject({ ok: false, rule: 'uscc_check_character' })
    }
  })

  it('names the length, the character and the check character it found', () => {
    expect(checkUscc('9144')).toEqual({ ok: false, rule: 'uscc_length', length: 4 })
    expect(checkUscc('9144030O708461136T')).toEqual({ ok: false, rule: 'uscc_alphabet', position: 8, character: 'O' })
    expect(checkUscc('91440300708461136U')).toEqual({ ok: false, rule: 'uscc_check_character', found: 'U', expected: 'T' })
  })

  it('counts characters as the server does (code points, not UTF-16 units)', () => {
    expect(checkUscc('9144030070846113😀T')).toEqual({ ok: false, rule: 'uscc_alphabet', position: 17, character: '😀' })
  })
})
