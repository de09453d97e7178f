import type { Bilingual } from '@/i18n/types'

export default {
  'zh-CN': {
    title: '待办提醒',
    intro: '需要信用办处理或督办的事项：超过 20 天未答复的异议、逾期的评分人工复核、投递失败的申请、超过承诺时间未答复申请的银行，以及风险补偿资金池接近年度上限。每项列出数量，点击前往处理页面。',
    none: '暂无提醒。',
    open: '{n} 项待处理',
    clear: '全部已处理',
    act: '去处理',
    severity: { ok: '正常', info: '提示', warning: '注意', critical: '紧急' },
    navBadge: '{n} 项待处理提醒',
  },
  en: {
    title: 'Alerts',
    intro: 'What the credit office must handle or chase: disputes unanswered after 20 days, score reviews past due, applications whose delivery was given up, banks with applications past their committed response time, and the risk-compensation pool near its yearly cap. Each shows its count; open one to act on it.',
    none: 'No alerts.',
    open: '{n} open',
    clear: 'All clear',
    act: 'Act on it',
    severity: { ok: 'Clear', info: 'Info', warning: 'Warning', critical: 'Urgent' },
    navBadge: '{n} open alerts',
  },
} satisfies Bilingual
