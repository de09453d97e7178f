// Pure pieces of the claim page and its callback page.
import type { ClaimOut, ClaimStatus, EnterpriseCreate } from '@/api'
import { ApiProblem } from '@/api/problem'
import { SECTIONS } from '@/components/SmeEnterpriseFields'

/** Element Plus tag type per claim status (the status is always written in words too). */
export function statusTagType(status: ClaimStatus): 'success' | 'warning' | 'danger' | 'info' {
  return status === 'verified' ? 'success' : status === 'pending' ? 'warning' : 'danger'
}

/** The claim as a form to restate it. The ID number is never sent back: it is entered again. */
export function claimToForm(claim: ClaimOut): EnterpriseCreate {
  return {
    name: claim.name,
    uscc: claim.uscc,
    legal_rep_name: claim.legal_rep_name,
    legal_rep_id_number: '',
    registered_capital: claim.registered_capital,
    founded_on: claim.founded_on,
    industry_division: claim.industry_division,
    district_code: claim.district_code,
  }
}

/** "39 · 制造业": a division with its section's name in `locale`. */
export function industryLabel(division: string, locale: string): string {
  const n = Number(division)
  const section = SECTIONS.find(([, first, last]) => n >= first && n <= last)
  return section ? `${division} · ${locale === 'en' ? section[4] : section[3]}` : division
}

export type CallbackFailure =
  | 'missing' | 'linkInvalid' | 'declined' | 'otherEnterprise' | 'otherPerson' | 'rejected' | 'verifiedElsewhere' | 'notOpen' | 'unavailable' | 'other'

/** Why the verification did not complete, from the callback endpoint's problem. */
export function callbackFailure(error: unknown): CallbackFailure {
  if (!(error instanceof ApiProblem)) return 'other'
  const code = error.errors.find((e) => (e as { code?: string | null }).code)
  const rule = (code as { code?: string } | undefined)?.code
  switch (error.status) {
    case 400:
      return 'linkInvalid'
    case 403:
      if (rule === 'declined') return 'declined'
      if (rule === 'identity_other_enterprise') return 'otherEnterprise'
      if (rule === 'identity_other_person') return 'otherPerson'
      return 'rejected'
    case 409:
      return rule === 'uscc_verified_elsewhere' ? 'verifiedElsewhere' : 'notOpen'
    case 503:
      return 'unavailable'
    default:
      return 'other'
  }
}

/** The query the identity service sent the browser back with, as the callback endpoint takes it;
 * null without a `state` (nothing to complete). */
export function callbackQuery(query: Record<string, unknown>): { state: string; code?: string; iss?: string; error?: string } | null {
  const one = (v: unknown) => (Array.isArray(v) ? v[0] : v)
  const text = (v: unknown) => (typeof one(v) === 'string' && one(v) !== '' ? (one(v) as string) : undefined)
  const state = text(query.state)
  if (!state) return null
  const result: { state: string; code?: string; iss?: string; error?: string } = { state }
  for (const key of ['code', 'iss', 'error'] as const) {
    const value = text(query[key])
    if (value !== undefined) result[key] = value
  }
  return result
}
