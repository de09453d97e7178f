import { describe, expect, it } from 'vitest'
import { measureFormat, monthsBetween, readProfile, seriesPoints, summaryFigures } from './logic'

describe('summaryFigures', () => {
  it('turns known summary keys into figures with their format, in a stable order', () => {
    const figures = summaryFigures({
      months_last_12: 12, kwh_growth_yoy: '0.2193', amount_last_12: '5984.38', kwh_last_12: '7577.99',
      months_present: 36, max_days_late_last_12: 0, late_months_last_12: 0, headcount_latest: 12,
    })
    expect(figures.map((f) => [f.key, f.kind, f.format])).toEqual([
      ['amount_last_12', 'total12', 'money'],
      ['kwh_last_12', 'total12', 'number'],
      ['headcount_latest', 'latest', 'integer'],
      ['kwh_growth_yoy', 'growth', 'percent'],
      ['months_present', 'count', 'integer'],
      ['months_last_12', 'count', 'integer'],
      ['late_months_last_12', 'count', 'integer'],
      ['max_days_late_last_12', 'count', 'integer'],
    ])
  })

  it('leaves out keys it does not know rather than print a code', () => {
    expect(summaryFigures({ mystery_last_12: 3, weird: 1, kwh_last_12: { nested: true } })).toEqual([])
    expect(summaryFigures(null)).toEqual([])
  })

  it('prints money as yuan, volumes with decimals and counts as integers', () => {
    expect(measureFormat('vat_sales')).toBe('money')
    expect(measureFormat('cubic_metres')).toBe('number')
    expect(measureFormat('invoices_issued')).toBe('integer')
  })
})

describe('readProfile', () => {
  const content = {
    format: 'xinyidai.profile/1',
    families: {
      electricity: {
        authorised: true, authorised_until: '2027-06-18', window: { first: '2023-12', last: '2026-11' },
        months: [{ period: '2023-12', kwh: '466.52' }], sources: ['sandbox'],
        summary: { months_present: 36, kwh_last_12: '7577.99' },
      },
      tax: { authorised: false, months: [{ period: '2023-12' }], summary: { vat_sales_last_12: '1' } },
    },
    public_records: {
      items: [{ negative: true, disputed: true }, { negative: false, disputed: false }],
      counts: { admin_penalty: 1, tax_grade: 1 },
      latest_grades: { tax_grade: 'B' },
    },
  }

  it('lists all six families in order, data only for authorised ones', () => {
    const view = readProfile(content)
    expect(view.knownFormat).toBe(true)
    expect(view.families.map((f) => f.family)).toEqual(['tax', 'electricity', 'water', 'gas', 'social_insurance', 'housing_fund'])
    const [tax, electricity, water] = view.families
    expect(tax).toMatchObject({ authorised: false, months: [], figures: [] })
    expect(electricity).toMatchObject({ authorised: true, authorisedUntil: '2027-06-18', window: { first: '2023-12', last: '2026-11' }, sources: ['sandbox'], monthsPresent: 36 })
    expect(electricity.figures.map((f) => f.key)).toEqual(['kwh_last_12'])
    expect(water.authorised).toBe(false)
  })

  it('summarises the public records', () => {
    expect(readProfile(content).records).toEqual({
      counts: [['admin_penalty', 1], ['tax_grade', 1]], latestGrades: [['tax_grade', 'B']], total: 2, negative: 1, disputed: 1,
    })
  })

  it('survives a document of another shape', () => {
    const view = readProfile({ format: 'xinyidai.profile/2', families: 'nope' })
    expect(view.knownFormat).toBe(false)
    expect(view.families.every((f) => !f.authorised)).toBe(true)
    expect(view.records.total).toBe(0)
  })
})

describe('months', () => {
  it('counts months in a window, inclusive', () => {
    expect(monthsBetween('2023-12', '2026-11')).toBe(36)
    expect(monthsBetween('2026-01', '2026-01')).toBe(1)
    expect(monthsBetween('2026-02', '2026-01')).toBe(0)
  })

  it('gives chart points, a gap where a month has no figure', () => {
    const points = seriesPoints([
      { period: '2026-01', values: { kwh: '1.5' } },
      { period: '2026-02', values: {} },
      { period: '2026-03', values: { kwh: 3 } },
    ], 'kwh')
    expect(points).toEqual({ periods: ['2026-01', '2026-02', '2026-03'], values: [1.5, null, 3] })
  })
})
