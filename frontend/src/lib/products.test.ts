import { describe, expect, it } from 'vitest'
import { describeRule, ratePercent } from './products'

const t = (key: string, values?: Record<string, unknown>) => (values ? `${key}(${Object.values(values).join('|')})` : key)
const te = (key: string) => key.startsWith('city.districts.440106') || key.startsWith('industry.sections.')
const fmt = {
  money: (v: string | number | null | undefined) => `¥${v}`,
  percent: (v: string | number | null | undefined, digits = 2) => `${(Number(v) * 100).toFixed(digits)}%`,
}

describe('products in words', () => {
  it('show a rate with the digits it needs, at least two', () => {
    expect(ratePercent('0.0345', fmt)).toBe('3.45%')
    expect(ratePercent('0.04', fmt)).toBe('4.00%')
    expect(ratePercent('0.03875', fmt)).toBe('3.875%')
  })

  it('say a rule criterion by criterion, and "none" for an empty rule', () => {
    expect(describeRule(undefined, t, te, fmt)).toEqual(['product.rule.none'])
    expect(describeRule({}, t, te, fmt)).toEqual(['product.rule.none'])
    const said = describeRule(
      {
        min_grade: 'BBB',
        revenue: { min: '1000000' },
        industries: { mode: 'exclude', codes: ['K', '70'] },
        districts: ['440106', '440999'],
        exclusions: ['serious_dishonesty'],
      },
      t,
      te,
      fmt,
    )
    expect(said).toEqual([
      'product.rule.minGrade(BBB)',
      'product.rule.revenueMin(¥1000000)',
      'product.rule.industriesExclude(K industry.sections.Kproduct.listSep70)',
      'product.rule.districts(city.districts.440106product.listSep440999)',
      'product.rule.exclusions(product.exclusions.serious_dishonesty)',
    ])
  })
})
