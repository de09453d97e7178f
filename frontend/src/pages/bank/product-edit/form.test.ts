import { describe, expect, it } from 'vitest'
import type { ProductIn } from '@/api'
import { emptyForm, formOf, fractionToPct, pctToFraction, problemsOf, toProduct } from './form'

const stated: ProductIn = {
  name_zh: '税易贷', name_en: 'Tax Easy Loan', type: 'tax_based', summary_zh: '', summary_en: '',
  amount_min: '100000', amount_max: '3000000', term_min_months: 6, term_max_months: 36,
  rate_floor: '0.0345', rate_ceiling: '0.06', rates_by_grade: { AAA: '0.0345', BBB: '0.05' },
  repayment_methods: ['equal_instalment'], guarantee: 'none', districts_served: ['440106'], response_days: 3,
  eligibility: {
    min_grade: 'BBB', max_pd: 0.0275, industries: { mode: 'exclude', codes: ['K'] }, revenue: { min: '1000000' },
    headcount: { max: 300 }, required_families: ['tax'], exclusions: ['serious_dishonesty'], flags: ['green'],
  },
}

describe('the product editor form', () => {
  it('turns percentages into rate fractions and back without float noise', () => {
    expect(pctToFraction(3.45)).toBe('0.0345')
    expect(pctToFraction(4.875)).toBe('0.04875')
    expect(fractionToPct('0.0345')).toBe(3.45)
  })

  it('round-trips a product through the form', () => {
    const again = toProduct(formOf(stated))
    expect(again).toEqual(stated)
  })

  it('accepts the empty form once it is named', () => {
    const form = emptyForm()
    expect(Object.keys(problemsOf(form))).toEqual(['name_zh', 'name_en'])
    Object.assign(form, { name_zh: '信用贷', name_en: 'Credit loan' })
    expect(problemsOf(form)).toEqual({})
    expect(toProduct(form).eligibility).toEqual({})
  })

  it('finds every rule the server checks', () => {
    const form = formOf(stated)
    Object.assign(form, { amount_min: 5000000, term_min_months: 48, rate_floor_pct: 7, repayment_methods: [], response_days: null })
    form.rates_by_grade_pct = { AAA: 2 }
    form.rule.revenue_max = 10
    form.rule.headcount_min = 500
    form.rule.industries = []
    form.rule.max_pd_pct = 100
    expect(problemsOf(form)).toEqual({
      amount_min: 'minAboveMax',
      term_min_months: 'minAboveMax',
      rate_ceiling_pct: 'ceilingUnderFloor',
      'rates_by_grade.AAA': 'rateOutside',
      repayment_methods: 'oneMethod',
      response_days: 'required',
      'rule.industries': 'pickIndustry',
      'rule.revenue_min': 'minAboveMax',
      'rule.headcount_min': 'minAboveMax',
      'rule.max_pd_pct': 'pd',
    })
  })
})
