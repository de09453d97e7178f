export type Locale = 'zh-CN' | 'en'
export const LOCALES: readonly Locale[] = ['zh-CN', 'en']
export const DEFAULT_LOCALE: Locale = 'zh-CN'

export interface MessageTree {
  [key: string]: string | MessageTree
}

/** What every messages file exports: the same keys in both languages. */
export type Bilingual = Record<Locale, MessageTree>
