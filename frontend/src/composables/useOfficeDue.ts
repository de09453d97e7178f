// When a dispute or score review is due, in words: the server says whether it is overdue
// (by China Standard Time); the days are counted from today's date in China.

export type DueKind = 'overdue' | 'today' | 'soon' | 'later'

export interface DueState {
  kind: DueKind
  /** Whole days: past the due date when overdue, left until it otherwise. */
  days: number
}

/** Days within which a due date counts as soon. */
export const SOON_DAYS = 3

/** Today's date in China (UTC+8, no daylight saving) as YYYY-MM-DD. */
export function chinaToday(now: Date = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10)
}

function dayNumber(isoDate: string): number {
  return Math.round(Date.UTC(+isoDate.slice(0, 4), +isoDate.slice(5, 7) - 1, +isoDate.slice(8, 10)) / 86_400_000)
}

/** How a due date stands today. `overdue` is the server's word and wins over the count. */
export function dueState(dueOn: string, overdue: boolean, today: string = chinaToday()): DueState {
  const left = dayNumber(dueOn) - dayNumber(today)
  if (overdue || left < 0) return { kind: 'overdue', days: Math.max(1, -left) }
  if (left === 0) return { kind: 'today', days: 0 }
  return { kind: left <= SOON_DAYS ? 'soon' : 'later', days: left }
}

/** The Element Plus tag type for a due state (the words carry the meaning, the colour helps). */
export function dueTagType(kind: DueKind): 'danger' | 'warning' | 'info' {
  return kind === 'overdue' ? 'danger' : kind === 'later' ? 'info' : 'warning'
}

/** An office queue's filter: the open items (the desk's work), only overdue ones, or all. */
export type QueueFilter = 'open' | 'overdue' | 'all'

/** The filter a queue page opens with: `?filter=` of its URL (the office's alerts link to
 * `?filter=overdue`), else open items. */
export function filterFromQuery(value: unknown): QueueFilter {
  return value === 'overdue' || value === 'all' ? value : 'open'
}

/** The queue endpoint's query for a filter (the disputes' and the score reviews' alike). */
export function queueQuery(filter: QueueFilter): { status?: 'open'; overdue?: boolean } {
  if (filter === 'overdue') return { overdue: true }
  if (filter === 'open') return { status: 'open' }
  return {}
}
