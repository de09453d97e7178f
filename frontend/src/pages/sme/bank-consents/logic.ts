// Pure pieces of the SME's bank-consents page: what may be shared, where each consent stands,
// and how often each bank has read under it.
import type { AccessLogItem, AuthorizationOut, SharedData } from '@/api'
import { SHARED } from '@/lib/consents'

export { consentState, SHARED, type ConsentState } from '@/lib/consents'

/** What the SME may share now: families with a live authorization to the platform, and the score. */
export function shareable(authorizations: AuthorizationOut[], now: Date = new Date()): SharedData[] {
  const live = new Set<string>()
  for (const a of authorizations) {
    if (a.revoked_at === null && new Date(a.expires_at) > now) a.families.forEach((f) => live.add(f))
  }
  return SHARED.filter((s) => s === 'score' || live.has(s))
}

export interface Pulls {
  count: number
  last: string | null
}

/** How many times, and when last, a bank read the profile under each consent (from the
 * access log's lines of the bank API and of bank users in the portal, which name the consents
 * they were made under). */
export function pullsByConsent(items: AccessLogItem[]): Map<string, Pulls> {
  const out = new Map<string, Pulls>()
  for (const item of items) {
    if (item.resource !== 'bank_api_profile' && item.resource !== 'bank_portal_profile') continue
    const m = /consent ([0-9a-f-]+(?:, [0-9a-f-]+)*);/.exec(item.detail)
    if (!m) continue
    for (const id of m[1].split(', ')) {
      const seen = out.get(id) ?? { count: 0, last: null }
      seen.count += 1
      if (seen.last === null || item.at > seen.last) seen.last = item.at
      out.set(id, seen)
    }
  }
  return out
}

/** An expiry `months` calendar months from `now` (clamped to the month's last day), as ISO. */
export function expiryAfter(months: number, now: Date = new Date()): string {
  const target = new Date(now)
  const day = target.getDate()
  target.setDate(1)
  target.setMonth(target.getMonth() + months)
  const last = new Date(target.getFullYear(), target.getMonth() + 1, 0).getDate()
  target.setDate(Math.min(day, last))
  if (months === 12) target.setDate(target.getDate() - 1) // stay inside the 12-month limit
  return target.toISOString()
}
