import type { AlertSeverity, BankLevel } from '@/api'

/** What the service-level pages highlight in a bank's row. */
export interface Misses {
  /** The actual median is above the committed median. */
  median: boolean
  /** The p90 is above the longest commitment: one answer in ten is later than any promise. */
  p90: boolean
  /** Less than SHARE_WARN of the decisions kept their commitment. */
  share: boolean
  /** Something waits past its commitment now. */
  waiting: boolean
  /** Claims the bank let go unanswered. */
  released: boolean
}

/** A share of decisions within commitment below this is highlighted. */
export const SHARE_WARN = 0.9

const num = (v: string | null | undefined): number | null => (v === null || v === undefined ? null : Number(v))

export function missesOf(level: BankLevel): Misses {
  const committed = num(level.committed.median_days)
  const actual = num(level.actual.median_days)
  const p90 = num(level.actual.p90_days)
  const share = num(level.actual.share_within)
  const longest = level.committed.max_days
  return {
    median: committed !== null && actual !== null && actual > committed,
    p90: longest !== null && p90 !== null && p90 > longest,
    share: share !== null && share < SHARE_WARN,
    waiting: level.waiting_past_commitment > 0,
    released: level.claims_released_unanswered > 0,
  }
}

/** `YYYY-MM-DD` of a date in China time (the period's days are China dates). */
export function chinaDate(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10)
}

/** The default period: the 90 days ending today (China time), as the API's own default. */
export function defaultPeriod(now: Date = new Date()): [string, string] {
  const to = chinaDate(now)
  const from = chinaDate(new Date(now.getTime() - 89 * 86_400_000))
  return [from, to]
}

export interface ChartWords {
  committed: string
  median: string
  p90: string
  days: string
}

/** The bar chart of each bank's committed median against its actual median and p90 (working
 * days); banks without any figure are left out. */
export function chartOption(levels: BankLevel[], words: ChartWords): Record<string, unknown> {
  const shown = levels.filter((l) => l.committed.median_days !== null || l.actual.median_days !== null)
  const series = (name: string, pick: (l: BankLevel) => string | null, color: string) => ({
    name,
    type: 'bar',
    itemStyle: { color },
    data: shown.map((l) => num(pick(l))),
  })
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 36, bottom: 72 },
    xAxis: { type: 'category', data: shown.map((l) => l.bank_name), axisLabel: { interval: 0, rotate: shown.length > 4 ? 30 : 0 } },
    yAxis: { type: 'value', name: words.days, minInterval: 0.5 },
    series: [
      series(words.committed, (l) => l.committed.median_days, '#1d5fa8'),
      series(words.median, (l) => l.actual.median_days, '#2f8f3a'),
      series(words.p90, (l) => l.actual.p90_days, '#c46b00'),
    ],
  }
}

/** The tag tone of an alert's severity. */
export function severityTone(severity: AlertSeverity): 'ok' | 'warn' | 'bad' | 'info' {
  return ({ ok: 'ok', info: 'info', warning: 'warn', critical: 'bad' } as const)[severity]
}

/** How many alerts have something waiting (the navigation badge). */
export function openAlerts(alerts: { count: number }[]): number {
  return alerts.filter((a) => a.count > 0).length
}

/** Split an alert's route (`/office/disputes?filter=overdue`) into a router location. */
export function alertLocation(route: string): { path: string; query: Record<string, string> } {
  const [path, search = ''] = route.split('?', 2)
  return { path, query: Object.fromEntries(new URLSearchParams(search)) }
}
