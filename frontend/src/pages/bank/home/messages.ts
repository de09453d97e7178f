import type { Bilingual } from '@/i18n/types'

export default {
  'zh-CN': { title: '本行信息' },
  en: { title: 'Our bank' },
} satisfies Bilingual
