import { describe, expect, it } from 'vitest'
import type { DisputeOut, RecordOut } from '@/api'
import { canDispute, dueState, reasonProblem, recordsFor } from './logic'

function record(id: string, status: RecordOut['status']): RecordOut {
  return {
    id, status, record_type: 'admin_penalty', severity: 'general', grade: null, document_no: `No.${id}`,
    decision_date: '2026-09-13', publish_until: '2027-09-13', authority: 'Market regulator', description: 'fine',
    negative: true, source: 'public_credit_import', provider_ref: 'row1', fetched_at: '2026-12-04T05:43:56Z',
  }
}

function dispute(status: DisputeOut['status'], due: string, overdue = false): DisputeOut {
  return {
    id: 'd1', record_id: 'r1', enterprise_id: 'e1', reason: 'wrong company', raised_at: '2026-11-01T02:00:00Z',
    due_on: due, overdue, status, resolution: status === 'open' ? null : 'checked', resolved_at: null,
  }
}

describe('records', () => {
  const all = ['active', 'disputed', 'repaired', 'expired', 'withdrawn'].map((s, i) => record(String(i), s as RecordOut['status']))

  it('shows only active and disputed records unless history is asked for', () => {
    expect(recordsFor(all, false).map((r) => r.status)).toEqual(['active', 'disputed'])
    expect(recordsFor(all, true)).toHaveLength(5)
  })

  it('lets only an active record be disputed', () => {
    expect(all.filter(canDispute).map((r) => r.status)).toEqual(['active'])
  })

  it('checks the reason as the server does', () => {
    expect(reasonProblem('  abc  ')).toBe('short')
    expect(reasonProblem('这不是我们')).toBeNull()
    expect(reasonProblem('x'.repeat(2001))).toBe('long')
  })
})

describe('dueState', () => {
  const today = new Date(2026, 11, 4, 15, 0)

  it('counts the days left on an open dispute, due today being 0', () => {
    expect(dueState(dispute('open', '2026-12-24'), today)).toEqual({ kind: 'open', daysLeft: 20 })
    expect(dueState(dispute('open', '2026-12-04'), today)).toEqual({ kind: 'open', daysLeft: 0 })
  })

  it('is overdue once the due date has passed, or when the server says so', () => {
    expect(dueState(dispute('open', '2026-12-01'), today)).toEqual({ kind: 'overdue', daysLate: 3 })
    expect(dueState(dispute('open', '2026-12-04', true), today)).toEqual({ kind: 'overdue', daysLate: 0 })
  })

  it('is never overdue once resolved', () => {
    expect(dueState(dispute('upheld', '2026-11-01', false), today)).toEqual({ kind: 'resolved' })
    expect(dueState(dispute('withdrawn', '2026-11-01', false), today)).toEqual({ kind: 'resolved' })
  })
})
