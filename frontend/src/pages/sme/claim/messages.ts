import type { Bilingual } from '@/i18n/types'

export default {
  'zh-CN': { title: '企业认证' },
  en: { title: 'Verify your enterprise' },
} satisfies Bilingual
