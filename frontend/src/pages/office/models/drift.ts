// The drift panel's data: one bar per feature (and one for the score), flagged above the
// threshold, and the ECharts option that draws them.
import type { DriftOut } from '@/api'

export const DEFAULT_THRESHOLD = 0.25
export const COLOR_OK = '#1d5fa8'
export const COLOR_FLAGGED = '#c0282d'

export interface DriftBar {
  name: string
  psi: number | null
  flagged: boolean
  isScore: boolean
}

/** Above the threshold is flagged (the server's flag counts too); no PSI is never flagged. */
export function isFlagged(psi: number | null, threshold: number, serverFlag = false): boolean {
  return serverFlag || (psi !== null && psi > threshold)
}

/** The score first, then the features by PSI, highest first (no PSI last). */
export function driftBars(drift: DriftOut): DriftBar[] {
  const threshold = drift.threshold ?? DEFAULT_THRESHOLD
  const features = drift.features
    .map((f) => ({ name: f.name, psi: f.psi, flagged: isFlagged(f.psi, threshold, f.flagged), isScore: false }))
    .sort((a, b) => (b.psi ?? -1) - (a.psi ?? -1))
  return [{ name: drift.score.name, psi: drift.score.psi, flagged: isFlagged(drift.score.psi, threshold, drift.score.flagged), isScore: true }, ...features]
}

export interface ChartText {
  label: (bar: DriftBar) => string
  flaggedMark: string
  threshold: string
  value: (psi: number) => string
  axis: string
}

/** A horizontal bar chart: flagged bars in another colour with a text marker beside the
 * value, and a dashed reference line at the threshold. The first bar is drawn at the top. */
export function chartOption(bars: DriftBar[], threshold: number, text: ChartText, narrow = false) {
  const rows = [...bars].reverse()
  const max = Math.max(threshold * 1.6, ...rows.map((b) => b.psi ?? 0))
  return {
    aria: { enabled: true },
    animation: false,
    grid: { left: 4, right: narrow ? 56 : 120, top: 28, bottom: 28, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', name: text.axis, nameLocation: 'middle', nameGap: 22, max: Math.ceil(max * 20) / 20, splitNumber: narrow ? 2 : 5 },
    yAxis: { type: 'category', data: rows.map(text.label), axisLabel: { width: narrow ? 96 : 150, overflow: 'break', fontSize: narrow ? 11 : 12 } },
    series: [{
      type: 'bar',
      barMaxWidth: 22,
      data: rows.map((b) => ({
        value: b.psi ?? 0,
        itemStyle: { color: b.flagged ? COLOR_FLAGGED : COLOR_OK },
        label: {
          show: true,
          position: 'right',
          formatter: b.psi === null ? '—' : b.flagged ? (narrow ? `${text.value(b.psi)} ▲` : `${text.value(b.psi)} ▲ ${text.flaggedMark}`) : text.value(b.psi),
          color: b.flagged ? COLOR_FLAGGED : '#1f2d3d',
          fontWeight: b.flagged ? 'bold' : 'normal',
        },
      })),
      markLine: {
        symbol: 'none',
        silent: true,
        lineStyle: { color: '#8a4b00', type: 'dashed', width: 2 },
        label: { formatter: `${text.threshold} ${text.value(threshold)}`, color: '#8a4b00', position: 'end' },
        data: [{ xAxis: threshold }],
      },
    }],
  }
}

/** Model metrics by split (`train`, `validation`, `oot`…), numbers only, in a stable order. */
export const SPLIT_ORDER = ['train', 'validation', 'oot']
export const METRIC_ORDER = ['auc', 'ks', 'gini', 'brier', 'bayes_auc', 'loans', 'defaults', 'default_rate']

export interface MetricRow {
  split: string
  values: Record<string, number>
}

export function metricRows(metrics: Record<string, unknown>): MetricRow[] {
  const rows: MetricRow[] = []
  for (const [split, raw] of Object.entries(metrics)) {
    if (!raw || typeof raw !== 'object') continue
    const values: Record<string, number> = {}
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) if (typeof v === 'number' && Number.isFinite(v)) values[k] = v
    if (Object.keys(values).length) rows.push({ split, values })
  }
  const rank = (s: string) => (SPLIT_ORDER.includes(s) ? SPLIT_ORDER.indexOf(s) : SPLIT_ORDER.length)
  return rows.sort((a, b) => rank(a.split) - rank(b.split) || a.split.localeCompare(b.split))
}

/** The metric columns present in any row, known ones first. */
export function metricColumns(rows: MetricRow[]): string[] {
  const present = new Set(rows.flatMap((r) => Object.keys(r.values)))
  const known = METRIC_ORDER.filter((m) => present.has(m))
  return [...known, ...[...present].filter((m) => !METRIC_ORDER.includes(m)).sort()]
}
