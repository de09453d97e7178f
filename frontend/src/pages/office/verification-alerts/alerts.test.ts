import { describe, expect, it } from 'vitest'
import { alertQuery, noteOk } from './alerts'

describe('verification alerts', () => {
  it('pages and filters by status', () => {
    expect(alertQuery('open', 1)).toEqual({ status: 'open', limit: 20, offset: 0 })
    expect(alertQuery('all', 3)).toEqual({ limit: 20, offset: 40 })
  })
  it('needs a closing note', () => {
    expect(noteOk('  ')).toBe(false)
    expect(noteOk('已核实')).toBe(true)
  })
})
