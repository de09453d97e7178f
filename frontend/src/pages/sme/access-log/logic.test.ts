import { describe, expect, it } from 'vitest'
import { pickLanguage, readDetail, readResource } from './logic'

describe('readResource', () => {
  it('knows the resources the server logs, a series with its family', () => {
    expect(readResource('profile')).toEqual({ kind: 'profile' })
    expect(readResource('public_records')).toEqual({ kind: 'public_records' })
    expect(readResource('credit_score')).toEqual({ kind: 'credit_score' })
    expect(readResource('bank_api_profile')).toEqual({ kind: 'bank_api_profile' })
    expect(readResource('need_claim')).toEqual({ kind: 'need_claim' })
    expect(readResource('bank_portal_profile')).toEqual({ kind: 'bank_portal_profile' })
    expect(readResource('series:social_insurance')).toEqual({ kind: 'series', family: 'social_insurance' })
  })

  it('calls anything else other, never a raw code', () => {
    expect(readResource('series:bitcoin')).toEqual({ kind: 'other' })
    expect(readResource('something_new')).toEqual({ kind: 'other' })
  })
})

describe('readDetail', () => {
  it('reads the shapes the server writes', () => {
    expect(readDetail('version 3')).toEqual({ key: 'version', values: { n: 3 } })
    expect(readDetail('client bank-a-1f; consent c1, c2; snapshot version 4; score, tax')).toEqual({
      key: 'bankPull', values: { client: 'bank-a-1f', n: 4, families: 'score, tax' },
    })
    expect(readDetail('consent c1; snapshot version 5; score, tax')).toEqual({ key: 'portalPull', values: { n: 5, families: 'score, tax' } })
    expect(readDetail('12 records')).toEqual({ key: 'records', values: { n: 12 } })
    expect(readDetail('2023-12..2026-11, 36 months')).toEqual({ key: 'months', values: { first: '2023-12', last: '2026-11', n: 36 } })
    expect(readDetail('model 2026.1, snapshot version 2')).toEqual({ key: 'score', values: { model: '2026.1', n: 2 } })
  })

  it('leaves other text alone', () => {
    expect(readDetail('')).toBeNull()
    expect(readDetail('looked at the whole file')).toBeNull()
  })
})

describe('pickLanguage', () => {
  it('picks the half of a Chinese-English pair for the locale', () => {
    expect(pickLanguage('信用监管 credit supervision', 'zh-CN')).toBe('信用监管')
    expect(pickLanguage('信用监管 credit supervision', 'en')).toBe('credit supervision')
  })

  it('keeps text that is not a pair', () => {
    expect(pickLanguage('ICBC 中国工商银行', 'en')).toBe('ICBC 中国工商银行')
    expect(pickLanguage('loan review', 'zh-CN')).toBe('loan review')
  })
})
