import { describe, expect, it } from 'vitest'
import type { Listing } from '@/api'
import {
  amountBandOf, claimFormFor, rateBandOf, claimProblems, deadlineBounds, districtShown, emptyNeed, fractionToPct, industryShown, needProblems,
  pctToFraction, rateCapPct, toClaim, toNeed,
} from './needs'

const TODAY = new Date(2026, 11, 4, 10) // 4 December 2026, local time

function listing(extra: Partial<Listing> = {}): Listing {
  return {
    id: 'n1',
    industry: { level: 'division', code: '39', name_zh: '计算机、通信和其他电子设备制造业', name_en: 'Computers and electronics' },
    district: { level: 'district', code: '440106' },
    generalisation: 'division_district',
    k: 7,
    size_band: 'small',
    grade_band: 'A-BBB',
    amount_band: { code: '1m_3m', low: '1000000', high: '3000000' },
    term_months: 12,
    purpose: 'equipment',
    rate_cap_band: { code: '4_5_to_6', low: '0.045', high: '0.06' },
    deadline: '2026-12-31',
    status: 'open',
    published_on: '2026-12-01',
    my_claim_id: null,
    ...extra,
  }
}

const t = (key: string, values?: Record<string, unknown>) => (values ? `${key}(${Object.values(values).join('|')})` : key)

describe('a need', () => {
  it('may have its deadline from tomorrow to 90 days ahead', () => {
    expect(deadlineBounds(TODAY)).toEqual({ min: '2026-12-05', max: '2027-03-04' })
    const form = { ...emptyNeed(TODAY), purpose: 'equipment' as const }
    expect(needProblems(form, TODAY)).toEqual({})
    expect(needProblems({ ...form, deadline: '2026-12-04' }, TODAY)).toEqual({ deadline: 'deadlineRange' })
    expect(needProblems({ ...form, deadline: '2027-03-05' }, TODAY)).toEqual({ deadline: 'deadlineRange' })
    expect(needProblems({ ...form, deadline: '' }, TODAY)).toEqual({ deadline: 'deadlineRequired' })
  })

  it('is checked as the server checks it, field by field', () => {
    const bad = needProblems({ amount: 0, term_months: 361, purpose: '', max_rate_pct: 37, deadline: '2026-12-20', note: 'x'.repeat(501) }, TODAY)
    expect(bad).toEqual({ amount: 'amountRange', term_months: 'termRange', purpose: 'purposeRequired', max_rate_pct: 'rateRange', note: 'noteLength' })
    const fine = { ...emptyNeed(TODAY), purpose: 'orders' as const }
    expect(needProblems({ ...fine, amount: 1000.123 }, TODAY)).toEqual({ amount: 'amountPrecision' })
    expect(needProblems({ ...fine, amount: null }, TODAY)).toEqual({ amount: 'amountRequired' })
    expect(needProblems({ ...fine, max_rate_pct: 4.12345 }, TODAY)).toEqual({ max_rate_pct: 'ratePrecision' })
    expect(needProblems({ ...fine, term_months: 6.5 }, TODAY)).toEqual({ term_months: 'termRange' })
  })

  it('is sent with the rate as a fraction and without an empty note', () => {
    const form = { amount: 1234000, term_months: 18, purpose: 'equipment' as const, max_rate_pct: 4.85, deadline: '2026-12-20', note: '  ' }
    expect(toNeed(form)).toEqual({ amount: '1234000', term_months: 18, purpose: 'equipment', max_rate: '0.0485', deadline: '2026-12-20' })
    expect(toNeed({ ...form, note: ' 新生产线 ' }).note).toBe('新生产线')
  })
})

describe('a claim', () => {
  it('starts from the listing and stays under the top of its rate band', () => {
    const form = claimFormFor(listing())
    expect(form).toEqual({ amount: 1000000, rate_pct: 5.8, term_months: 12, conditions: [], response_days: 3 })
    expect(claimProblems(form, listing())).toEqual({})
    expect(claimProblems({ ...form, rate_pct: 6.01 }, listing())).toEqual({ rate_pct: 'rateAboveCap' })
    expect(claimProblems({ ...form, rate_pct: 6 }, listing())).toEqual({})
    const open = listing({ rate_cap_band: { code: 'over_8', low: '0.08', high: null } })
    expect(claimProblems({ ...form, rate_pct: 20 }, open)).toEqual({})
    expect(claimProblems({ ...form, rate_pct: 40 }, open)).toEqual({ rate_pct: 'rateRange' })
  })

  it('is checked field by field and sent with conditions in order', () => {
    const form = { amount: 500000.5, rate_pct: 4.35, term_months: 0, conditions: ['site_visit', 'site_visit'] as const, response_days: 31 }
    expect(claimProblems({ ...form, conditions: [...form.conditions] }, listing())).toEqual({
      term_months: 'termRange', response_days: 'responseDays', conditions: 'conditionTwice',
    })
    const ok = { amount: 800000, rate_pct: 4.35, term_months: 12, conditions: ['guarantor', 'settlement_account'] as ('guarantor' | 'settlement_account')[], response_days: 5 }
    expect(toClaim(ok)).toEqual({ amount: '800000', rate: '0.0435', term_months: 12, conditions: ['settlement_account', 'guarantor'], response_days: 5 })
  })

  it('turns percentages into fractions and back without float noise', () => {
    expect(pctToFraction(3.45)).toBe('0.0345')
    expect(pctToFraction(4.1234)).toBe('0.041234')
    expect(fractionToPct('0.0345')).toBe(3.45)
    expect(rateCapPct(listing())).toBe(6)
    expect(rateCapPct(listing({ rate_cap_band: { code: 'over_8', low: '0.08', high: null } }))).toBeNull()
  })
})

describe('a listing in words', () => {
  it('names the industry shown, or says it is not shown', () => {
    expect(industryShown(listing(), t, 'zh-CN')).toBe('39 · 计算机、通信和其他电子设备制造业')
    expect(industryShown(listing(), t, 'en')).toBe('39 · Computers and electronics')
    expect(industryShown(listing({ industry: { level: 'none', code: null, name_zh: null, name_en: null } }), t, 'en')).toBe('need.industryHidden')
  })

  it('names the district, or the whole city when generalised', () => {
    const te = (key: string) => key === 'city.districts.440106' || key === 'need.cities.440100'
    expect(districtShown(listing(), t, te)).toBe('city.districts.440106')
    expect(districtShown(listing({ district: { level: 'city', code: '440100' } }), t, te)).toBe('need.cityWide(need.cities.440100)')
    expect(districtShown(listing({ district: { level: 'district', code: '440999' } }), t, te)).toBe('440999')
  })
})

describe('bands', () => {
  it('put an amount and a rate cap where the pool shows them', () => {
    expect(amountBandOf(499_999.99)).toBe('lt_500k')
    expect(amountBandOf(500_000)).toBe('500k_1m')
    expect(amountBandOf(1_234_000)).toBe('1m_3m')
    expect(amountBandOf(30_000_000)).toBe('30m_plus')
    expect(rateBandOf(3.5)).toBe('to_3_5')
    expect(rateBandOf(3.51)).toBe('3_5_to_4_5')
    expect(rateBandOf(6)).toBe('4_5_to_6')
    expect(rateBandOf(8.01)).toBe('over_8')
  })
})
