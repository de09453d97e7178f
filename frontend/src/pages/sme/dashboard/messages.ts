import type { Bilingual } from '@/i18n/types'

export default {
  'zh-CN': { title: '我的信用' },
  en: { title: 'My credit' },
} satisfies Bilingual
