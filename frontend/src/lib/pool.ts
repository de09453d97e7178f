// The risk-compensation pool as the pages show it: claim statuses' tones, ledger accounts in
// words, and the checks a page makes before it asks the office to decide.
import type { PoolClaimStatus, PoolEntryOut, PoolYearOut } from '@/api'

export type Tone = 'ok' | 'warn' | 'bad' | 'neutral' | 'info'

export const CLAIM_STATUSES: PoolClaimStatus[] = ['pending', 'paused', 'approved', 'rejected']

export function claimTone(status: PoolClaimStatus): Tone {
  return ({ pending: 'info', paused: 'warn', approved: 'ok', rejected: 'bad' } as const)[status]
}

export interface Account {
  /** `allocation` (the city's allocation: the cap), `fund` (room left), `bank` (compensation to a bank, net) */
  kind: 'allocation' | 'fund' | 'bank' | 'other'
  year: number | null
  bankId: string | null
}

/** `pool:2025:bank:<id>` → { kind: 'bank', year: 2025, bankId: '<id>' } */
export function parseAccount(account: string): Account {
  const parts = account.split(':')
  const year = parts.length > 1 && /^\d{4}$/.test(parts[1]) ? Number(parts[1]) : null
  if (parts[0] === 'city' && parts[2] === 'allocation' && parts.length === 3) return { kind: 'allocation', year, bankId: null }
  if (parts[0] === 'pool' && parts[2] === 'fund' && parts.length === 3) return { kind: 'fund', year, bankId: null }
  if (parts[0] === 'pool' && parts[2] === 'bank' && parts.length === 4) return { kind: 'bank', year, bankId: parts[3] }
  return { kind: 'other', year, bankId: null }
}

const cents = (value: string | null | undefined): bigint => {
  if (!value) return 0n
  const negative = value.startsWith('-')
  const [whole, fraction = ''] = value.replace('-', '').split('.')
  const n = BigInt(whole || '0') * 100n + BigInt((fraction + '00').slice(0, 2))
  return negative ? -n : n
}

/** Whether an entry's debits equal its credits (to the cent, without floating point). */
export function balanced(entry: Pick<PoolEntryOut, 'lines'>): boolean {
  let debit = 0n
  let credit = 0n
  for (const line of entry.lines) {
    debit += cents(line.debit)
    credit += cents(line.credit)
  }
  return entry.lines.length >= 2 && debit === credit
}

/** How full a year is: exposure over cap, 0–1 (capped at 1 for the bar), null without a cap. */
export function fill(year: Pick<PoolYearOut, 'exposure' | 'cap'>): number | null {
  const cap = Number(year.cap)
  if (!(cap > 0)) return null
  return Math.min(1, Math.max(0, Number(year.exposure) / cap))
}

/** Whether approving a claim of `compensation` would fit in the year's room (the server checks too). */
export function fits(compensation: string, year: Pick<PoolYearOut, 'remaining'> | undefined): boolean {
  if (!year) return true
  return cents(compensation) <= cents(year.remaining)
}

/** The reason text a rejection needs: not blank. */
export function reasonProblem(reason: string): 'required' | null {
  return reason.trim() ? null : 'required'
}
