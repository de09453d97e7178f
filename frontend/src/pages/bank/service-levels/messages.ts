import type { Bilingual } from '@/i18n/types'

export default {
  'zh-CN': {
    title: '服务时效',
    intro: '本行对申请的承诺答复时间与实际答复时间对比（信用办看到的是同样的数字）。实际时间从企业提交到本行作出决定，按工作日（周一至周五，北京时间）计算；承诺时间按期间内提交的申请统计，实际时间按期间内作出的决定统计。',
    period: '统计期间',
    from: '开始日期',
    to: '结束日期',
    overdueTitle: '超过承诺时间仍未答复的申请（{n} 件）',
    overdueNone: '没有超过承诺时间仍未答复的申请。',
  },
  en: {
    title: 'Service levels',
    intro: 'Your bank’s committed response time on applications against its actual one (the credit office sees the same figures). Actual time runs from the SME’s submission to your decision, in working days (Monday to Friday, China time); commitments count the applications submitted in the period, actual times the decisions made in it.',
    period: 'Period',
    from: 'From',
    to: 'To',
    overdueTitle: 'Applications waiting past your commitment ({n})',
    overdueNone: 'No application waits past your commitment.',
  },
} satisfies Bilingual
