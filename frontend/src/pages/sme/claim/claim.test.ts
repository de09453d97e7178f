import { describe, expect, it } from 'vitest'
import type { ClaimOut } from '@/api'
import { ApiProblem } from '@/api/problem'
import { callbackFailure, callbackQuery, claimToForm, industryLabel, statusTagType } from './claim'

const claim: ClaimOut = {
  id: 'c1', status: 'pending', uscc: '91440300708461136T', name: '甲公司', legal_rep_name: '张三', legal_rep_id_masked: '110***********002X',
  registered_capital: '5000000.00', founded_on: '2020-01-01', industry_division: '39', district_code: '440106', may_edit: true, may_verify: true,
}

describe('claim page', () => {
  it('colours statuses, with verified as success and closed claims as danger', () => {
    expect(statusTagType('verified')).toBe('success')
    expect(statusTagType('pending')).toBe('warning')
    expect(statusTagType('revoked')).toBe('danger')
    expect(statusTagType('superseded')).toBe('danger')
  })

  it('restates a claim with the ID number entered again', () => {
    expect(claimToForm(claim)).toEqual({
      name: '甲公司', uscc: '91440300708461136T', legal_rep_name: '张三', legal_rep_id_number: '', registered_capital: '5000000.00',
      founded_on: '2020-01-01', industry_division: '39', district_code: '440106',
    })
  })

  it('names the industry with its section', () => {
    expect(industryLabel('39', 'zh-CN')).toBe('39 · 制造业')
    expect(industryLabel('52', 'en')).toBe('52 · Wholesale and retail trade')
    expect(industryLabel('99', 'en')).toBe('99')
  })
})

describe('verification callback', () => {
  it('takes state, code, iss and error from the query, and nothing without a state', () => {
    expect(callbackQuery({ code: 'c', state: 's', iss: 'http://idp', extra: 'x' })).toEqual({ state: 's', code: 'c', iss: 'http://idp' })
    expect(callbackQuery({ state: ['s', 't'], error: 'access_denied' })).toEqual({ state: 's', error: 'access_denied' })
    expect(callbackQuery({ code: 'c' })).toBeNull()
    expect(callbackQuery({ state: '' })).toBeNull()
  })

  it('names why verification failed from the problem', () => {
    const problem = (status: number, code?: string) => new ApiProblem(status, { errors: code ? [{ field: 'id_token', message: 'm', code }] : [] })
    expect(callbackFailure(problem(400))).toBe('linkInvalid')
    expect(callbackFailure(problem(403, 'declined'))).toBe('declined')
    expect(callbackFailure(problem(403, 'identity_other_enterprise'))).toBe('otherEnterprise')
    expect(callbackFailure(problem(403, 'identity_other_person'))).toBe('otherPerson')
    expect(callbackFailure(problem(403, 'token_replayed'))).toBe('rejected')
    expect(callbackFailure(problem(409, 'uscc_verified_elsewhere'))).toBe('verifiedElsewhere')
    expect(callbackFailure(problem(409))).toBe('notOpen')
    expect(callbackFailure(problem(503))).toBe('unavailable')
    expect(callbackFailure(new Error('x'))).toBe('other')
  })
})
