import { describe, expect, it } from 'vitest'
import type { DriftOut } from '@/api'
import { COLOR_FLAGGED, COLOR_OK, chartOption, driftBars, isFlagged, metricColumns, metricRows } from './drift'

const drift = (over: Partial<DriftOut> = {}): DriftOut => ({
  model_version: 'v1', since: '2026-11-04T00:00:00Z', until: '2026-12-04T00:00:00Z', window_days: 30, threshold: 0.25,
  reference_size: 9000, sample_size: 200, flagged: true,
  score: { name: 'score', psi: 0.12, flagged: false, bins: [] },
  features: [
    { name: 'tax_grade', psi: 0.1, flagged: false, bins: [] },
    { name: 'sales_12m_log', psi: 0.61, flagged: true, bins: [] },
    { name: 'age_years', psi: null, flagged: false, bins: [] },
    { name: 'sales_growth_yoy', psi: 0.25, flagged: false, bins: [] },
  ],
  ...over,
})

describe('PSI flagging', () => {
  it('flags a PSI above the threshold, not at it, and never a missing one', () => {
    expect(isFlagged(0.26, 0.25)).toBe(true)
    expect(isFlagged(0.25, 0.25)).toBe(false)
    expect(isFlagged(null, 0.25)).toBe(false)
    expect(isFlagged(0.1, 0.25, true)).toBe(true)
  })

  it('puts the score first and the features by PSI, highest first', () => {
    expect(driftBars(drift()).map((b) => [b.name, b.flagged])).toEqual([
      ['score', false], ['sales_12m_log', true], ['sales_growth_yoy', false], ['tax_grade', false], ['age_years', false],
    ])
  })

  it('uses the threshold the server sends', () => {
    const bars = driftBars(drift({ threshold: 0.1 }))
    expect(bars.find((b) => b.name === 'score')!.flagged).toBe(true)
    expect(bars.find((b) => b.name === 'tax_grade')!.flagged).toBe(false)
  })
})

describe('drift chart', () => {
  const text = { label: (b: { name: string }) => b.name, flaggedMark: 'above', threshold: 'limit', value: (n: number) => n.toFixed(2), axis: 'PSI' }

  it('colours and marks flagged bars, and draws the threshold line', () => {
    const option = chartOption(driftBars(drift()), 0.25, text)
    const series = option.series[0]!
    // drawn bottom-up: the last row is the first bar (the score)
    expect(option.yAxis.data).toEqual(['age_years', 'tax_grade', 'sales_growth_yoy', 'sales_12m_log', 'score'])
    const flagged = series.data[3]!
    expect(flagged.itemStyle.color).toBe(COLOR_FLAGGED)
    expect(flagged.label.formatter).toBe('0.61 ▲ above')
    expect(series.data[4]!.itemStyle.color).toBe(COLOR_OK)
    expect(series.data[0]!.label.formatter).toBe('—')
    expect(series.markLine.data).toEqual([{ xAxis: 0.25 }])
    expect(option.xAxis.max).toBeGreaterThanOrEqual(0.61)
  })

  it('keeps the marker but drops its words on a narrow screen', () => {
    const option = chartOption(driftBars(drift()), 0.25, text, true)
    expect(option.series[0]!.data[3]!.label.formatter).toBe('0.61 ▲')
  })
})

describe('model metrics', () => {
  it('keeps the numeric metrics of each split, train, validation and out-of-time in that order', () => {
    const rows = metricRows({ oot: { auc: 0.88, ks: 0.67 }, train: { auc: 0.89, note: 'x' }, bad: 3, extra: { zz: 1 } })
    expect(rows.map((r) => r.split)).toEqual(['train', 'oot', 'extra'])
    expect(rows[0]!.values).toEqual({ auc: 0.89 })
    expect(metricColumns(rows)).toEqual(['auc', 'ks', 'zz'])
  })
})
