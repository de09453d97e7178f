import { describe, expect, it } from 'vitest'
import { balanced, claimTone, fill, fits, parseAccount, reasonProblem } from './pool'

describe('pool accounts', () => {
  it('reads the chart of accounts', () => {
    expect(parseAccount('city:2025:allocation')).toEqual({ kind: 'allocation', year: 2025, bankId: null })
    expect(parseAccount('pool:2026:fund')).toEqual({ kind: 'fund', year: 2026, bankId: null })
    expect(parseAccount('pool:2025:bank:0192-ab')).toEqual({ kind: 'bank', year: 2025, bankId: '0192-ab' })
    expect(parseAccount('elsewhere')).toEqual({ kind: 'other', year: null, bankId: null })
  })
})

describe('ledger entries', () => {
  it('balance when debits equal credits to the cent', () => {
    const lines = [
      { account: 'pool:2025:bank:x', debit: '320000.10', credit: null },
      { account: 'pool:2025:fund', debit: null, credit: '320000.10' },
    ]
    expect(balanced({ lines })).toBe(true)
    expect(balanced({ lines: [lines[0], { ...lines[1], credit: '320000.01' }] })).toBe(false)
    expect(balanced({ lines: [lines[0]] })).toBe(false)
  })

  it('adds cents exactly (no floating point drift)', () => {
    const lines = [
      { account: 'a', debit: '0.10', credit: null },
      { account: 'b', debit: '0.20', credit: null },
      { account: 'c', debit: null, credit: '0.30' },
    ]
    expect(balanced({ lines })).toBe(true)
  })
})

describe('years and claims', () => {
  it('shows how full a year is', () => {
    expect(fill({ exposure: '450.00', cap: '1000.00' })).toBe(0.45)
    expect(fill({ exposure: '1500.00', cap: '1000.00' })).toBe(1)
    expect(fill({ exposure: '1.00', cap: '0.00' })).toBeNull()
  })

  it('knows whether a compensation fits in the room left', () => {
    expect(fits('320000.00', { remaining: '320000.00' })).toBe(true)
    expect(fits('320000.01', { remaining: '320000.00' })).toBe(false)
    expect(fits('1.00', undefined)).toBe(true)
  })

  it('tones claims by status and needs a reason to reject', () => {
    expect(claimTone('paused')).toBe('warn')
    expect(claimTone('approved')).toBe('ok')
    expect(reasonProblem('  ')).toBe('required')
    expect(reasonProblem('材料不全')).toBeNull()
  })
})
