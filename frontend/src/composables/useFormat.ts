import { computed } from 'vue'
import { useI18n } from 'vue-i18n'

type Numeric = number | string | null | undefined

function toNumber(value: Numeric): number | null {
  if (value === null || value === undefined || value === '') return null
  const n = typeof value === 'number' ? value : Number(value)
  return Number.isFinite(n) ? n : null
}

/** Formatters for the current locale: money in yuan with thousands separators, counts,
 * percentages, dates and times. Missing values print as an em dash. */
export function formatters(locale: string) {
  const dash = '—'
  const money = new Intl.NumberFormat(locale, { style: 'currency', currency: 'CNY', minimumFractionDigits: 2 })
  const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 })
  const decimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 })
  const date = new Intl.DateTimeFormat(locale, { year: 'numeric', month: '2-digit', day: '2-digit' })
  const dateTime = new Intl.DateTimeFormat(locale, {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
  })
  const month = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'long' })
  const asDate = (value: string | Date | null | undefined): Date | null => {
    if (!value) return null
    const d = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00`) : new Date(value)
    return Number.isNaN(d.getTime()) ? null : d
  }
  return {
    money: (v: Numeric) => { const n = toNumber(v); return n === null ? dash : money.format(n) },
    integer: (v: Numeric) => { const n = toNumber(v); return n === null ? dash : integer.format(n) },
    number: (v: Numeric) => { const n = toNumber(v); return n === null ? dash : decimal.format(n) },
    /** A fraction (0.0345) as a percentage with `digits` decimals. */
    percent: (v: Numeric, digits = 2) => {
      const n = toNumber(v)
      return n === null ? dash : new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n)
    },
    date: (v: string | Date | null | undefined) => { const d = asDate(v); return d ? date.format(d) : dash },
    dateTime: (v: string | Date | null | undefined) => { const d = asDate(v); return d ? dateTime.format(d) : dash },
    /** `2025-03` → 2025年3月 / March 2025 */
    month: (v: string | null | undefined) => { const d = v ? asDate(`${v.slice(0, 7)}-01`) : null; return d ? month.format(d) : dash },
  }
}

export type Formatters = ReturnType<typeof formatters>

export function useFormat() {
  const { locale } = useI18n()
  const current = computed(() => formatters(locale.value))
  return new Proxy({} as Formatters, { get: (_, key: keyof Formatters) => current.value[key] })
}
