import { describe, expect, it } from 'vitest'
import { formatters } from './useFormat'

describe('formatting', () => {
  it('prints yuan with thousands separators in both languages', () => {
    expect(formatters('zh-CN').money('1234567.5')).toBe('¥1,234,567.50')
    expect(formatters('en').money(1234567.5)).toMatch(/^CN¥1,234,567\.50$/)
  })

  it('prints percentages, dates and months per locale', () => {
    expect(formatters('en').percent(0.0345)).toBe('3.45%')
    expect(formatters('zh-CN').date('2026-03-05')).toBe('2026/03/05')
    expect(formatters('en').month('2026-03')).toBe('March 2026')
    expect(formatters('zh-CN').month('2026-03-01')).toBe('2026年3月')
  })

  it('prints a dash for missing or unreadable values', () => {
    const f = formatters('en')
    expect(f.money(null)).toBe('—')
    expect(f.number('abc')).toBe('—')
    expect(f.date('not a date')).toBe('—')
  })
})
