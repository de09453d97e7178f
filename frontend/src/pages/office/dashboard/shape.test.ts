import { describe, expect, it } from 'vitest'
import type { StatTable } from '@/api'
import { CHARTS, cardChanges, chinaToday, change, chartOption, defaultFilters, direction, exportQuery, periodOfMonths, plotted, shape, statQuery, tableView } from './shape'

const label = (zh: string, en = zh) => ({ zh, en })

function table(partial: Partial<StatTable>): StatTable {
  return { metric: 'loans', group_by: [], from: '2026-01-01', to: '2026-06-30', as_of: '2026-07-01T00:00:00Z', columns: [], rows: [], total: {}, ...partial }
}

const byMonth = table({
  group_by: ['month'],
  columns: [
    { key: 'loans', label_zh: '放款笔数', label_en: 'Loans', unit: 'count' },
    { key: 'disbursed_amount', label_zh: '放款金额（元）', label_en: 'Amount disbursed (yuan)', unit: 'yuan' },
  ],
  rows: [
    { keys: { month: '2026-01' }, labels: { month: label('2026-01') }, values: { loans: 3, disbursed_amount: '1500000.00' } },
    { keys: { month: '2026-02' }, labels: { month: label('2026-02') }, values: { loans: 5, disbursed_amount: '2500000.50' } },
  ],
  total: { loans: 8, disbursed_amount: '4000000.50' },
})

describe('the filters', () => {
  it('default to the last twelve months', () => {
    expect(defaultFilters(new Date(2026, 11, 4))).toMatchObject({ from: '2026-01-01', to: '2026-12-04', bank: '' })
  })
  it('take today on the China calendar', () => {
    const d = chinaToday(new Date('2026-12-04T20:30:00Z')) // 04:30 on the 5th in Guangzhou
    expect([d.getFullYear(), d.getMonth() + 1, d.getDate()]).toEqual([2026, 12, 5])
  })
  it('turn a month range into its first and last day', () => {
    expect(periodOfMonths('2026-01', '2026-02')).toEqual({ from: '2026-01-01', to: '2026-02-28' })
    expect(periodOfMonths('2024-02', '2024-02')).toEqual({ from: '2024-02-01', to: '2024-02-29' })
  })
  it('drive the statistics and export queries, leaving out what is not chosen', () => {
    const filters = { ...defaultFilters(new Date(2026, 5, 30)), bank: 'b1', district: '440106' }
    expect(statQuery(filters, 'loans', ['bank', 'month'])).toEqual({ metric: 'loans', group_by: 'bank,month', from: '2025-07-01', to: '2026-06-30', bank: 'b1', district: '440106' })
    expect(statQuery(filters, 'average_rate', []).group_by).toBeUndefined()
    expect(exportQuery(filters, 'loans', ['month'])).toEqual({ metric: 'loans', group_by: ['month'], from: '2025-07-01', to: '2026-06-30', bank: 'b1', district: '440106' })
  })
})

describe('shaping a statistics table', () => {
  it('plots ratios as percentages and keeps a missing value missing', () => {
    expect(plotted('ratio', '0.123456')).toBe(12.3456)
    expect(plotted('annual_rate', '0.052000')).toBe(5.2)
    expect(plotted('yuan', '10.50')).toBe(10.5)
    expect(plotted('ratio', null)).toBeNull()
  })
  it('makes one series per value column for one dimension', () => {
    const shaped = shape(byMonth, CHARTS[0], 'en')
    expect(shaped.categories).toEqual(['2026-01', '2026-02'])
    expect(shaped.series).toEqual([
      { name: 'Loans', unit: 'count', data: [3, 5] },
      { name: 'Amount disbursed (yuan)', unit: 'yuan', data: [1500000, 2500000.5] },
    ])
    const option = chartOption(shaped, CHARTS[0]) as { yAxis: unknown[]; series: { yAxisIndex: number }[] }
    expect(option.yAxis).toHaveLength(2) // counts and yuan on their own axes
    expect(option.series.map((s) => s.yAxisIndex)).toEqual([0, 1])
    expect(tableView(shaped)).toEqual({ header: ['Loans', 'Amount disbursed (yuan)'], rows: [[3, 1500000], [5, 2500000.5]] })
  })
  it('makes one stacked series per second-dimension label, with gaps where a group has none', () => {
    const spec = CHARTS.find((c) => c.key === 'byBankProduct')!
    const twoDims = table({
      metric: 'disbursed_amount',
      group_by: ['bank', 'product_type'],
      columns: [{ key: 'disbursed_amount', label_zh: '放款金额（元）', label_en: 'Amount', unit: 'yuan' }, { key: 'loans', label_zh: '笔数', label_en: 'Loans', unit: 'count' }],
      rows: [
        { keys: { bank: 'a', product_type: 'credit' }, labels: { bank: label('工行', 'ICBC'), product_type: label('信用贷', 'Credit loan') }, values: { disbursed_amount: '100.00', loans: 1 } },
        { keys: { bank: 'a', product_type: 'tax_based' }, labels: { bank: label('工行', 'ICBC'), product_type: label('税易贷', 'Tax-based loan') }, values: { disbursed_amount: '50.00', loans: 1 } },
        { keys: { bank: 'b', product_type: 'credit' }, labels: { bank: label('建行', 'CCB'), product_type: label('信用贷', 'Credit loan') }, values: { disbursed_amount: '70.00', loans: 1 } },
      ],
    })
    const shaped = shape(twoDims, spec, 'zh-CN')
    expect(shaped.categories).toEqual(['工行', '建行'])
    expect(shaped.series).toEqual([
      { name: '信用贷', unit: 'yuan', data: [100, 70] },
      { name: '税易贷', unit: 'yuan', data: [50, null] },
    ])
    const option = chartOption(shaped, spec) as { series: { stack?: string }[] }
    expect(option.series.every((s) => s.stack === 'total')).toBe(true)
  })
  it('plots the total when nothing is grouped', () => {
    const shaped = shape(byMonth, { ...CHARTS[0], groupBy: [] }, 'zh-CN')
    expect(shaped.series[0]).toEqual({ name: '放款笔数', unit: 'count', data: [3, 5] })
    const total = shape({ ...byMonth, group_by: [], rows: [] }, { ...CHARTS[0], groupBy: [] }, 'zh-CN')
    expect(total.series.map((s) => s.data)).toEqual([[8], [4000000.5]])
  })
})

describe('KPI changes', () => {
  it('are relative to the earlier figure, none without one', () => {
    expect(change(120, 100)).toBeCloseTo(0.2)
    expect(change('80.00', '100.00')).toBeCloseTo(-0.2)
    expect(change(5, 0)).toBeNull()
    expect(change(5, null)).toBeNull()
    expect(direction(0.2)).toBe('up')
    expect(direction(-0.01)).toBe('down')
    expect(direction(0)).toBe('flat')
    expect(direction(null)).toBe('none')
    const card = { key: 'loans', label_zh: '放款笔数', label_en: 'Loans', unit: 'count' as const, value: 12, previous_month: 10, same_month_last_year: 24 }
    const changes = cardChanges(card)
    expect(changes.month).toBeCloseTo(0.2)
    expect(changes.year).toBeCloseTo(-0.5)
  })
})
