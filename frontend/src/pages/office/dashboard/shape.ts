// The office dashboard's data shaping: filters into queries, statistics tables into chart
// series and table views, KPI cards into changes. Plain TypeScript (tested in shape.test.ts).
import type { ExportQuery, KpiCard, Metric, StatTable } from '@/api'

export interface Filters {
  /** First and last day of the period, `YYYY-MM-DD` (China calendar). */
  from: string
  to: string
  bank: string
  product_type: string
  industry: string
  district: string
  grade: string
}

export const FILTER_KEYS = ['bank', 'product_type', 'industry', 'district', 'grade'] as const
export const GRADES = ['AAA', 'AA', 'A', 'BBB', 'BB', 'B', 'CCC', 'C', 'ungraded']
export const PRODUCT_TYPES = ['credit', 'tax_based', 'utility_based', 'first_loan', 'renewal', 'receivables', 'ip_pledge', 'needs_offer']

const pad = (n: number) => String(n).padStart(2, '0')
const isoDay = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`

/** Today on the China calendar (the statistics' calendar), as a local date. */
export function chinaToday(now: Date): Date {
  const text = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
  const [y, m, d] = text.split('-').map(Number)
  return new Date(y, m - 1, d)
}

/** The last twelve months: from the first day of the month eleven months back, to today. */
export function defaultFilters(today: Date): Filters {
  const first = new Date(today.getFullYear(), today.getMonth() - 11, 1)
  return { from: isoDay(first), to: isoDay(today), bank: '', product_type: '', industry: '', district: '', grade: '' }
}

/** `[YYYY-MM, YYYY-MM]` months as the period's first and last day. */
export function periodOfMonths(first: string, last: string): { from: string; to: string } {
  const [y, m] = last.split('-').map(Number)
  const end = new Date(y, m, 0) // day 0 of the next month: the last day of `last`
  return { from: `${first}-01`, to: isoDay(end) }
}

function chosen(filters: Filters): Partial<Record<(typeof FILTER_KEYS)[number], string>> {
  const out: Partial<Record<(typeof FILTER_KEYS)[number], string>> = {}
  for (const key of FILTER_KEYS) if (filters[key]) out[key] = filters[key]
  return out
}

/** The query of `GET /api/v1/office/stats` for a chart under the filters. */
export function statQuery(filters: Filters, metric: Metric, groupBy: string[]) {
  return { metric, group_by: groupBy.join(',') || undefined, from: filters.from, to: filters.to, ...chosen(filters) }
}

/** The same statistic as an export's query (`POST /api/v1/office/exports`, kind `stat`). */
export function exportQuery(filters: Filters, metric: Metric, groupBy: string[]): ExportQuery {
  return { metric, group_by: groupBy as ExportQuery['group_by'], from: filters.from, to: filters.to, ...chosen(filters) }
}

export type Locale = 'zh-CN' | 'en'
type Row = StatTable['rows'][number]

export function rowLabel(row: Row, dim: string, locale: Locale): string {
  const label = row.labels[dim]
  if (!label) return row.keys[dim] ?? ''
  return locale === 'en' ? label.en : label.zh
}

/** A value as a chart plots it: ratios and rates as percentages, the rest as numbers. */
export function plotted(unit: string, value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null
  const n = Number(value)
  if (!Number.isFinite(n)) return null
  return unit === 'ratio' || unit === 'annual_rate' ? Math.round(n * 1e6) / 1e4 : n
}

export interface ChartSpec {
  key: string
  metric: Metric
  groupBy: string[]
  /** The value columns plotted (with two dimensions, only the first). */
  values: string[]
  kind: 'bar' | 'line'
}

export const CHARTS: ChartSpec[] = [
  { key: 'loansByMonth', metric: 'loans', groupBy: ['month'], values: ['loans', 'disbursed_amount'], kind: 'bar' },
  { key: 'byBankProduct', metric: 'disbursed_amount', groupBy: ['bank', 'product_type'], values: ['disbursed_amount'], kind: 'bar' },
  { key: 'byIndustryDistrict', metric: 'loans', groupBy: ['industry', 'district'], values: ['loans'], kind: 'bar' },
  { key: 'creditShare', metric: 'credit_loan_share', groupBy: ['month'], values: ['unsecured_share', 'unsecured_amount_share'], kind: 'line' },
  { key: 'firstTime', metric: 'first_time_borrowers', groupBy: ['month'], values: ['first_time_borrowers'], kind: 'bar' },
  { key: 'responseTime', metric: 'response_time', groupBy: ['month'], values: ['median', 'p90'], kind: 'line' },
  { key: 'defaultRate', metric: 'default_rate', groupBy: ['month'], values: ['default_rate', 'default_amount_rate'], kind: 'line' },
]

export interface Series {
  name: string
  unit: string
  data: (number | null)[]
}

export interface Shaped {
  categories: string[]
  series: Series[]
}

/** A table as a chart's categories (the first dimension's labels) and series: one per value
 * column with one dimension; one per label of the second dimension with two. */
export function shape(table: StatTable, spec: ChartSpec, locale: Locale): Shaped {
  const columns = table.columns.filter((c) => spec.values.includes(c.key))
  const name = (c: (typeof columns)[number]) => (locale === 'en' ? c.label_en : c.label_zh)
  const [first, second] = table.group_by
  if (!first) {
    return { categories: [''], series: columns.map((c) => ({ name: name(c), unit: c.unit, data: [plotted(c.unit, table.total[c.key])] })) }
  }
  const categories: string[] = []
  for (const row of table.rows) {
    const label = rowLabel(row, first, locale)
    if (!categories.includes(label)) categories.push(label)
  }
  if (!second) {
    return {
      categories,
      series: columns.map((c) => ({ name: name(c), unit: c.unit, data: table.rows.map((r) => plotted(c.unit, r.values[c.key])) })),
    }
  }
  const column = columns[0]
  if (!column) return { categories, series: [] }
  const groups = new Map<string, (number | null)[]>()
  for (const row of table.rows) {
    const group = rowLabel(row, second, locale)
    if (!groups.has(group)) groups.set(group, categories.map(() => null))
    groups.get(group)![categories.indexOf(rowLabel(row, first, locale))] = plotted(column.unit, row.values[column.key])
  }
  return { categories, series: [...groups].map(([group, data]) => ({ name: group, unit: column.unit, data })) }
}

/** The shaped data as an ECharts option: bars stacked by the second dimension, lines per value;
 * a second axis when money and counts share a chart. */
export function chartOption(shaped: Shaped, spec: ChartSpec): Record<string, unknown> {
  const units = [...new Set(shaped.series.map((s) => s.unit))]
  const axisOf = (unit: string) => Math.max(0, units.indexOf(unit))
  const stacked = spec.groupBy.length === 2
  return {
    aria: { enabled: true },
    tooltip: { trigger: 'axis' },
    legend: { type: 'scroll', top: 0 },
    grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: shaped.categories, axisLabel: { hideOverlap: true } },
    yAxis: units.slice(0, 2).map((unit) => ({ type: 'value', name: unitSymbol(unit), splitLine: { show: units.indexOf(unit) === 0 } })),
    series: shaped.series.map((s) => ({
      name: s.name,
      type: spec.kind,
      data: s.data,
      yAxisIndex: Math.min(axisOf(s.unit), 1),
      stack: stacked ? 'total' : undefined,
      connectNulls: spec.kind === 'line',
    })),
  }
}

export function unitSymbol(unit: string): string {
  return unit === 'yuan' ? '¥' : unit === 'ratio' || unit === 'annual_rate' ? '%' : unit === 'working_days' ? 'd' : ''
}

/** Rows for the chart's table view: one per category, one cell per series. */
export function tableView(shaped: Shaped): { header: string[]; rows: (number | null)[][] } {
  return { header: shaped.series.map((s) => s.name), rows: shaped.categories.map((_, i) => shaped.series.map((s) => s.data[i] ?? null)) }
}

/** Relative change from `previous` to `current` (a fraction), null without a base. */
export function change(current: unknown, previous: unknown): number | null {
  const now = current === null || current === undefined ? NaN : Number(current)
  const before = previous === null || previous === undefined ? NaN : Number(previous)
  if (!Number.isFinite(now) || !Number.isFinite(before) || before === 0) return null
  return (now - before) / Math.abs(before)
}

export type Direction = 'up' | 'down' | 'flat' | 'none'

export function direction(delta: number | null): Direction {
  if (delta === null) return 'none'
  if (Math.abs(delta) < 0.0005) return 'flat'
  return delta > 0 ? 'up' : 'down'
}

/** A KPI card's changes against last month and the same month last year. */
export function cardChanges(card: KpiCard): { month: number | null; year: number | null } {
  return { month: change(card.value, card.previous_month), year: change(card.value, card.same_month_last_year) }
}
