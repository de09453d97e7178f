import type { Family } from '@/api'

const FAMILIES = new Set<string>(['tax', 'electricity', 'water', 'gas', 'social_insurance', 'housing_fund'])

const KNOWN = ['profile', 'public_records', 'credit_score', 'registration', 'bank_api_profile', 'bank_portal_profile', 'need_claim'] as const

export type Resource =
  | { kind: 'profile' | 'public_records' | 'credit_score' | 'registration' | 'bank_api_profile' | 'bank_portal_profile' | 'need_claim' | 'other' }
  | { kind: 'series'; family: Family }

/** What was read, from the log's resource code (`profile`, `series:tax`, …). */
export function readResource(resource: string): Resource {
  if (resource.startsWith('series:')) {
    const family = resource.slice('series:'.length)
    return FAMILIES.has(family) ? { kind: 'series', family: family as Family } : { kind: 'other' }
  }
  if ((KNOWN as readonly string[]).includes(resource)) {
    return { kind: resource as (typeof KNOWN)[number] }
  }
  return { kind: 'other' }
}

/** A detail the server writes in a fixed shape, as a message key and its values; null when
 * it has another shape (the page then shows it as written). */
export function readDetail(detail: string): { key: string; values: Record<string, string | number> } | null {
  let m: RegExpExecArray | null
  if ((m = /^version (\d+)$/.exec(detail))) return { key: 'version', values: { n: Number(m[1]) } }
  if ((m = /^(\d+) records?$/.exec(detail))) return { key: 'records', values: { n: Number(m[1]) } }
  if ((m = /^(\d{4}-\d{2})\.\.(\d{4}-\d{2}), (\d+) months?$/.exec(detail))) {
    return { key: 'months', values: { first: m[1], last: m[2], n: Number(m[3]) } }
  }
  if ((m = /^client (\S+); consent [^;]+; snapshot version (\d+); (.+)$/.exec(detail))) {
    return { key: 'bankPull', values: { client: m[1], n: Number(m[2]), families: m[3] } }
  }
  if ((m = /^consent [^;]+; snapshot version (\d+); (.+)$/.exec(detail))) {
    return { key: 'portalPull', values: { n: Number(m[1]), families: m[2] } }
  }
  if ((m = /^model (\S+), snapshot version (\d+)$/.exec(detail))) {
    return { key: 'score', values: { model: m[1], n: Number(m[2]) } }
  }
  return null
}

/** The half of a "中文 English" pair for the locale ("信用监管 credit supervision"); the text as
 * it is when it is not such a pair. */
export function pickLanguage(text: string, locale: string): string {
  const m = /^([\u3000-\u9fff\uff00-\uffef·（）]+)\s+([\x20-\x7e]+)$/.exec(text.trim())
  if (!m) return text
  return locale.startsWith('zh') ? m[1] : m[2]
}
