import type { Bilingual } from '@/i18n/types'

export default {
  'zh-CN': {
    title: '贷款申请',
    back: '← 全部申请',
    submitted: '申请已提交，平台正在送达银行。',
    withdraw: '撤回申请',
    withdrawTitle: '撤回这份申请？',
    withdrawExplain: '撤回后银行不会再审批这份申请；您给银行的查看授权可在“银行授权”页面撤回。',
    withdrawConfirm: '撤回',
    withdrawn: '申请已撤回。',
  },
  en: {
    title: 'Loan application',
    back: '← All applications',
    submitted: 'Your application is submitted; the platform is delivering it to the bank.',
    withdraw: 'Withdraw the application',
    withdrawTitle: 'Withdraw this application?',
    withdrawExplain: 'The bank will no longer decide on it. Your consent to the bank can be revoked on the bank consents page.',
    withdrawConfirm: 'Withdraw',
    withdrawn: 'The application is withdrawn.',
  },
} satisfies Bilingual
