import type { BankOut, BankUpdate } from '@/api'

/** The fields a bank's own users may change (`PATCH /api/v1/banks/{id}`, `BankUpdate`). */
export const FIELDS = ['contact_name', 'contact_email', 'contact_phone', 'api_base_url'] as const
export type Field = (typeof FIELDS)[number]
export type BankForm = Record<Field, string>

/** The same pattern the server checks a phone number against. */
export const PHONE = /^\+?[0-9][0-9\- ]{4,30}$/

/** The form's starting values: what the bank has now (empty where nothing is set). */
export function formFrom(bank: BankOut): BankForm {
  return Object.fromEntries(FIELDS.map((f) => [f, bank[f] ?? ''])) as BankForm
}

/** What to send: the trimmed fields that differ from the bank's current values. An emptied
 * field is left out (the API cannot clear a value; the form refuses that before it sends). */
export function changesOf(bank: BankOut, form: BankForm): BankUpdate {
  const body: BankUpdate = {}
  for (const field of FIELDS) {
    const value = form[field].trim()
    if (value !== '' && value !== (bank[field] ?? '')) body[field] = value
  }
  return body
}

/** A field that had a value and is now empty: the API keeps values, it does not clear them. */
export function isClearing(bank: BankOut | null, field: Field, value: string): boolean {
  return !!bank?.[field] && value.trim() === ''
}

/** Codes of the server's rules that the page explains in its own words. */
export const KNOWN_CODES = ['email_format', 'phone_format', 'url_invalid', 'text_blank', 'text_bidi'] as const

/** The server's field errors by form field: the message key for a known rule's code (under
 * `bank.home.codes.`), else the server's own message. Errors about other fields are ignored. */
export function fieldErrors(errors: ReadonlyArray<{ field?: string | null; message: string; code?: string | null }>): Partial<Record<Field, { code: string | null; message: string }>> {
  const result: Partial<Record<Field, { code: string | null; message: string }>> = {}
  for (const error of errors) {
    const field = (error.field ?? '').replace(/^\$\./, '') as Field
    if (!FIELDS.includes(field) || result[field]) continue
    const code = error.code && (KNOWN_CODES as readonly string[]).includes(error.code) ? error.code : null
    result[field] = { code, message: error.message }
  }
  return result
}
