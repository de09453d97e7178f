// What SME -> bank consents cover and where one stands; shared by the SME's and the bank's pages.
import type { BankConsentOut, SharedData } from '@/api'

/** What a consent can cover, in the page's order: the data families, then the score. */
export const SHARED: readonly SharedData[] = ['tax', 'electricity', 'water', 'gas', 'social_insurance', 'housing_fund', 'score']

export type ConsentState = 'live' | 'revoked' | 'expired'

export function consentState(c: BankConsentOut, now: Date = new Date()): ConsentState {
  if (c.revoked_at !== null) return 'revoked'
  return new Date(c.expires_at) > now ? 'live' : 'expired'
}
