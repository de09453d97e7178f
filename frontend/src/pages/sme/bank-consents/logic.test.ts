import { describe, expect, it } from 'vitest'
import type { AccessLogItem, AuthorizationOut, BankConsentOut } from '@/api'
import { consentState, expiryAfter, pullsByConsent, shareable } from './logic'

const NOW = new Date('2026-12-04T08:00:00Z')

function auth(families: AuthorizationOut['families'], extra: Partial<AuthorizationOut> = {}): AuthorizationOut {
  return {
    id: 'a', reference: 'AUTH-1', families, purpose: 'p', granted_at: '2026-01-01T00:00:00Z',
    expires_at: '2027-01-01T00:00:00Z', revoked_at: null, live: true, sync_job_id: null, ...extra,
  }
}

function consent(extra: Partial<BankConsentOut>): BankConsentOut {
  return {
    id: 'c1', enterprise_id: 'e', bank_id: 'b', bank_name: 'Bank', families: ['tax'], purpose: 'general',
    reference: 'r', channel: 'portal', client_id: null, granted_at: '2026-11-01T00:00:00Z', granted_by: 'u',
    expires_at: '2027-02-01T00:00:00Z', revoked_at: null, live: true, ...extra,
  }
}

function pull(at: string, detail: string, resource = 'bank_api_profile'): AccessLogItem {
  return { at, detail, resource, actor_org: 'BANK_A Bank', actor_role: 'bank', purpose: 'general' }
}

describe('bank consents', () => {
  it('offers only families the platform may fetch now, and always the score', () => {
    const list = [auth(['tax', 'water']), auth(['gas'], { revoked_at: '2026-06-01T00:00:00Z' }), auth(['electricity'], { expires_at: '2026-01-01T00:00:00Z' })]
    expect(shareable(list, NOW)).toEqual(['tax', 'water', 'score'])
    expect(shareable([], NOW)).toEqual(['score'])
  })

  it('tells live, revoked and expired consents apart', () => {
    expect(consentState(consent({}), NOW)).toBe('live')
    expect(consentState(consent({ revoked_at: '2026-11-02T00:00:00Z' }), NOW)).toBe('revoked')
    expect(consentState(consent({ expires_at: '2026-12-01T00:00:00Z' }), NOW)).toBe('expired')
  })

  it('counts each bank read (bank API or portal) under the consents it names', () => {
    const pulls = pullsByConsent([
      pull('2026-12-01T01:00:00Z', 'client x; consent c1; snapshot version 3; tax'),
      pull('2026-12-02T01:00:00Z', 'client x; consent c1, c2; snapshot version 3; tax'),
      pull('2026-12-03T01:00:00Z', 'version 2', 'profile'),
      pull('2026-12-04T01:00:00Z', 'consent c2; snapshot version 3; score', 'bank_portal_profile'),
    ])
    expect(pulls.get('c1')).toEqual({ count: 2, last: '2026-12-02T01:00:00Z' })
    expect(pulls.get('c2')).toEqual({ count: 2, last: '2026-12-04T01:00:00Z' })
    expect(pulls.has('c3')).toBe(false)
  })

  it('puts the expiry whole months ahead, inside the 12-month limit', () => {
    const from = new Date(2026, 0, 31, 10)
    expect(new Date(expiryAfter(1, from)).getDate()).toBe(28) // February has no 31st
    const year = new Date(expiryAfter(12, new Date(2026, 5, 15, 10)))
    expect([year.getFullYear(), year.getMonth(), year.getDate()]).toEqual([2027, 5, 14])
  })
})
