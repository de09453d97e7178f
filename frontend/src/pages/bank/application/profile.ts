// The consented profile a bank user reads with an application (`…/applications/{id}/profile`):
// the loose snapshot document turned into the rows the page shows.
import type { BankProfile, SharedData } from '@/api'
import { SHARED } from '@/lib/consents'

export interface FamilyView {
  family: SharedData
  /** Not covered by the consent: the bank does not see it. */
  consented: boolean
  /** Covered, but the enterprise has not authorised the platform to fetch it. */
  authorised: boolean
  months: number
  window: { first: string; last: string } | null
  summary: [string, string][]
}

export interface ProfileView {
  enterprise: { name: string; uscc: string; foundedOn: string | null; ageYears: number | null; capital: string | null; section: string | null; industryZh: string | null; industryEn: string | null; district: string | null }
  families: FamilyView[]
  recordCounts: [string, number][]
  grades: [string, string][]
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null)
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {})

export function profileView(profile: BankProfile): ProfileView {
  const e = profile.enterprise
  const industry = obj(e.industry)
  const families: FamilyView[] = []
  for (const family of SHARED) {
    if (family === 'score') continue
    const f = obj(profile.families[family])
    const consented = f.consented !== false && profile.shared.includes(family)
    const authorised = consented && f.authorised === true
    const window = obj(f.window)
    families.push({
      family,
      consented,
      authorised,
      months: Array.isArray(f.months) ? f.months.length : 0,
      window: authorised && text(window.first) && text(window.last) ? { first: text(window.first)!, last: text(window.last)! } : null,
      summary: authorised ? Object.entries(obj(f.summary)).map(([k, v]) => [k, text(v) ?? JSON.stringify(v)] as [string, string]) : [],
    })
  }
  const records = obj(profile.public_records)
  return {
    enterprise: {
      name: text(e.name) ?? '',
      uscc: text(e.uscc) ?? profile.uscc,
      foundedOn: text(e.founded_on),
      ageYears: typeof e.age_years === 'number' ? e.age_years : null,
      capital: text(e.registered_capital),
      section: text(industry.section),
      industryZh: text(industry.name_zh),
      industryEn: text(industry.name_en),
      district: text(e.district_code),
    },
    families,
    recordCounts: Object.entries(obj(records.counts)).filter(([, n]) => typeof n === 'number') as [string, number][],
    grades: Object.entries(obj(records.latest_grades)).filter(([, g]) => typeof g === 'string') as [string, string][],
  }
}
