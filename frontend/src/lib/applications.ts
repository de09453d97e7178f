// Applications, decisions and loans as the pages show and send them: the vocabulary's values in
// order, the checks the server makes (so a form never sends what it would refuse), the bodies the
// API takes, and the one Idempotency-Key a form sends for as long as what it sends is unchanged.
import type {
  ApplicationCreate, ApplicationOut, ApplicationStatus, DecisionIn, LoanEventIn, LoanEventKind, NeedPurpose, OutboxStatus,
  ProductOut, RejectReason, SharedData, TimelineEntry,
} from '@/api'
import { SHARED } from './consents'
import { moneyText, pctToFraction } from './amounts'
import { addDays, isoDay, MAX_NOTE, MAX_RATE_PCT, MAX_TERM, type Problems, type Tone } from './needs'

export const APPLICATION_STATUSES: ApplicationStatus[] = [
  'submitted', 'delivered', 'under_review', 'approved', 'rejected', 'disbursed', 'repaying', 'settled', 'defaulted', 'withdrawn',
]
/** Where the SME may still withdraw and the bank may still decide. */
export const UNDECIDED: readonly ApplicationStatus[] = ['submitted', 'delivered', 'under_review']
export const REJECT_REASONS: RejectReason[] = [
  'credit_grade', 'debt_capacity', 'amount_too_high', 'negative_records', 'insufficient_data', 'industry_policy',
  'operating_history', 'existing_exposure', 'incomplete_documents', 'other',
]
export const LOAN_EVENT_KINDS: LoanEventKind[] = ['disbursed', 'repayment', 'overdue', 'default', 'settled', 'recovery']
export const OUTBOX_STATUSES: OutboxStatus[] = ['dead', 'failed', 'pending', 'poll', 'delivered']

/** A consent given with an application lasts 90 days unless the SME chooses otherwise (≤ 12 months). */
export const CONSENT_DAYS = [30, 90, 180, 365] as const
export const DEFAULT_CONSENT_DAYS = 90

export function applicationTone(status: ApplicationStatus): Tone {
  switch (status) {
    case 'approved': case 'disbursed': case 'repaying': case 'settled': return 'ok'
    case 'rejected': case 'defaulted': return 'bad'
    case 'withdrawn': return 'neutral'
    case 'under_review': return 'warn'
    default: return 'info'
  }
}

export function deliveryTone(status: OutboxStatus): Tone {
  return ({ delivered: 'ok', poll: 'info', pending: 'info', failed: 'warn', dead: 'bad' } as const)[status]
}

export const isUndecided = (a: Pick<ApplicationOut, 'status'>): boolean => UNDECIDED.includes(a.status)

const decimals = (n: number): number => {
  const text = String(n)
  if (text.includes('e-')) return Number(text.split('e-')[1])
  return (text.split('.')[1] ?? '').length
}

// --- the SME's application -----------------------------------------------------------------------
export interface ApplyForm {
  amount: number | null
  term_months: number | null
  purpose: NeedPurpose | ''
  note: string
}

export type ProductRanges = Pick<ProductOut, 'amount_min' | 'amount_max' | 'term_min_months' | 'term_max_months'>

/** A starting point inside the product's ranges: its smallest amount, a term of 12 months if
 * the product allows it (else its shortest). */
export function applyFormFor(product: ProductRanges): ApplyForm {
  const term = product.term_min_months <= 12 && product.term_max_months >= 12 ? 12 : product.term_min_months
  return { amount: Number(product.amount_min), term_months: term, purpose: '', note: '' }
}

/** What the server checks on step 1, field by field, as keys under `application.problems`. */
export function applyProblems(form: ApplyForm, product: ProductRanges): Problems {
  const out: Problems = {}
  const { amount, term_months: term } = form
  if (amount == null || !Number.isFinite(amount)) out.amount = 'amountRequired'
  else if (amount <= 0 || amount < Number(product.amount_min) || amount > Number(product.amount_max)) out.amount = 'amountOutside'
  else if (decimals(amount) > 2) out.amount = 'amountPrecision'
  if (term == null || !Number.isInteger(term) || term < product.term_min_months || term > product.term_max_months) out.term_months = 'termOutside'
  if (!form.purpose) out.purpose = 'purposeRequired'
  if (form.note.length > MAX_NOTE) out.note = 'noteLength'
  return out
}

/** What the SME may share with the bank: families it has authorised the platform to fetch, and
 * its score (the order of the consent pages). */
export function consentChoices(authorisedFamilies: Iterable<string>): SharedData[] {
  const live = new Set(authorisedFamilies)
  return SHARED.filter((s) => s === 'score' || live.has(s))
}

/** The consent's expiry `days` from `now` (at most 365: the server allows 12 months). */
export function consentExpiry(days: number, now: Date = new Date()): string {
  const d = Math.min(Math.max(1, Math.round(days)), 365)
  return new Date(now.getTime() + d * 86_400_000 - (d === 365 ? 3_600_000 : 0)).toISOString()
}

export function toApplication(
  productId: string, versionId: string | null, form: ApplyForm, families: readonly SharedData[], expiresAt: string,
): ApplicationCreate {
  const note = form.note.trim()
  return {
    product_id: productId,
    ...(versionId ? { product_version_id: versionId } : {}),
    amount: moneyText(form.amount!),
    term_months: form.term_months!,
    purpose: form.purpose as NeedPurpose,
    ...(note ? { note } : {}),
    consent: { families: SHARED.filter((s) => families.includes(s)), expires_at: expiresAt },
  }
}

// --- one Idempotency-Key per form ------------------------------------------------------------------
/** The Idempotency-Key of one form: made once, and sent again for as long as the body is the same
 * (a double click, a retry after a lost answer); a different body gets a new key, since the
 * server refuses a key reused with another body. */
export function formKey(makeKey: () => string = () => crypto.randomUUID()) {
  let key: string | null = null
  let sent: string | null = null
  return {
    for(body: unknown): string {
      const text = JSON.stringify(body)
      if (key === null || text !== sent) {
        key = makeKey()
        sent = text
      }
      return key
    },
    /** After a success: the next body, even an identical one, is a new request. */
    reset(): void {
      key = null
      sent = null
    },
  }
}

// --- the bank's decision ---------------------------------------------------------------------------
export interface DecisionForm {
  outcome: 'approve' | 'reject'
  amount: number | null
  rate_pct: number | null
  term_months: number | null
  reason: RejectReason | ''
  note: string
}

export function decisionFormFor(application: Pick<ApplicationOut, 'amount' | 'term_months'>): DecisionForm {
  return { outcome: 'approve', amount: Number(application.amount), rate_pct: null, term_months: application.term_months, reason: '', note: '' }
}

/** What the server checks on a decision, as keys under `application.problems`. */
export function decisionProblems(form: DecisionForm): Problems {
  const out: Problems = {}
  if (form.outcome === 'approve') {
    const { amount, rate_pct: pct, term_months: term } = form
    if (amount == null || !Number.isFinite(amount)) out.amount = 'amountRequired'
    else if (amount <= 0 || amount > 100_000_000_000) out.amount = 'amountRange'
    else if (decimals(amount) > 2) out.amount = 'amountPrecision'
    if (pct == null || !Number.isFinite(pct)) out.annual_rate = 'rateRequired'
    else if (pct <= 0 || pct > MAX_RATE_PCT) out.annual_rate = 'rateRange'
    else if (decimals(pct) > 4) out.annual_rate = 'ratePrecision'
    if (term == null || !Number.isInteger(term) || term < 1 || term > MAX_TERM) out.term_months = 'termRange'
  } else {
    if (!form.reason) out.reason = 'reasonRequired'
    else if (form.reason === 'other' && !form.note.trim()) out.note = 'noteForOther'
  }
  if (form.note.length > MAX_NOTE) out.note = 'noteLength'
  return out
}

export function toDecision(form: DecisionForm): DecisionIn {
  const note = form.note.trim() || null
  return form.outcome === 'approve'
    ? { outcome: 'approve', amount: moneyText(form.amount!), annual_rate: pctToFraction(form.rate_pct!), term_months: form.term_months!, note }
    : { outcome: 'reject', reason: form.reason as RejectReason, note }
}

/** The server's 422 field errors by field, for the form items that show them. */
export function fieldErrors(errors: readonly { field?: string | null; message: string }[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const e of errors) {
    const field = (e.field ?? '').replace(/^(body\.|data\.)/, '')
    if (field) out[field] = out[field] ? `${out[field]}; ${e.message}` : e.message
  }
  return out
}

// --- a loan event ----------------------------------------------------------------------------------
export interface LoanEventForm {
  kind: LoanEventKind
  occurred_on: string
  amount: number | null
  interest: number | null
  days_overdue: number | null
  note: string
}

/** Today in China (the platform's calendar: a loan's dates are Beijing days), `YYYY-MM-DD`. */
export function platformDay(now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

export function emptyLoanEvent(kind: LoanEventKind = 'disbursed', now: Date = new Date()): LoanEventForm {
  return { kind, occurred_on: platformDay(now), amount: null, interest: null, days_overdue: null, note: '' }
}

/** The fields each kind takes (the rest are not sent). */
export function loanEventFields(kind: LoanEventKind): { amount: 'required' | 'optional' | null; interest: boolean; days: boolean } {
  switch (kind) {
    case 'disbursed': return { amount: 'required', interest: false, days: false }
    case 'repayment': return { amount: 'required', interest: true, days: false }
    case 'overdue': return { amount: 'required', interest: false, days: true }
    case 'default': return { amount: 'required', interest: false, days: false }
    case 'recovery': return { amount: 'required', interest: false, days: false }
    default: return { amount: 'optional', interest: false, days: false }
  }
}

export function loanEventProblems(form: LoanEventForm, today: Date = new Date()): Problems {
  const out: Problems = {}
  const fields = loanEventFields(form.kind)
  if (!/^\d{4}-\d{2}-\d{2}$/.test(form.occurred_on)) out.occurred_on = 'dateRequired'
  else if (form.occurred_on < isoDay(addDays(today, -3650))) out.occurred_on = 'dateRange'
  const amount = form.amount
  if (fields.amount === 'required' && (amount == null || !Number.isFinite(amount))) out.amount = 'amountRequired'
  else if (fields.amount && amount != null && (amount < 0 || amount > 100_000_000_000)) out.amount = 'amountRange'
  else if (fields.amount && amount != null && decimals(amount) > 2) out.amount = 'amountPrecision'
  if (fields.interest && form.interest != null && (form.interest < 0 || decimals(form.interest) > 2)) out.interest = 'amountRange'
  const days = form.days_overdue
  if (fields.days && (days == null || !Number.isInteger(days) || days < 1 || days > 3650)) out.days_overdue = 'daysRange'
  if (form.note.length > MAX_NOTE) out.note = 'noteLength'
  return out
}

export function toLoanEvent(form: LoanEventForm): LoanEventIn {
  const fields = loanEventFields(form.kind)
  const note = form.note.trim()
  return {
    kind: form.kind,
    occurred_on: form.occurred_on,
    ...(fields.amount && form.amount != null ? { amount: moneyText(form.amount) } : {}),
    ...(fields.interest && form.interest != null ? { interest: moneyText(form.interest) } : {}),
    ...(fields.days && form.days_overdue != null ? { days_overdue: form.days_overdue } : {}),
    ...(note ? { note } : {}),
  }
}

// --- the timeline ----------------------------------------------------------------------------------
/** A timeline step's detail as a message key under `application.steps` and its values, or null
 * when the step says nothing beyond its statuses. */
export function stepDetail(entry: Pick<TimelineEntry, 'to_status' | 'detail'>): { key: string; values: Record<string, string> } | null {
  const d = entry.detail as Record<string, unknown>
  if (typeof d.event === 'string') return { key: 'event', values: { event: d.event, on: String(d.occurred_on ?? '') } }
  if (d.channel === 'poll') return { key: 'polled', values: {} }
  if (typeof d.delivery_id === 'string') return { key: 'delivered', values: {} }
  return null
}
