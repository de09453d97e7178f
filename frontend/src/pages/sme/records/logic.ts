import type { DisputeOut, RecordOut } from '@/api'

/** Records still shown and used (the others are history: repaired, expired, withdrawn). */
export function isVisible(r: RecordOut): boolean {
  return r.status === 'active' || r.status === 'disputed'
}

/** The records for the switch: all of them with history, else only those still shown. */
export function recordsFor(records: readonly RecordOut[], history: boolean): RecordOut[] {
  return history ? [...records] : records.filter(isVisible)
}

/** Only a record that is shown and not already under dispute can be disputed. */
export function canDispute(r: RecordOut): boolean {
  return r.status === 'active'
}

export const REASON_MIN = 5
export const REASON_MAX = 2000

/** The reason as the server checks it: 5 to 2000 characters once trimmed. */
export function reasonProblem(text: string): 'short' | 'long' | null {
  const n = text.trim().length
  if (n < REASON_MIN) return 'short'
  if (n > REASON_MAX) return 'long'
  return null
}

/** `YYYY-MM-DD` of a local date. */
export function localDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

export type DueState =
  | { kind: 'resolved' }
  | { kind: 'overdue'; daysLate: number }
  | { kind: 'open'; daysLeft: number }

/** Where an open dispute stands against its due date (the office answers within 20 days):
 * overdue when the server says so or the due date is before `today`. */
export function dueState(d: DisputeOut, today: Date): DueState {
  if (d.status !== 'open') return { kind: 'resolved' }
  const due = new Date(`${d.due_on}T00:00:00`)
  const start = new Date(`${localDate(today)}T00:00:00`)
  const days = Math.round((due.getTime() - start.getTime()) / 86_400_000)
  if (d.overdue || days < 0) return { kind: 'overdue', daysLate: Math.max(-days, 0) }
  return { kind: 'open', daysLeft: days }
}
