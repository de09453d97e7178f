import { createI18n } from 'vue-i18n'
import { collectMessages } from './collect'
import shell from './shell'
import type { Bilingual, Locale } from './types'
import { DEFAULT_LOCALE, LOCALES } from './types'

export type { Locale } from './types'
export { LOCALES } from './types'

const STORAGE_KEY = 'xyd.locale'

// Every page folder's messages.ts, merged under `<role>.<page>` (see frontend/README.md).
const pages = import.meta.glob<Bilingual>('../pages/*/*/messages.ts', { eager: true, import: 'default' })
export const messages = collectMessages(shell, pages)

function initialLocale(): Locale {
  const stored = typeof localStorage === 'undefined' ? null : localStorage.getItem(STORAGE_KEY)
  return LOCALES.includes(stored as Locale) ? (stored as Locale) : DEFAULT_LOCALE
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: DEFAULT_LOCALE,
  messages,
  missingWarn: false,
  fallbackWarn: false,
})

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  localStorage.setItem(STORAGE_KEY, locale)
  document.documentElement.lang = locale
}
