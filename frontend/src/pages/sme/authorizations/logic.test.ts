import { describe, expect, it } from 'vitest'
import type { AuthorizationOut } from '@/api'
import { addMonths, daysUntil, endsSoon, expiryFor, familyStates, FAMILIES, isoWithOffset, pastReason } from './logic'

const now = new Date('2026-12-04T06:00:00Z')

function auth(id: string, families: AuthorizationOut['families'], expires: string, extra: Partial<AuthorizationOut> = {}): AuthorizationOut {
  return {
    id, reference: `AUTH-${id}`, families, purpose: 'loan', granted_at: '2026-06-01T00:00:00Z',
    expires_at: expires, revoked_at: null, live: true, sync_job_id: null, ...extra,
  }
}

describe('expiry warning', () => {
  it('warns within 30 days, not after 30 days, not once past', () => {
    expect(endsSoon('2026-12-20T06:00:00Z', now)).toBe(true)
    expect(endsSoon('2027-01-03T06:00:00Z', now)).toBe(true) // exactly 30 days
    expect(endsSoon('2027-01-03T07:00:00Z', now)).toBe(false)
    expect(endsSoon('2026-12-01T00:00:00Z', now)).toBe(false)
  })

  it('counts whole days left, rounding up', () => {
    expect(daysUntil('2026-12-05T05:00:00Z', now)).toBe(1)
    expect(daysUntil('2026-12-14T06:00:00Z', now)).toBe(10)
    expect(daysUntil('2026-12-03T06:00:00Z', now)).toBe(-1)
  })
})

describe('familyStates', () => {
  it('lists all six families, each with the live authorization that lasts longest', () => {
    const list = [
      auth('a', ['tax', 'gas'], '2027-03-01T00:00:00Z'),
      auth('b', ['tax'], '2027-06-01T00:00:00Z'),
      auth('c', ['water'], '2027-06-01T00:00:00Z', { revoked_at: '2026-11-01T00:00:00Z', live: false }),
      auth('d', ['electricity'], '2026-12-10T00:00:00Z'),
    ]
    const states = Object.fromEntries(familyStates(list, now).map((s) => [s.family, s]))
    expect(Object.keys(states)).toEqual([...FAMILIES])
    expect(states.tax.current?.id).toBe('b')
    expect(states.gas.current?.id).toBe('a')
    expect(states.water.current).toBeNull()
    expect(states.electricity.endsSoon).toBe(true)
    expect(states.electricity.daysLeft).toBe(6)
    expect(states.tax.endsSoon).toBe(false)
    expect(states.social_insurance).toMatchObject({ current: null, endsSoon: false, daysLeft: null })
  })

  it('does not count an authorization that expired since the server answered', () => {
    const states = familyStates([auth('a', ['tax'], '2026-12-04T05:00:00Z')], now)
    expect(states[0].current).toBeNull()
  })

  it('says why a past authorization ended', () => {
    expect(pastReason(auth('a', ['tax'], '2026-01-01T00:00:00Z', { revoked_at: '2025-12-01T00:00:00Z' }))).toBe('revoked')
    expect(pastReason(auth('a', ['tax'], '2026-01-01T00:00:00Z', { live: false }))).toBe('expired')
  })
})

describe('expiry choice', () => {
  it('adds calendar months, clamping to the last day of the month', () => {
    expect(addMonths(new Date(2026, 0, 31, 10), 1)).toEqual(new Date(2026, 1, 28, 10))
    expect(addMonths(new Date(2024, 1, 29), 12)).toEqual(new Date(2025, 1, 28))
    expect(addMonths(new Date(2026, 11, 4), 6)).toEqual(new Date(2027, 5, 4))
  })

  it('never offers more than 12 months', () => {
    const start = new Date(2026, 11, 4, 9, 30)
    expect(expiryFor(24, start)).toEqual(new Date(2027, 11, 4))
    expect(expiryFor(3, start)).toEqual(new Date(2027, 2, 4))
    expect(expiryFor(12, start).getTime()).toBeLessThan(addMonths(start, 12).getTime())
  })

  it('writes the expiry with the local offset', () => {
    const text = isoWithOffset(new Date(2027, 5, 4, 9, 5, 7))
    expect(text).toMatch(/^2027-06-04T09:05:07[+-]\d{2}:\d{2}$/)
    expect(new Date(text).getTime()).toBe(new Date(2027, 5, 4, 9, 5, 7).getTime())
  })
})
