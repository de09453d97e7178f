// The product editor's form ⇄ the API's ProductIn. The form holds numbers as the bank types
// them (amounts in yuan, rates in percent); `problemsOf` checks every rule the server checks,
// so the editor never sends an invalid product (the server checks again).
import type { Eligibility, Exclusion, Flag, Grade, Guarantee, ProductIn, ProductType, RepaymentMethod, TaxGrade } from '@/api'
import { fractionToPct, moneyText, pctToFraction } from '@/lib/amounts'

export interface RuleForm {
  min_grade: Grade | ''
  max_pd_pct: number | null
  industries_mode: 'include' | 'exclude' | ''
  industries: string[]
  districts: string[]
  min_years: number | null
  min_tax_grade: TaxGrade | ''
  required_families: string[]
  min_tax_months: number | null
  revenue_min: number | null
  revenue_max: number | null
  headcount_min: number | null
  headcount_max: number | null
  max_arrears_months: number | null
  max_penalties_12m: number | null
  exclusions: Exclusion[]
  flags: Flag[]
}

export interface ProductForm {
  name_zh: string
  name_en: string
  type: ProductType
  summary_zh: string
  summary_en: string
  amount_min: number | null
  amount_max: number | null
  term_min_months: number | null
  term_max_months: number | null
  rate_floor_pct: number | null
  rate_ceiling_pct: number | null
  rates_by_grade_pct: Partial<Record<Grade, number | null>>
  repayment_methods: RepaymentMethod[]
  guarantee: Guarantee
  districts_served: string[]
  response_days: number | null
  rule: RuleForm
}

/** A problem's field path → its message key under `bank.productEdit.problems`. */
export type Problems = Record<string, string>

export function emptyRule(): RuleForm {
  return {
    min_grade: '', max_pd_pct: null, industries_mode: '', industries: [], districts: [], min_years: null,
    min_tax_grade: '', required_families: [], min_tax_months: null, revenue_min: null, revenue_max: null,
    headcount_min: null, headcount_max: null, max_arrears_months: null, max_penalties_12m: null, exclusions: [], flags: [],
  }
}

export function emptyForm(): ProductForm {
  return {
    name_zh: '', name_en: '', type: 'credit', summary_zh: '', summary_en: '',
    amount_min: 100000, amount_max: 1000000, term_min_months: 6, term_max_months: 12,
    rate_floor_pct: 3.5, rate_ceiling_pct: 6, rates_by_grade_pct: {},
    repayment_methods: ['equal_instalment'], guarantee: 'none', districts_served: [], response_days: 3,
    rule: emptyRule(),
  }
}

export { fractionToPct, pctToFraction } from '@/lib/amounts'

const num = (v: string | number | null | undefined): number | null => (v == null ? null : Number(v))

export function formOf(p: ProductIn): ProductForm {
  const r: Eligibility = p.eligibility ?? {}
  const byGrade: Partial<Record<Grade, number | null>> = {}
  for (const [grade, rate] of Object.entries(p.rates_by_grade ?? {})) byGrade[grade as Grade] = fractionToPct(rate)
  return {
    name_zh: p.name_zh, name_en: p.name_en, type: p.type, summary_zh: p.summary_zh ?? '', summary_en: p.summary_en ?? '',
    amount_min: Number(p.amount_min), amount_max: Number(p.amount_max),
    term_min_months: p.term_min_months, term_max_months: p.term_max_months,
    rate_floor_pct: fractionToPct(p.rate_floor), rate_ceiling_pct: fractionToPct(p.rate_ceiling), rates_by_grade_pct: byGrade,
    repayment_methods: [...p.repayment_methods], guarantee: p.guarantee, districts_served: [...(p.districts_served ?? [])],
    response_days: p.response_days,
    rule: {
      min_grade: r.min_grade ?? '', max_pd_pct: r.max_pd == null ? null : Math.round(r.max_pd * 1e6) / 1e4,
      industries_mode: r.industries?.mode ?? '', industries: [...(r.industries?.codes ?? [])], districts: [...(r.districts ?? [])],
      min_years: r.min_years_operating ?? null, min_tax_grade: r.min_tax_grade ?? '', required_families: [...(r.required_families ?? [])],
      min_tax_months: r.min_tax_months ?? null, revenue_min: num(r.revenue?.min), revenue_max: num(r.revenue?.max),
      headcount_min: r.headcount?.min ?? null, headcount_max: r.headcount?.max ?? null,
      max_arrears_months: r.max_arrears_months ?? null, max_penalties_12m: r.max_penalties_12m ?? null,
      exclusions: [...(r.exclusions ?? [])], flags: [...(r.flags ?? [])],
    },
  }
}

const above = (low: number | null, high: number | null) => low != null && high != null && low > high

/** Every rule the form breaks (empty when it can be sent). */
export function problemsOf(f: ProductForm): Problems {
  const p: Problems = {}
  if (f.name_zh.trim().length < 2) p.name_zh = 'name'
  if (f.name_en.trim().length < 2) p.name_en = 'name'
  if (f.amount_min == null || f.amount_min < 0) p.amount_min = 'required'
  if (f.amount_max == null || f.amount_max <= 0) p.amount_max = 'required'
  if (above(f.amount_min, f.amount_max)) p.amount_min = 'minAboveMax'
  if (f.term_min_months == null) p.term_min_months = 'required'
  if (f.term_max_months == null) p.term_max_months = 'required'
  if (above(f.term_min_months, f.term_max_months)) p.term_min_months = 'minAboveMax'
  const rateOk = (v: number | null | undefined) => v != null && v > 0 && v <= 36
  if (!rateOk(f.rate_floor_pct)) p.rate_floor_pct = 'rate'
  if (!rateOk(f.rate_ceiling_pct)) p.rate_ceiling_pct = 'rate'
  if (rateOk(f.rate_floor_pct) && rateOk(f.rate_ceiling_pct) && f.rate_ceiling_pct! < f.rate_floor_pct!) p.rate_ceiling_pct = 'ceilingUnderFloor'
  for (const [grade, rate] of Object.entries(f.rates_by_grade_pct)) {
    if (rate == null) continue
    if (!rateOk(rate) || (f.rate_floor_pct != null && rate < f.rate_floor_pct) || (f.rate_ceiling_pct != null && rate > f.rate_ceiling_pct)) {
      p[`rates_by_grade.${grade}`] = 'rateOutside'
    }
  }
  if (f.repayment_methods.length === 0) p.repayment_methods = 'oneMethod'
  if (f.response_days == null) p.response_days = 'required'
  const r = f.rule
  if (r.industries_mode && r.industries.length === 0) p['rule.industries'] = 'pickIndustry'
  if (above(r.revenue_min, r.revenue_max)) p['rule.revenue_min'] = 'minAboveMax'
  if (above(r.headcount_min, r.headcount_max)) p['rule.headcount_min'] = 'minAboveMax'
  if (r.max_pd_pct != null && !(r.max_pd_pct > 0 && r.max_pd_pct < 100)) p['rule.max_pd_pct'] = 'pd'
  return p
}

function ruleOf(r: RuleForm): Eligibility {
  const e: Eligibility = {}
  if (r.min_grade) e.min_grade = r.min_grade
  if (r.max_pd_pct != null) e.max_pd = Math.round(r.max_pd_pct * 1e4) / 1e6
  if (r.industries_mode && r.industries.length) e.industries = { mode: r.industries_mode, codes: [...r.industries] }
  if (r.districts.length) e.districts = [...r.districts]
  if (r.min_years != null) e.min_years_operating = r.min_years
  if (r.min_tax_grade) e.min_tax_grade = r.min_tax_grade
  if (r.required_families.length) e.required_families = [...r.required_families] as Eligibility['required_families']
  if (r.min_tax_months != null) e.min_tax_months = r.min_tax_months
  if (r.revenue_min != null || r.revenue_max != null) {
    e.revenue = {}
    if (r.revenue_min != null) e.revenue.min = moneyText(r.revenue_min)
    if (r.revenue_max != null) e.revenue.max = moneyText(r.revenue_max)
  }
  if (r.headcount_min != null || r.headcount_max != null) {
    e.headcount = {}
    if (r.headcount_min != null) e.headcount.min = r.headcount_min
    if (r.headcount_max != null) e.headcount.max = r.headcount_max
  }
  if (r.max_arrears_months != null) e.max_arrears_months = r.max_arrears_months
  if (r.max_penalties_12m != null) e.max_penalties_12m = r.max_penalties_12m
  if (r.exclusions.length) e.exclusions = [...r.exclusions]
  if (r.flags.length) e.flags = [...r.flags]
  return e
}

/** The product to send; call only when `problemsOf(form)` is empty. */
export function toProduct(f: ProductForm): ProductIn {
  const byGrade: Record<string, string> = {}
  for (const [grade, rate] of Object.entries(f.rates_by_grade_pct)) if (rate != null) byGrade[grade] = pctToFraction(rate)
  return {
    name_zh: f.name_zh.trim(), name_en: f.name_en.trim(), type: f.type,
    summary_zh: f.summary_zh.trim(), summary_en: f.summary_en.trim(),
    amount_min: moneyText(f.amount_min!), amount_max: moneyText(f.amount_max!),
    term_min_months: f.term_min_months!, term_max_months: f.term_max_months!,
    rate_floor: pctToFraction(f.rate_floor_pct!), rate_ceiling: pctToFraction(f.rate_ceiling_pct!), rates_by_grade: byGrade,
    repayment_methods: [...f.repayment_methods], guarantee: f.guarantee, districts_served: [...f.districts_served],
    response_days: f.response_days!, eligibility: ruleOf(f.rule),
  }
}
