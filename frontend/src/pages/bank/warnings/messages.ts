import type { Bilingual } from '@/i18n/types'

export default {
  'zh-CN': {
    title: '贷后预警',
    intro: '贵行有在贷贷款、且持有企业有效授权的企业出现以下变化时，平台在此提示并发送 loan.warning 事件通知：新增不良公共信用记录、欠税或社保欠费月份、信用等级下降两档及以上。只提示授权覆盖的数据。',
    unreadOnly: '只看未读',
    unreadCount: '未读 {n} 条',
    none: '没有预警。',
    more: '加载更早的预警',
    markRead: '标为已读',
    read: '已读',
    unread: '未读',
    loan: '贷款 {id}',
    raisedAt: '预警于 {date}',
    kinds: {
      public_record: '新增不良记录',
      tax_arrears: '欠税',
      social_insurance_arrears: '社保欠费',
      grade_drop: '信用等级下降',
    },
  },
  en: {
    title: 'Post-loan warnings',
    intro: 'When an enterprise your bank has a live loan to, and a live consent from, shows one of these changes, the platform tells you here and with a loan.warning webhook: a new negative public credit record, a month of tax or social-insurance arrears, a credit grade down two steps or more. Only data the consent covers is used.',
    unreadOnly: 'Unread only',
    unreadCount: '{n} unread',
    none: 'No warnings.',
    more: 'Load older warnings',
    markRead: 'Mark as read',
    read: 'Read',
    unread: 'Unread',
    loan: 'Loan {id}',
    raisedAt: 'Raised {date}',
    kinds: {
      public_record: 'New negative record',
      tax_arrears: 'Tax arrears',
      social_insurance_arrears: 'Social-insurance arrears',
      grade_drop: 'Grade down',
    },
  },
} satisfies Bilingual
