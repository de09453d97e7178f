import type { AuthorizationOut, Family } from '@/api'

/** Every data family, in the order the page lists them (the server's `Family`). */
export const FAMILIES: readonly Family[] = ['tax', 'electricity', 'water', 'gas', 'social_insurance', 'housing_fund']

/** Days before the expiry from which an authorization is flagged as ending soon. */
export const WARN_DAYS = 30
/** The longest an authorization may last (the server refuses more). */
export const MAX_MONTHS = 12
const DAY = 86_400_000

/** Whole days from `now` until `until` (rounded up; negative when it is past). */
export function daysUntil(until: string | Date, now: Date): number {
  return Math.ceil((new Date(until).getTime() - now.getTime()) / DAY)
}

/** True when the expiry is in the future and at most WARN_DAYS away. */
export function endsSoon(expiresAt: string | Date, now: Date): boolean {
  const left = new Date(expiresAt).getTime() - now.getTime()
  return left > 0 && left <= WARN_DAYS * DAY
}

export interface FamilyState {
  family: Family
  /** The live authorization that covers the family longest, if any. */
  current: AuthorizationOut | null
  endsSoon: boolean
  daysLeft: number | null
}

/** Per family: whether a live authorization covers it, until when, and whether that ends soon. */
export function familyStates(authorizations: readonly AuthorizationOut[], now: Date): FamilyState[] {
  const live = authorizations.filter((a) => isLive(a, now))
  return FAMILIES.map((family) => {
    const covering = live
      .filter((a) => a.families.includes(family))
      .sort((a, b) => new Date(b.expires_at).getTime() - new Date(a.expires_at).getTime())
    const current = covering[0] ?? null
    return {
      family,
      current,
      endsSoon: current ? endsSoon(current.expires_at, now) : false,
      daysLeft: current ? daysUntil(current.expires_at, now) : null,
    }
  })
}

/** Live: the server says so, and it has not been revoked or run out since the page loaded. */
export function isLive(a: AuthorizationOut, now: Date): boolean {
  return a.live && !a.revoked_at && new Date(a.expires_at).getTime() > now.getTime()
}

export type PastReason = 'revoked' | 'expired'

/** Why an authorization is no longer live. */
export function pastReason(a: AuthorizationOut): PastReason {
  return a.revoked_at ? 'revoked' : 'expired'
}

/** The date `months` calendar months after `from` (clamped to the month's last day), as the
 * server computes its 12-month limit. */
export function addMonths(from: Date, months: number): Date {
  const index = from.getMonth() + months
  const year = from.getFullYear() + Math.floor(index / 12)
  const month = ((index % 12) + 12) % 12
  const lastDay = new Date(year, month + 1, 0).getDate()
  const result = new Date(from)
  result.setFullYear(year, month, Math.min(from.getDate(), lastDay))
  return result
}

/** The expiry sent for a choice of `months` from `now`: the start of that day, so it never
 * passes the server's limit of MAX_MONTHS from the moment it receives the grant. */
export function expiryFor(months: number, now: Date): Date {
  const end = addMonths(now, Math.min(Math.max(months, 1), MAX_MONTHS))
  end.setHours(0, 0, 0, 0)
  return end
}

/** ISO 8601 with the local offset (the API wants an offset), e.g. 2027-06-04T14:03:00+08:00. */
export function isoWithOffset(d: Date): string {
  const pad = (n: number) => String(Math.abs(n)).padStart(2, '0')
  const offset = -d.getTimezoneOffset()
  const sign = offset >= 0 ? '+' : '-'
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  )
}
