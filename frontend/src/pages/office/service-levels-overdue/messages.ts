import type { Bilingual } from '@/i18n/types'

export default {
  'zh-CN': {
    title: '超时待答复的申请',
    intro: '已超过银行承诺答复时间、银行仍未作出决定的申请（企业撤回的不计）。超时时长按工作日计算，默认超时最久的在前。',
    bank: '银行',
    allBanks: '全部银行',
    none: '没有超过承诺时间仍未答复的申请。',
    back: '返回银行服务时效',
  },
  en: {
    title: 'Applications waiting past commitment',
    intro: 'Applications whose bank has not decided within the response time it committed to (withdrawn ones excluded). Overdue time is in working days; the longest overdue come first.',
    bank: 'Bank',
    allBanks: 'All banks',
    none: 'No application waits past its bank’s commitment.',
    back: 'Back to bank service levels',
  },
} satisfies Bilingual
