import { describe, expect, it } from 'vitest'
import { chinaToday, dueState, dueTagType, filterFromQuery, queueQuery } from './useOfficeDue'

describe('due dates', () => {
  it('takes today in China time, which is ahead of UTC', () => {
    expect(chinaToday(new Date('2026-03-04T15:59:00Z'))).toBe('2026-03-04')
    expect(chinaToday(new Date('2026-03-04T16:00:00Z'))).toBe('2026-03-05')
  })

  it('counts days left and days overdue', () => {
    expect(dueState('2026-03-10', false, '2026-03-01')).toEqual({ kind: 'later', days: 9 })
    expect(dueState('2026-03-03', false, '2026-03-01')).toEqual({ kind: 'soon', days: 2 })
    expect(dueState('2026-03-01', false, '2026-03-01')).toEqual({ kind: 'today', days: 0 })
    expect(dueState('2026-02-26', true, '2026-03-01')).toEqual({ kind: 'overdue', days: 3 })
  })

  it('believes the server when it says overdue, and the calendar when it is past due', () => {
    expect(dueState('2026-03-01', true, '2026-03-01')).toEqual({ kind: 'overdue', days: 1 })
    expect(dueState('2026-02-28', false, '2026-03-01').kind).toBe('overdue')
  })

  it('colours overdue red and due soon amber', () => {
    expect(dueTagType('overdue')).toBe('danger')
    expect(dueTagType('today')).toBe('warning')
    expect(dueTagType('soon')).toBe('warning')
    expect(dueTagType('later')).toBe('info')
  })
})

describe('queueQuery', () => {
  it('asks a queue for its open, overdue or all items', () => {
    expect(queueQuery('open')).toEqual({ status: 'open' })
    expect(queueQuery('overdue')).toEqual({ overdue: true })
    expect(queueQuery('all')).toEqual({})
  })
})

describe('the filter a queue opens with', () => {
  it('is the URL’s, when it names one, else the open items', () => {
    expect(filterFromQuery('overdue')).toBe('overdue')
    expect(filterFromQuery('all')).toBe('all')
    expect(filterFromQuery(undefined)).toBe('open')
    expect(filterFromQuery(['overdue'])).toBe('open')
  })
})
