import { describe, expect, it } from 'vitest'
import type { BankOut } from '@/api'
import { PHONE, changesOf, fieldErrors, formFrom, isClearing } from './form'

const bank: BankOut = {
  id: 'b1',
  name: '演示银行',
  short_code: 'DEMO',
  api_base_url: null,
  contact_name: '王经理',
  contact_email: 'credit@bank.example.com',
  contact_phone: '020-8888-0000',
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
}

describe('the bank form', () => {
  it('starts from the bank’s values, empty where none is set', () => {
    expect(formFrom(bank)).toEqual({
      contact_name: '王经理',
      contact_email: 'credit@bank.example.com',
      contact_phone: '020-8888-0000',
      api_base_url: '',
    })
  })

  it('sends only the trimmed fields that changed', () => {
    const form = { ...formFrom(bank), contact_phone: ' 020-1234-5678 ', api_base_url: 'https://api.bank.example.com' }
    expect(changesOf(bank, form)).toEqual({ contact_phone: '020-1234-5678', api_base_url: 'https://api.bank.example.com' })
    expect(changesOf(bank, formFrom(bank))).toEqual({})
    expect(changesOf(bank, { ...formFrom(bank), contact_name: ' 王经理 ' })).toEqual({})
  })

  it('never sends an emptied field, and says it would clear a value', () => {
    const form = { ...formFrom(bank), contact_name: '  ' }
    expect(changesOf(bank, form)).toEqual({})
    expect(isClearing(bank, 'contact_name', '  ')).toBe(true)
    expect(isClearing(bank, 'api_base_url', '')).toBe(false)
    expect(isClearing(bank, 'contact_name', '李经理')).toBe(false)
  })

  it('checks phone numbers as the server does', () => {
    expect(PHONE.test('020-8888-0000')).toBe(true)
    expect(PHONE.test('+86 20 8888 0000')).toBe(true)
    expect(PHONE.test('abcdef')).toBe(false)
    expect(PHONE.test('12')).toBe(false)
  })

  it('maps the server’s field errors to form fields, with known rules by code', () => {
    const errors = fieldErrors([
      { field: 'api_base_url', message: 'not a URL', code: 'url_invalid' },
      { field: 'contact_phone', message: 'Expected `str` of length >= 5' },
      { field: '$.contact_name', message: 'too long', code: 'something_new' },
      { field: 'body', message: 'whatever' },
    ])
    expect(errors).toEqual({
      api_base_url: { code: 'url_invalid', message: 'not a URL' },
      contact_phone: { code: null, message: 'Expected `str` of length >= 5' },
      contact_name: { code: null, message: 'too long' },
    })
  })
})
