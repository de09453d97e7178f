import type { MatchOut, ReasonOut } from '@/api'

/** Where the SME acts on a reason's hint, if the platform has a page for it. */
export function actionLink(reason: Pick<ReasonOut, 'action'>): string | null {
  switch (reason.action) {
    case 'authorise':
      return '/sme/authorizations'
    case 'dispute':
      return '/sme/records'
    default:
      return null
  }
}

/** The matches shown: all, or only those the SME qualifies for (keeping the ranking). */
export function shownMatches(items: readonly MatchOut[], onlyEligible: boolean): MatchOut[] {
  return onlyEligible ? items.filter((m) => m.eligible) : [...items]
}
