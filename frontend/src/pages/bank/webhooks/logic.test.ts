import { describe, expect, it } from 'vitest'
import type { DeliveryOut } from '@/api'
import { appendPage, lastAnswer, statusTone } from './logic'

const delivery = (id: string, extra: Partial<DeliveryOut> = {}): DeliveryOut => ({
  id,
  event_id: `ev-${id}`,
  event_type: 'consent.revoked',
  status: 'delivered',
  attempts: 1,
  next_attempt_at: null,
  last_status_code: 200,
  last_error: null,
  created_at: '2026-12-04T06:00:00Z',
  delivered_at: '2026-12-04T06:00:01Z',
  payload: {},
  attempt_log: [],
  ...extra,
})

describe('webhook deliveries', () => {
  it('colour a status by what happens next', () => {
    expect(statusTone('delivered')).toBe('ok')
    expect(statusTone('pending')).toBe('info')
    expect(statusTone('failed')).toBe('warn')
    expect(statusTone('dead')).toBe('bad')
  })

  it('add an older page below the shown one, each delivery once', () => {
    const shown = [delivery('3'), delivery('2')]
    const older = { items: [delivery('2', { status: 'dead' }), delivery('1')], limit: 2, next_cursor: null }
    const merged = appendPage(shown, older)
    expect(merged.map((d) => d.id)).toEqual(['3', '2', '1'])
    expect(merged[1]!.status).toBe('delivered')
  })

  it("say the bank's last answer: its status, else why none came", () => {
    expect(lastAnswer({ last_status_code: 503, last_error: 'the bank answered 503' })).toBe('HTTP 503')
    expect(lastAnswer({ last_status_code: null, last_error: 'connection refused' })).toBe('connection refused')
    expect(lastAnswer({ last_status_code: null, last_error: null })).toBe('')
  })
})
