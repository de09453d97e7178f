import { describe, expect, it } from 'vitest'
import type { BankUserOut } from '@/api'
import { summarise } from './summary'

const user = (overrides: Partial<BankUserOut>): BankUserOut => ({
  id: 'u',
  display_name: '张三',
  email: 'a@bank.example.com',
  role: 'bank',
  is_active: true,
  created_at: '2026-01-01T00:00:00Z',
  last_login_at: '2026-02-01T00:00:00Z',
  ...overrides,
})

describe('the users summary', () => {
  it('counts active, deactivated and never-logged-in users', () => {
    expect(summarise([user({}), user({ is_active: false }), user({ last_login_at: null })])).toEqual({
      total: 3,
      active: 2,
      inactive: 1,
      neverLoggedIn: 1,
    })
  })

  it('is all zeros for no users', () => {
    expect(summarise([])).toEqual({ total: 0, active: 0, inactive: 0, neverLoggedIn: 0 })
  })
})
