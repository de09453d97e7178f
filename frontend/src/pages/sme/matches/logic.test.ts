import { describe, expect, it } from 'vitest'
import type { MatchOut } from '@/api'
import { actionLink, shownMatches } from './logic'

describe('the matches page', () => {
  it('sends each actionable hint to the page where the SME can act', () => {
    expect(actionLink({ action: 'authorise' })).toBe('/sme/authorizations')
    expect(actionLink({ action: 'dispute' })).toBe('/sme/records')
    expect(actionLink({ action: 'wait' })).toBeNull()
    expect(actionLink({ action: null })).toBeNull()
  })

  it('can keep only the products the SME qualifies for, in rank order', () => {
    const m = (name: string, eligible: boolean) => ({ eligible, product: { name_zh: name } }) as unknown as MatchOut
    const items = [m('a', true), m('b', false), m('c', true)]
    expect(shownMatches(items, true).map((x) => x.product.name_zh)).toEqual(['a', 'c'])
    expect(shownMatches(items, false)).toHaveLength(3)
  })
})
