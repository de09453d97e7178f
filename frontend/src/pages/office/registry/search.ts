// The registry search's form ⇄ the URL's query ⇄ the API's query parameters, so a search can
// be bookmarked and survives going to an enterprise and back.
import type { LocationQuery } from 'vue-router'

export const PAGE_SIZE = 20
export const SECTION_CODES = 'ABCDEFGHIJKLMNOPQRST'.split('')
/** Guangzhou's districts (GB/T 2260), the demo city's. Other six-digit codes may be typed. */
export const DISTRICT_CODES = ['440103', '440104', '440105', '440106', '440111', '440112', '440113', '440114', '440115', '440117', '440118']

export interface SearchForm {
  q: string
  district: string
  section: string
}

export interface SearchState extends SearchForm {
  page: number
}

export interface ApiQuery {
  q?: string
  district?: string
  section?: string
  limit: number
  offset: number
}

const one = (value: unknown): string => (Array.isArray(value) ? String(value[0] ?? '') : typeof value === 'string' ? value : '')

/** The search a URL describes; anything unreadable is dropped rather than sent. */
export function stateFromQuery(query: LocationQuery): SearchState {
  const district = one(query.district).trim()
  const section = one(query.section).trim().toUpperCase()
  const page = Number.parseInt(one(query.page), 10)
  return {
    q: one(query.q).trim().slice(0, 100),
    district: /^\d{6}$/.test(district) ? district : '',
    section: SECTION_CODES.includes(section) ? section : '',
    page: Number.isFinite(page) && page >= 1 ? page : 1,
  }
}

/** The URL query for a search (empty fields left out, page 1 implied). */
export function queryFromState(state: SearchState): Record<string, string> {
  const query: Record<string, string> = {}
  if (state.q.trim()) query.q = state.q.trim()
  if (state.district) query.district = state.district
  if (state.section) query.section = state.section
  if (state.page > 1) query.page = String(state.page)
  return query
}

/** The parameters of `GET /api/v1/enterprises` for a search. */
export function apiQuery(state: SearchState, pageSize = PAGE_SIZE): ApiQuery {
  const query: ApiQuery = { limit: pageSize, offset: (state.page - 1) * pageSize }
  if (state.q.trim()) query.q = state.q.trim()
  if (state.district) query.district = state.district
  if (state.section) query.section = state.section
  return query
}

/** Whether a district field's value can be searched (empty, or six digits). */
export function validDistrict(value: string): boolean {
  return value === '' || /^\d{6}$/.test(value.trim())
}
