import type { Bilingual } from '@/i18n/types'

export default {
  'zh-CN': {
    title: '我的贷款申请',
    intro: '您向银行提交的每一份贷款申请、办理到哪一步、银行的决定和贷款情况。',
    none: '您还没有提交过贷款申请。',
    product: '产品 / 银行',
    amount: '金额 / 期限',
    submittedAt: '提交时间',
    toMatches: '查看产品匹配，选择产品申请 →',
  },
  en: {
    title: 'My loan applications',
    intro: 'Every loan application you have sent to a bank: where it stands, the bank’s decision and the loan.',
    none: 'You have not applied for a loan yet.',
    product: 'Product / bank',
    amount: 'Amount / term',
    submittedAt: 'Submitted',
    toMatches: 'See your product matches and apply →',
  },
} satisfies Bilingual
