import { describe, expect, it } from 'vitest'
import type { BankLevel } from '@/api'
import { alertLocation, chartOption, defaultPeriod, missesOf, openAlerts, severityTone } from './serviceLevels'

function level(changes: Partial<BankLevel> = {}, actual: Partial<BankLevel['actual']> = {}, committed: Partial<BankLevel['committed']> = {}): BankLevel {
  return {
    bank_id: 'b1', bank_name: '工商银行', bank_code: 'ICBC', behind: false,
    claims_released_unanswered: 0, oldest_respond_by: null, waiting_past_commitment: 0,
    committed: { applications: 10, median_days: '3.00', min_days: 2, max_days: 5, ...committed },
    actual: { decisions: 10, median_days: '2.50', p90_days: '4.80', within_commitment: 10, past_commitment: 0, share_within: '1.000000', ...actual },
    ...changes,
  }
}

describe('what a bank’s row highlights', () => {
  it('nothing when every answer kept its commitment', () => {
    expect(missesOf(level())).toEqual({ median: false, p90: false, share: false, waiting: false, released: false })
  })

  it('a median above the commitment, a p90 above the longest promise, a low share', () => {
    const late = level({}, { median_days: '3.01', p90_days: '5.01', share_within: '0.899999' })
    expect(missesOf(late)).toMatchObject({ median: true, p90: true, share: true })
    expect(missesOf(level({}, { median_days: '3.00', p90_days: '5.00', share_within: '0.900000' }))).toMatchObject({ median: false, p90: false, share: false })
  })

  it('what waits now and the claims let go, whatever the period', () => {
    expect(missesOf(level({ waiting_past_commitment: 2, claims_released_unanswered: 1 }))).toMatchObject({ waiting: true, released: true })
  })

  it('no figure, no highlight', () => {
    const idle = level({}, { decisions: 0, median_days: null, p90_days: null, share_within: null }, { applications: 0, median_days: null, min_days: null, max_days: null })
    expect(Object.values(missesOf(idle)).some(Boolean)).toBe(false)
  })
})

describe('the period', () => {
  it('is the 90 days ending today in China, even late in the UTC evening', () => {
    expect(defaultPeriod(new Date('2026-12-04T20:00:00Z'))).toEqual(['2026-09-07', '2026-12-05'])
    expect(defaultPeriod(new Date('2026-12-04T10:00:00Z'))).toEqual(['2026-09-06', '2026-12-04'])
  })
})

describe('the chart', () => {
  it('puts each bank’s committed median beside its actual median and p90, idle banks left out', () => {
    const idle = level({ bank_name: '空闲银行' }, { median_days: null, p90_days: null }, { median_days: null })
    const option = chartOption([level(), idle], { committed: 'C', median: 'M', p90: 'P', days: 'd' }) as {
      xAxis: { data: string[] }; series: { name: string; data: (number | null)[] }[]
    }
    expect(option.xAxis.data).toEqual(['工商银行'])
    expect(option.series.map((s) => [s.name, s.data])).toEqual([['C', [3]], ['M', [2.5]], ['P', [4.8]]])
  })
})

describe('alerts', () => {
  it('count the open ones, tone by severity and route into the router', () => {
    expect(openAlerts([{ count: 0 }, { count: 3 }, { count: 1 }])).toBe(2)
    expect(severityTone('critical')).toBe('bad')
    expect(severityTone('ok')).toBe('ok')
    expect(alertLocation('/office/disputes?filter=overdue')).toEqual({ path: '/office/disputes', query: { filter: 'overdue' } })
    expect(alertLocation('/office/deliveries')).toEqual({ path: '/office/deliveries', query: {} })
  })
})
