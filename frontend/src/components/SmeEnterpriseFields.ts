// The enterprise details an SME states (EnterpriseCreate): checks that mirror the server's
// (src/xinyidai/domain/enterprises/codes.py) so mistakes show while typing, and the mapping of
// the server's field errors to the form's fields. Plain TypeScript; the registration and claim
// pages share it through SmeEnterpriseFields.vue.
import type { EnterpriseCreate } from '@/api'
import type { ApiProblem } from '@/api/problem'
import { checkUscc, type UsccResult } from '@/lib/uscc'

type Translate = (key: string, values?: Record<string, unknown>) => string

/** GB/T 4754-2017 sections with the two-digit divisions each spans (as the server has them). */
export const SECTIONS = [
  ['A', 1, 5, '农、林、牧、渔业', 'Agriculture, forestry, animal husbandry and fishery'],
  ['B', 6, 12, '采矿业', 'Mining'],
  ['C', 13, 43, '制造业', 'Manufacturing'],
  ['D', 44, 46, '电力、热力、燃气及水生产和供应业', 'Electricity, heat, gas and water production and supply'],
  ['E', 47, 50, '建筑业', 'Construction'],
  ['F', 51, 52, '批发和零售业', 'Wholesale and retail trade'],
  ['G', 53, 60, '交通运输、仓储和邮政业', 'Transport, storage and postal services'],
  ['H', 61, 62, '住宿和餐饮业', 'Accommodation and catering'],
  ['I', 63, 65, '信息传输、软件和信息技术服务业', 'Information transmission, software and IT services'],
  ['J', 66, 69, '金融业', 'Finance'],
  ['K', 70, 70, '房地产业', 'Real estate'],
  ['L', 71, 72, '租赁和商务服务业', 'Leasing and business services'],
  ['M', 73, 75, '科学研究和技术服务业', 'Scientific research and technical services'],
  ['N', 76, 79, '水利、环境和公共设施管理业', 'Water conservancy, environment and public facilities management'],
  ['O', 80, 82, '居民服务、修理和其他服务业', 'Resident, repair and other services'],
  ['P', 83, 83, '教育', 'Education'],
  ['Q', 84, 85, '卫生和社会工作', 'Health and social work'],
  ['R', 86, 90, '文化、体育和娱乐业', 'Culture, sports and entertainment'],
  ['S', 91, 96, '公共管理、社会保障和社会组织', 'Public administration, social security and social organisations'],
  ['T', 97, 97, '国际组织', 'International organisations'],
] as const

export interface DivisionGroup {
  label: string
  options: { value: string; label: string }[]
}

/** The divisions grouped by section, named in `locale`, for a select. */
export function divisionGroups(locale: string): DivisionGroup[] {
  return SECTIONS.map(([code, first, last, zh, en]) => {
    const name = locale === 'en' ? en : zh
    const options = []
    for (let n = first; n <= last; n += 1) {
      const value = String(n).padStart(2, '0')
      options.push({ value, label: `${value} · ${name}` })
    }
    return { label: `${code} ${name}`, options }
  })
}

/** A six-digit division code with a real province prefix (GB/T 2260), as the server checks. */
export const DISTRICT_RE = /^(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[1-2])\d{4}$/

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const ID_CHECK = '10X98765432'
const ID_RE = /^[1-9]\d{5}(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dX]$/

/** The rule a resident ID number (GB 11643-1999) breaks, as the server names it, or null. */
export function residentIdRule(raw: string): 'id_format' | 'id_check_character' | null {
  const code = raw.trim().toUpperCase()
  if (!ID_RE.test(code)) return 'id_format'
  let total = 0
  for (let i = 0; i < 17; i += 1) total += Number(code[i]) * ID_WEIGHTS[i]
  return code[17] === ID_CHECK[total % 11] ? null : 'id_check_character'
}

/** A USCC check's reason in the current language (`auth.register.uscc.*`); '' when it passed. */
export function usccMessage(result: UsccResult, t: Translate): string {
  if (result.ok) return ''
  switch (result.rule) {
    case 'uscc_length':
      return t('auth.register.uscc.length', { count: result.length })
    case 'uscc_alphabet':
      return t('auth.register.uscc.alphabet', { position: result.position, character: result.character })
    default:
      return t('auth.register.uscc.check', { expected: result.expected, found: result.found })
  }
}

/** While typing: a USCC that is still too short is not yet wrong; anything else is named. */
export function usccWhileTyping(raw: string, t: Translate): string {
  const result = checkUscc(raw)
  if (!result.ok && result.rule === 'uscc_length' && result.length < 18) {
    const early = checkUscc(raw.trim().toUpperCase().padEnd(18, '0'))
    return !early.ok && early.rule === 'uscc_alphabet' ? usccMessage(early, t) : ''
  }
  return usccMessage(result, t)
}

export type EnterpriseField = keyof EnterpriseCreate
export const ENTERPRISE_FIELDS: readonly EnterpriseField[] = [
  'name', 'uscc', 'legal_rep_name', 'legal_rep_id_number', 'registered_capital', 'founded_on', 'industry_division', 'district_code',
]

/** Error codes the server sends that have their own words here (`auth.register.server.*`). */
const KNOWN_CODES = new Set([
  'uscc_verified_elsewhere', 'id_format', 'id_check_character', 'industry_division_format', 'industry_division_unknown',
  'industry_section_mismatch', 'district_format', 'date_range', 'email_format', 'password_weak', 'text_invalid',
])

/** The form field a server error names: `enterprise.uscc` and `uscc` are both the enterprise's
 * USCC; `email`, `password` and `display_name` are the account's. Unknown names give null. */
export function formFieldOf(field: string | null | undefined, accountFields: readonly string[] = []): string | null {
  if (!field) return null
  const name = field.replace(/^\$\.?/, '').replace(/^enterprise\./, '')
  if (accountFields.includes(name)) return name
  return (ENTERPRISE_FIELDS as readonly string[]).includes(name) ? `enterprise.${name}` : null
}

/** The server's field errors by form field, in the current language where the code is known
 * (the form checks a USCC before sending it), and the ones that fit no field. */
export function fieldErrors(
  problem: ApiProblem,
  t: Translate,
  accountFields: readonly string[] = [],
): { byField: Record<string, string>; other: string[] } {
  const byField: Record<string, string> = {}
  const other: string[] = []
  for (const error of problem.errors) {
    const code = (error as { code?: string | null }).code ?? null
    const field = formFieldOf(error.field, accountFields)
    let message = error.message
    if (code && KNOWN_CODES.has(code)) message = t(`auth.register.server.${code}`)
    else if (code?.startsWith('uscc_')) message = t('auth.register.server.uscc_invalid')
    if (field && !byField[field]) byField[field] = message
    else if (!field) other.push(message)
  }
  return { byField, other }
}

/** An empty enterprise for a form. */
export function blankEnterprise(): EnterpriseCreate {
  return {
    name: '', uscc: '', legal_rep_name: '', legal_rep_id_number: '', registered_capital: '', founded_on: '', industry_division: '', district_code: '',
  }
}

/** What is sent: trimmed, the USCC and ID number upper-cased, the capital without separators. */
export function normaliseEnterprise(e: EnterpriseCreate): EnterpriseCreate {
  return {
    name: e.name.trim(),
    uscc: e.uscc.trim().toUpperCase(),
    legal_rep_name: e.legal_rep_name.trim(),
    legal_rep_id_number: e.legal_rep_id_number.trim().toUpperCase(),
    registered_capital: e.registered_capital.trim().replace(/,/g, ''),
    founded_on: e.founded_on,
    industry_division: e.industry_division,
    district_code: e.district_code.trim(),
  }
}
