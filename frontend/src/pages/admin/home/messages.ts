import type { Bilingual } from '@/i18n/types'

export default {
  'zh-CN': {
    title: '平台概览',
    banks: '平台上的银行',
    name: '名称',
    code: '代码',
    tools: '运维入口',
    cli: '银行、银行用户、信用办用户和模型由命令行管理（见 README）。',
  },
  en: {
    title: 'Platform overview',
    banks: 'Banks on the platform',
    name: 'Name',
    code: 'Code',
    tools: 'Operations',
    cli: 'Banks, bank and office users and models are managed from the command line (see the README).',
  },
} satisfies Bilingual
