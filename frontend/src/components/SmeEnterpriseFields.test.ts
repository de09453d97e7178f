import { describe, expect, it } from 'vitest'
import { ApiProblem } from '@/api/problem'
import { checkUscc } from '@/lib/uscc'
import {
  DISTRICT_RE, divisionGroups, fieldErrors, formFieldOf, normaliseEnterprise, residentIdRule, usccMessage, usccWhileTyping,
} from './SmeEnterpriseFields'

const t = (key: string, values?: Record<string, unknown>) => (values ? `${key} ${JSON.stringify(values)}` : key)

describe('enterprise fields', () => {
  it('name the USCC rule broken with its details', () => {
    expect(usccMessage(checkUscc('91440300708461136T'), t)).toBe('')
    expect(usccMessage(checkUscc('9144'), t)).toBe('auth.register.uscc.length {"count":4}')
    expect(usccMessage(checkUscc('9144030O708461136T'), t)).toBe('auth.register.uscc.alphabet {"position":8,"character":"O"}')
    expect(usccMessage(checkUscc('91440300708461136U'), t)).toBe('auth.register.uscc.check {"expected":"T","found":"U"}')
  })

  it('do not call a USCC being typed too short, but name a wrong character at once', () => {
    expect(usccWhileTyping('914403', t)).toBe('')
    expect(usccWhileTyping('9144O3', t)).toBe('auth.register.uscc.alphabet {"position":5,"character":"O"}')
    expect(usccWhileTyping('91440300708461136U', t)).toContain('auth.register.uscc.check')
    expect(usccWhileTyping('91440300708461136TT', t)).toContain('auth.register.uscc.length')
  })

  it('check resident ID numbers and districts as the server does', () => {
    expect(residentIdRule('11010519491231002X')).toBeNull()
    expect(residentIdRule('11010519491231002x')).toBeNull()
    expect(residentIdRule('110105194912310021')).toBe('id_check_character')
    expect(residentIdRule('110105194913310021')).toBe('id_format')
    expect(DISTRICT_RE.test('440106')).toBe(true)
    for (const bad of ['000000', '990101', '44010', '4401066']) expect(DISTRICT_RE.test(bad)).toBe(false)
  })

  it('offer every GB/T 4754 division from 01 to 97 under its section', () => {
    const groups = divisionGroups('en')
    const values = groups.flatMap((g) => g.options.map((o) => o.value))
    expect(values).toHaveLength(97)
    expect(values[0]).toBe('01')
    expect(groups.find((g) => g.options.some((o) => o.value === '39'))!.label).toBe('C Manufacturing')
    expect(divisionGroups('zh-CN')[2].label).toBe('C 制造业')
  })

  it('put server errors at the fields they name, in words of their own for known codes', () => {
    const problem = new ApiProblem(422, {
      errors: [
        { field: 'enterprise.name', message: 'Expected `str` of length >= 2' },
        { field: 'industry_division', message: 'division 98 is not in GB/T 4754-2017', code: 'industry_division_unknown' },
        { field: 'password', message: 'too easy', code: 'password_weak' },
        { field: 'uscc', message: 'check', code: 'uscc_check_character' },
        { field: 'org', message: 'mystery' },
      ],
    })
    expect(fieldErrors(problem, t, ['password'])).toEqual({
      byField: {
        'enterprise.name': 'Expected `str` of length >= 2',
        'enterprise.industry_division': 'auth.register.server.industry_division_unknown',
        password: 'auth.register.server.password_weak',
        'enterprise.uscc': 'auth.register.server.uscc_invalid',
      },
      other: ['mystery'],
    })
    expect(formFieldOf('password')).toBeNull()
    expect(formFieldOf('$.enterprise.uscc')).toBe('enterprise.uscc')
  })

  it('send trimmed values, the codes upper-cased and the capital without separators', () => {
    expect(normaliseEnterprise({
      name: ' 甲 ', uscc: ' 91440300708461136t ', legal_rep_name: '张三 ', legal_rep_id_number: '11010519491231002x',
      registered_capital: '5,000,000', founded_on: '2020-01-01', industry_division: '39', district_code: ' 440106',
    })).toEqual({
      name: '甲', uscc: '91440300708461136T', legal_rep_name: '张三', legal_rep_id_number: '11010519491231002X',
      registered_capital: '5000000', founded_on: '2020-01-01', industry_division: '39', district_code: '440106',
    })
  })
})
