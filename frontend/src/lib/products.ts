// Loan products as every page shows them: the vocabulary's values in order, rates as
// percentages, and an eligibility rule in words (shell messages `product.*`).
import type { Eligibility, Exclusion, Flag, Grade, Guarantee, ProductType, RepaymentMethod, TaxGrade } from '@/api'

export const PRODUCT_TYPES: ProductType[] = ['credit', 'tax_based', 'utility_based', 'first_loan', 'renewal', 'receivables', 'ip_pledge']
export const REPAYMENT_METHODS: RepaymentMethod[] = ['equal_instalment', 'equal_principal', 'interest_first', 'bullet', 'revolving']
export const GUARANTEES: Guarantee[] = ['none', 'guarantor', 'collateral']
/** Best first, as the platform grades. */
export const GRADES: Grade[] = ['AAA', 'AA', 'A', 'BBB', 'BB', 'B', 'CCC', 'C']
export const TAX_GRADES: TaxGrade[] = ['A', 'B', 'M', 'C', 'D']
export const FAMILIES = ['tax', 'electricity', 'water', 'gas', 'social_insurance', 'housing_fund'] as const
export const EXCLUSIONS: Exclusion[] = ['serious_dishonesty', 'dishonest_debtor', 'abnormal_operation']
export const FLAGS: Flag[] = ['specialised', 'high_tech', 'green']

type Translate = (key: string, values?: Record<string, unknown>) => string

interface Formats {
  money: (v: string | number | null | undefined) => string
  percent: (v: string | number | null | undefined, digits?: number) => string
}

/** A rate fraction ("0.0345") as a percentage ("3.45%"), with only the digits it needs. */
export function ratePercent(fraction: string | number, fmt: Formats): string {
  const n = Number(fraction)
  const digits = Math.min(4, Math.max(2, (String(Math.round(n * 1e6) / 1e4).split('.')[1] ?? '').length))
  return fmt.percent(n, digits)
}

/** A district code as its name in the demo city, else the code. */
export function districtName(code: string, t: Translate, te: (key: string) => boolean): string {
  return te(`city.districts.${code}`) ? t(`city.districts.${code}`) : code
}

/** An industry code (section letter or two-digit division) in words. */
export function industryName(code: string, t: Translate, te: (key: string) => boolean): string {
  if (/^[A-T]$/.test(code)) return te(`industry.sections.${code}`) ? `${code} ${t(`industry.sections.${code}`)}` : code
  return code
}

/** The rule's criteria, one sentence each, in the order a reader weighs them. */
export function describeRule(rule: Eligibility | undefined, t: Translate, te: (key: string) => boolean, fmt: Formats): string[] {
  if (!rule) return [t('product.rule.none')]
  const list = (items: string[]) => items.join(t('product.listSep'))
  const out: string[] = []
  if (rule.min_grade) out.push(t('product.rule.minGrade', { grade: rule.min_grade }))
  if (rule.max_pd != null) out.push(t('product.rule.maxPd', { pd: fmt.percent(rule.max_pd, 2) }))
  if (rule.min_tax_grade) out.push(t('product.rule.minTaxGrade', { grade: rule.min_tax_grade }))
  if (rule.required_families?.length) out.push(t('product.rule.requiredFamilies', { list: list(rule.required_families.map((f) => t(`product.families.${f}`))) }))
  if (rule.min_tax_months != null) out.push(t('product.rule.minTaxMonths', { n: rule.min_tax_months }))
  if (rule.revenue?.min != null) out.push(t('product.rule.revenueMin', { amount: fmt.money(rule.revenue.min) }))
  if (rule.revenue?.max != null) out.push(t('product.rule.revenueMax', { amount: fmt.money(rule.revenue.max) }))
  if (rule.headcount?.min != null) out.push(t('product.rule.headcountMin', { n: rule.headcount.min }))
  if (rule.headcount?.max != null) out.push(t('product.rule.headcountMax', { n: rule.headcount.max }))
  if (rule.min_years_operating != null) out.push(t('product.rule.minYears', { n: rule.min_years_operating }))
  if (rule.industries) {
    const key = rule.industries.mode === 'include' ? 'industriesInclude' : 'industriesExclude'
    out.push(t(`product.rule.${key}`, { list: list(rule.industries.codes.map((c) => industryName(c, t, te))) }))
  }
  if (rule.districts?.length) out.push(t('product.rule.districts', { list: list(rule.districts.map((d) => districtName(d, t, te))) }))
  if (rule.max_arrears_months != null) out.push(t('product.rule.maxArrears', { n: rule.max_arrears_months }))
  if (rule.max_penalties_12m != null) out.push(t('product.rule.maxPenalties', { n: rule.max_penalties_12m }))
  if (rule.exclusions?.length) out.push(t('product.rule.exclusions', { list: list(rule.exclusions.map((e) => t(`product.exclusions.${e}`))) }))
  if (rule.flags?.length) out.push(t('product.rule.flags', { list: list(rule.flags.map((f) => t(`product.flags.${f}`))) }))
  return out.length ? out : [t('product.rule.none')]
}
