import type { AlertStatus, OfficeVerificationAlertsData } from '@/api'

export const PAGE_SIZE = 20
export type AlertFilter = AlertStatus | 'all'

export function alertQuery(filter: AlertFilter, page: number): NonNullable<OfficeVerificationAlertsData['query']> {
  const query: NonNullable<OfficeVerificationAlertsData['query']> = { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }
  if (filter !== 'all') query.status = filter
  return query
}

/** A closing note the server accepts: not blank. */
export function noteOk(note: string): boolean {
  return note.trim().length > 0
}
