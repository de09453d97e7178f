import type { Bilingual } from '@/i18n/types'

export default {
  'zh-CN': { title: '企业名录' },
  en: { title: 'SME registry' },
} satisfies Bilingual
