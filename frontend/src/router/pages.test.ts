import { describe, expect, it } from 'vitest'
import { homeFor } from '@/stores/auth'
import type { Me } from '@/api'
import { menuFor, pageRecords } from './pages'
import type { PageRoute } from './types'

const page = (extra: Partial<PageRoute>): PageRoute => ({ path: '/x', roles: ['sme'], title: 't', component: async () => ({}), ...extra })

describe('page routes', () => {
  const records = pageRecords({
    '../pages/sme/dashboard/route.ts': page({ path: '/sme', menu: { order: 10 } }),
    '../pages/sme/claim/route.ts': page({ path: '/sme/claim', menu: { order: 5 }, verified: false }),
    '../pages/sme/hidden/route.ts': page({ path: '/sme/hidden' }),
    '../pages/office/registry/route.ts': page({ path: '/office', roles: ['office'], menu: { order: 1 } }),
  })

  it('name each route after its folder', () => {
    expect(records.map((r) => r.name)).toEqual(['sme.dashboard', 'sme.claim', 'sme.hidden', 'office.registry'])
  })

  it('give each role its own menu, in order, without unlisted pages', () => {
    expect(menuFor(records, 'sme', true).map((m) => m.path)).toEqual(['/sme/claim', '/sme'])
    expect(menuFor(records, 'office', true).map((m) => m.path)).toEqual(['/office'])
  })

  it('show an unverified SME only the pages it may use', () => {
    expect(menuFor(records, 'sme', false).map((m) => m.path)).toEqual(['/sme/claim'])
  })

  it('send each role to its home', () => {
    const me = (role: Me['role'], organisation: Me['organisation']): Me => ({ id: '1', email: 'e', display_name: 'd', role, organisation })
    expect(homeFor(me('sme', { kind: 'enterprise', name: 'A', verified: true, id: 'e1' }))).toBe('/sme')
    expect(homeFor(me('sme', { kind: 'claim', name: 'A', verified: false }))).toBe('/sme/claim')
    expect(homeFor(me('bank', { kind: 'bank', name: 'B', id: 'b1' }))).toBe('/bank')
    expect(homeFor(me('office', { kind: 'platform', name: 'O' }))).toBe('/office')
    expect(homeFor(me('admin', { kind: 'platform', name: 'P' }))).toBe('/admin')
    expect(homeFor(null)).toBe('/login')
  })
})
