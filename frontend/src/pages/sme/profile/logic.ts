import type { Family } from '@/api'

// Reading the profile snapshot (`xinyidai.profile/1`, docs/profile-snapshot.md) defensively:
// `content` is JSON the page did not type, so every field is checked before use.

export const PROFILE_FORMAT = 'xinyidai.profile/1'
export const FAMILY_ORDER: readonly Family[] = ['tax', 'electricity', 'water', 'gas', 'social_insurance', 'housing_fund']

/** Each family's monthly value columns, in the order the table shows them. */
export const FAMILY_MEASURES: Record<Family, readonly string[]> = {
  tax: ['vat_sales', 'tax_paid', 'invoices_issued', 'invoices_received', 'arrears'],
  electricity: ['kwh', 'amount', 'days_late'],
  water: ['cubic_metres', 'amount', 'days_late'],
  gas: ['cubic_metres', 'amount', 'days_late'],
  social_insurance: ['insured_headcount', 'contributions', 'arrears'],
  housing_fund: ['headcount', 'contributions'],
}

/** The measure each family's chart draws. */
export const HEADLINE: Record<Family, string> = {
  tax: 'vat_sales',
  electricity: 'kwh',
  water: 'cubic_metres',
  gas: 'cubic_metres',
  social_insurance: 'insured_headcount',
  housing_fund: 'headcount',
}

export type FigureFormat = 'money' | 'integer' | 'number' | 'percent'

const MONEY = new Set(['vat_sales', 'tax_paid', 'arrears', 'amount', 'contributions'])
const VOLUME = new Set(['kwh', 'cubic_metres'])

/** How a measure's values print: yuan, a volume with decimals, or a count. */
export function measureFormat(measure: string): FigureFormat {
  if (MONEY.has(measure)) return 'money'
  if (VOLUME.has(measure)) return 'number'
  return 'integer'
}

const KNOWN_MEASURES = new Set(Object.values(FAMILY_MEASURES).flat())
/** Summary keys that are counts of months or days, each with its own label. */
export const COUNT_KEYS = ['months_present', 'months_last_12', 'late_months_last_12', 'max_days_late_last_12', 'months_in_arrears_last_12'] as const

export interface Figure {
  key: string
  /** `count`: one of COUNT_KEYS; `total12`: the measure over the last 12 months; `latest`: the
   * latest month's value; `growth`: the last 12 months against the 12 before. */
  kind: 'count' | 'total12' | 'latest' | 'growth'
  measure: string | null
  format: FigureFormat
  value: number | string
}

/** A family summary's figures, known keys only (an unknown key is never printed raw), in a
 * stable order: totals, latest values, growth, then counts. */
export function summaryFigures(summary: unknown): Figure[] {
  if (!isObject(summary)) return []
  const figures: Figure[] = []
  for (const [key, raw] of Object.entries(summary)) {
    if (typeof raw !== 'number' && typeof raw !== 'string') continue
    let match: RegExpExecArray | null
    if ((COUNT_KEYS as readonly string[]).includes(key)) {
      figures.push({ key, kind: 'count', measure: null, format: 'integer', value: raw })
    } else if ((match = /^(.+)_growth_yoy$/.exec(key)) && KNOWN_MEASURES.has(match[1])) {
      figures.push({ key, kind: 'growth', measure: match[1], format: 'percent', value: raw })
    } else if ((match = /^(.+)_last_12$/.exec(key)) && KNOWN_MEASURES.has(match[1])) {
      figures.push({ key, kind: 'total12', measure: match[1], format: measureFormat(match[1]), value: raw })
    } else if ((match = /^(.+)_latest$/.exec(key)) && KNOWN_MEASURES.has(match[1])) {
      figures.push({ key, kind: 'latest', measure: match[1], format: measureFormat(match[1]), value: raw })
    }
  }
  const rank = { total12: 0, latest: 1, growth: 2, count: 3 }
  const order = (f: Figure) => (f.kind === 'count' ? COUNT_KEYS.indexOf(f.key as (typeof COUNT_KEYS)[number]) : 0)
  return figures.sort((a, b) => rank[a.kind] - rank[b.kind] || order(a) - order(b) || a.key.localeCompare(b.key))
}

export interface FamilyBlock {
  family: Family
  authorised: boolean
  authorisedUntil: string | null
  window: { first: string; last: string } | null
  months: Record<string, unknown>[]
  sources: string[]
  figures: Figure[]
  monthsPresent: number | null
}

export interface RecordsBlock {
  counts: [string, number][]
  latestGrades: [string, string][]
  total: number
  negative: number
  disputed: number
}

export interface ProfileView {
  knownFormat: boolean
  families: FamilyBlock[]
  records: RecordsBlock
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)

export function readProfile(content: unknown): ProfileView {
  const doc = isObject(content) ? content : {}
  const families = isObject(doc.families) ? doc.families : {}
  const records = isObject(doc.public_records) ? doc.public_records : {}
  const items = Array.isArray(records.items) ? records.items.filter(isObject) : []
  return {
    knownFormat: doc.format === PROFILE_FORMAT,
    families: FAMILY_ORDER.map((family) => {
      const f = isObject(families[family]) ? families[family] : {}
      const authorised = f.authorised === true
      const w = isObject(f.window) ? f.window : null
      const summary = isObject(f.summary) ? f.summary : {}
      return {
        family,
        authorised,
        authorisedUntil: authorised ? str(f.authorised_until) : null,
        window: w && str(w.first) && str(w.last) ? { first: w.first as string, last: w.last as string } : null,
        months: authorised && Array.isArray(f.months) ? f.months.filter(isObject) : [],
        sources: Array.isArray(f.sources) ? f.sources.filter((s): s is string => typeof s === 'string') : [],
        figures: authorised ? summaryFigures(summary).filter((x) => x.key !== 'months_present') : [],
        monthsPresent: typeof summary.months_present === 'number' ? summary.months_present : null,
      }
    }),
    records: {
      counts: isObject(records.counts)
        ? Object.entries(records.counts).filter((e): e is [string, number] => typeof e[1] === 'number')
        : [],
      latestGrades: isObject(records.latest_grades)
        ? Object.entries(records.latest_grades).filter((e): e is [string, string] => typeof e[1] === 'string')
        : [],
      total: items.length,
      negative: items.filter((i) => i.negative === true).length,
      disputed: items.filter((i) => i.disputed === true).length,
    },
  }
}

/** Months from `first` to `last` inclusive (`YYYY-MM`); 0 when reversed or unreadable. */
export function monthsBetween(first: string, last: string): number {
  const m = (s: string) => { const [y, mo] = s.split('-').map(Number); return y * 12 + mo - 1 }
  const n = m(last) - m(first) + 1
  return Number.isFinite(n) && n > 0 ? n : 0
}

/** The numbers a chart draws for one measure: null where a month has no figure. */
export function seriesPoints(months: readonly { period: string; values: Record<string, unknown> }[], measure: string): { periods: string[]; values: (number | null)[] } {
  return {
    periods: months.map((m) => m.period),
    values: months.map((m) => {
      const v = m.values[measure]
      const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN
      return Number.isFinite(n) ? n : null
    }),
  }
}
