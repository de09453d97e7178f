// The needs pool (融资需求) as the pages show it: the vocabulary's values in order, the checks
// the server makes on a need and on a claim (so a form never sends what it would refuse), and a
// listing's generalised industry and district in words (shell messages `need.*`).
import type {
  AmountBand, ClaimCondition, ClaimCreate, GradeBand, Listing, NeedClaimStatus, NeedCreate, NeedPurpose, NeedStatus, SizeBand,
} from '@/api'
import { fractionToPct, moneyText, pctToFraction } from './amounts'

export const PURPOSES: NeedPurpose[] = ['working_capital', 'equipment', 'expansion', 'orders', 'renewal', 'other']
export const CONDITIONS: ClaimCondition[] = [
  'settlement_account', 'turnover_to_bank', 'site_visit', 'financial_statements', 'tax_authorization',
  'guarantor', 'collateral', 'insurance', 'legal_rep_guarantee',
]
export const AMOUNT_BANDS: AmountBand[] = ['lt_500k', '500k_1m', '1m_3m', '3m_5m', '5m_10m', '10m_30m', '30m_plus']
export const GRADE_BANDS: GradeBand[] = ['AAA-AA', 'A-BBB', 'BB-B', 'CCC-C', 'unrated']
export const SIZE_BANDS: SizeBand[] = ['micro', 'small', 'medium', 'large', 'unknown']
export const CLAIM_STATUSES: NeedClaimStatus[] = ['open', 'accepted', 'lost', 'withdrawn', 'cancelled', 'expired']

/** As the server bounds them (`domain/needs/services.py`, `schemas.py`). */
export const MAX_AMOUNT = 100_000_000_000
export const MAX_RATE_PCT = 36
export const MAX_TERM = 360
export const MAX_DEADLINE_DAYS = 90
export const MAX_NOTE = 500
export const MAX_RESPONSE_DAYS = 30

export type Tone = 'ok' | 'warn' | 'bad' | 'neutral' | 'info'

export function needTone(status: NeedStatus): Tone {
  return ({ open: 'info', accepted: 'ok', withdrawn: 'neutral', expired: 'warn' } as const)[status]
}

export function claimTone(status: NeedClaimStatus): Tone {
  return ({ open: 'info', accepted: 'ok', lost: 'neutral', withdrawn: 'neutral', cancelled: 'neutral', expired: 'warn' } as const)[status]
}

// --- dates -------------------------------------------------------------------------------------
/** A local calendar day as `YYYY-MM-DD`. */
export function isoDay(day: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`
}

export function addDays(day: Date, days: number): Date {
  const out = new Date(day.getFullYear(), day.getMonth(), day.getDate())
  out.setDate(out.getDate() + days)
  return out
}

/** The days a need's deadline may fall on: tomorrow to 90 days from today. */
export function deadlineBounds(today: Date = new Date()): { min: string; max: string } {
  return { min: isoDay(addDays(today, 1)), max: isoDay(addDays(today, MAX_DEADLINE_DAYS)) }
}

// --- numbers -----------------------------------------------------------------------------------
const decimals = (n: number): number => {
  const text = String(n)
  if (text.includes('e-')) return Number(text.split('e-')[1])
  return (text.split('.')[1] ?? '').length
}

export { fractionToPct, moneyText, pctToFraction } from './amounts'

/** A field → the key of its problem under `need.problems`. */
export type Problems = Record<string, string>

function checkAmount(out: Problems, field: string, amount: number | null | undefined): void {
  if (amount == null || !Number.isFinite(amount)) out[field] = 'amountRequired'
  else if (amount <= 0 || amount > MAX_AMOUNT) out[field] = 'amountRange'
  else if (decimals(amount) > 2) out[field] = 'amountPrecision'
}

function checkRate(out: Problems, field: string, pct: number | null | undefined): void {
  if (pct == null || !Number.isFinite(pct)) out[field] = 'rateRequired'
  else if (pct <= 0 || pct > MAX_RATE_PCT) out[field] = 'rateRange'
  else if (decimals(pct) > 4) out[field] = 'ratePrecision'
}

function checkTerm(out: Problems, field: string, term: number | null | undefined): void {
  if (term == null || !Number.isInteger(term) || term < 1 || term > MAX_TERM) out[field] = 'termRange'
}

// --- a need ------------------------------------------------------------------------------------
export interface NeedForm {
  amount: number | null
  term_months: number | null
  purpose: NeedPurpose | ''
  max_rate_pct: number | null
  deadline: string
  note: string
}

export function emptyNeed(today: Date = new Date()): NeedForm {
  return { amount: 1_000_000, term_months: 12, purpose: '', max_rate_pct: 4.5, deadline: isoDay(addDays(today, 30)), note: '' }
}

/** Every rule the server checks on a posted need, field by field (empty when it may be sent). */
export function needProblems(form: NeedForm, today: Date = new Date()): Problems {
  const out: Problems = {}
  checkAmount(out, 'amount', form.amount)
  checkTerm(out, 'term_months', form.term_months)
  if (!form.purpose) out.purpose = 'purposeRequired'
  checkRate(out, 'max_rate_pct', form.max_rate_pct)
  const { min, max } = deadlineBounds(today)
  if (!/^\d{4}-\d{2}-\d{2}$/.test(form.deadline)) out.deadline = 'deadlineRequired'
  else if (form.deadline < min || form.deadline > max) out.deadline = 'deadlineRange'
  if (form.note.length > MAX_NOTE) out.note = 'noteLength'
  return out
}

export function toNeed(form: NeedForm): NeedCreate {
  const note = form.note.trim()
  return {
    amount: moneyText(form.amount!),
    term_months: form.term_months!,
    purpose: form.purpose as NeedPurpose,
    max_rate: pctToFraction(form.max_rate_pct!),
    deadline: form.deadline,
    ...(note ? { note } : {}),
  }
}

// --- a claim -----------------------------------------------------------------------------------
export interface ClaimForm {
  amount: number | null
  rate_pct: number | null
  term_months: number | null
  conditions: ClaimCondition[]
  response_days: number | null
}

/** An offer's starting point: the listing's term, its band's lower amount (or 1 m), and a rate
 * just inside the top of its rate-cap band. */
export function claimFormFor(listing: Listing): ClaimForm {
  const low = listing.amount_band.low ? Number(listing.amount_band.low) : 0
  const high = listing.rate_cap_band.high ? fractionToPct(listing.rate_cap_band.high) : 8
  return {
    amount: low > 0 ? low : 300_000,
    rate_pct: Math.max(0.01, Math.round((high - 0.2) * 100) / 100),
    term_months: listing.term_months,
    conditions: [],
    response_days: 3,
  }
}

/** Every rule the server checks on a claim, with the rate at most the top of the listing's
 * rate-cap band (the exact cap is never shown to a bank). */
export function claimProblems(form: ClaimForm, listing: Listing | null): Problems {
  const out: Problems = {}
  checkAmount(out, 'amount', form.amount)
  checkRate(out, 'rate_pct', form.rate_pct)
  const high = listing?.rate_cap_band.high
  if (!out.rate_pct && high != null && form.rate_pct! > fractionToPct(high)) out.rate_pct = 'rateAboveCap'
  checkTerm(out, 'term_months', form.term_months)
  const days = form.response_days
  if (days == null || !Number.isInteger(days) || days < 1 || days > MAX_RESPONSE_DAYS) out.response_days = 'responseDays'
  if (new Set(form.conditions).size !== form.conditions.length) out.conditions = 'conditionTwice'
  return out
}

export function toClaim(form: ClaimForm): ClaimCreate {
  return {
    amount: moneyText(form.amount!),
    rate: pctToFraction(form.rate_pct!),
    term_months: form.term_months!,
    conditions: CONDITIONS.filter((c) => form.conditions.includes(c)),
    response_days: form.response_days!,
  }
}

// --- bands, as the pool shows them (`domain/needs/anonymise.py`) -------------------------------
const AMOUNT_EDGES = [500_000, 1_000_000, 3_000_000, 5_000_000, 10_000_000, 30_000_000]
const RATE_CODES = ['to_3_5', '3_5_to_4_5', '4_5_to_6', '6_to_8', 'over_8'] as const
const RATE_EDGES_PCT = [3.5, 4.5, 6, 8]

/** The band banks see of an amount asked (low ≤ amount < high). */
export function amountBandOf(amount: number): AmountBand {
  const n = AMOUNT_EDGES.findIndex((edge) => amount < edge)
  return AMOUNT_BANDS[n === -1 ? AMOUNT_EDGES.length : n]
}

/** The band banks see of the highest acceptable rate, in percent (low < rate ≤ high). */
export function rateBandOf(pct: number): (typeof RATE_CODES)[number] {
  const n = RATE_EDGES_PCT.findIndex((edge) => pct <= edge)
  return RATE_CODES[n === -1 ? RATE_EDGES_PCT.length : n]
}

// --- a listing in words ------------------------------------------------------------------------
type Translate = (key: string, values?: Record<string, unknown>) => string

/** The industry a listing shows: a section or division with its name, or "not shown". */
export function industryShown(listing: Listing, t: Translate, locale: string): string {
  const { code, name_zh: zh, name_en: en } = listing.industry
  if (listing.industry.level === 'none' || !code) return t('need.industryHidden')
  const name = locale.startsWith('zh') ? zh : en
  return name ? `${code} · ${name}` : code
}

/** The district a listing shows, or its whole city. */
export function districtShown(listing: Listing, t: Translate, te: (key: string) => boolean): string {
  const { code, level } = listing.district
  if (level === 'city') {
    const city = te(`need.cities.${code}`) ? t(`need.cities.${code}`) : code
    return t('need.cityWide', { city })
  }
  return te(`city.districts.${code}`) ? t(`city.districts.${code}`) : code
}

/** The rate-cap band's upper end in percent (what an offer's rate may not exceed), if any. */
export function rateCapPct(listing: Listing): number | null {
  return listing.rate_cap_band.high ? fractionToPct(listing.rate_cap_band.high) : null
}
