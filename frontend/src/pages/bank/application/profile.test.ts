import { describe, expect, it } from 'vitest'
import type { BankProfile } from '@/api'
import { profileView } from './profile'

const base: BankProfile = {
  uscc: '91440101MA5XXXXXX1',
  snapshot_version: 3,
  as_of: '2026-11-30',
  consent_ids: ['c1'],
  shared: ['tax', 'score'],
  enterprise: {
    name: '广州示例有限公司', uscc: '91440101MA5XXXXXX1', founded_on: '2015-04-01', age_years: 11.67, registered_capital: '5000000.00',
    industry: { section: 'C', division: '13', name_zh: '制造业', name_en: 'Manufacturing' }, district_code: '440106',
  },
  public_records: { items: [], counts: { admin_penalty: 1, tax_grade: 2 }, latest_grades: { tax_grade: 'A' } },
  families: {
    tax: { authorised: true, window: { first: '2024-12', last: '2026-11' }, months: [{}, {}, {}], summary: { months_present: 3, sales_last_12: '1200000.00' } },
    electricity: { consented: false },
    water: { consented: false },
    gas: { consented: false },
    social_insurance: { consented: false },
    housing_fund: { consented: false },
  },
  score: null,
}

describe('profileView', () => {
  it('shows the consented families with their figures and marks the others not shared', () => {
    const view = profileView(base)
    const tax = view.families.find((f) => f.family === 'tax')!
    expect(tax).toMatchObject({ consented: true, authorised: true, months: 3, window: { first: '2024-12', last: '2026-11' } })
    expect(tax.summary).toEqual([['months_present', '3'], ['sales_last_12', '1200000.00']])
    expect(view.families.find((f) => f.family === 'electricity')).toMatchObject({ consented: false, authorised: false, summary: [] })
    expect(view.families.map((f) => f.family)).not.toContain('score')
  })

  it('tells a consented family the enterprise never authorised from one with data', () => {
    const view = profileView({ ...base, families: { ...base.families, tax: { authorised: false } } })
    expect(view.families[0]).toMatchObject({ family: 'tax', consented: true, authorised: false, window: null })
  })

  it('reads the enterprise, record counts and grades, tolerating missing parts', () => {
    const view = profileView(base)
    expect(view.enterprise).toMatchObject({ name: '广州示例有限公司', section: 'C', industryEn: 'Manufacturing', district: '440106', ageYears: 11.67 })
    expect(view.recordCounts).toEqual([['admin_penalty', 1], ['tax_grade', 2]])
    expect(view.grades).toEqual([['tax_grade', 'A']])
    const bare = profileView({ ...base, enterprise: {}, public_records: {} })
    expect(bare.enterprise.uscc).toBe(base.uscc)
    expect(bare.recordCounts).toEqual([])
  })
})
