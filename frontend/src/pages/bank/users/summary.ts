import type { BankUserOut } from '@/api'

export interface UsersSummary {
  total: number
  active: number
  inactive: number
  neverLoggedIn: number
}

/** Counts for the line above the table: all users, active and deactivated ones, and those who
 * never logged in. */
export function summarise(users: readonly BankUserOut[]): UsersSummary {
  const active = users.filter((u) => u.is_active).length
  return {
    total: users.length,
    active,
    inactive: users.length - active,
    neverLoggedIn: users.filter((u) => u.last_login_at === null).length,
  }
}
