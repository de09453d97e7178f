import type { Bilingual } from '@/i18n/types'

export default {
  'zh-CN': {
    title: '贷款申请',
    intro: '企业向本行提交的贷款申请，最新的在前。打开一份申请可查看企业授权本行查看的信用信息，并作出审批决定。',
    status: '状态',
    all: '全部',
    none: '没有符合条件的申请。',
    enterprise: '企业',
    product: '产品',
    amount: '金额 / 期限',
    grade: '信用等级',
    submittedAt: '提交时间',
  },
  en: {
    title: 'Loan applications',
    intro: 'Applications enterprises have sent to your bank, newest first. Open one to read the credit information the enterprise lets you see and to decide.',
    status: 'Status',
    all: 'All',
    none: 'No applications match.',
    enterprise: 'Enterprise',
    product: 'Product',
    amount: 'Amount / term',
    grade: 'Grade',
    submittedAt: 'Submitted',
  },
} satisfies Bilingual
