import type { Bilingual } from '@/i18n/types'

export default {
  'zh-CN': {
    title: '贷后预警',
    intro: '本行通过平台发放、尚未结清的贷款，在企业授权本行查看的数据中出现新情况时，平台在这里提示（并以 loan.warning 事件通知推送）：新的不良公共信用记录、欠税或欠缴社保的月份、信用等级下降两级及以上。',
    unread: '未读 {n} 条',
    onlyUnread: '只看未读',
    none: '没有贷后预警。',
    kinds: { public_record: '新的不良记录', tax_arrears: '欠税', social_insurance_arrears: '欠缴社保', grade_drop: '信用等级下降' },
    application: '查看申请和贷款',
    readAt: '已读于 {at}',
    markRead: '标记为已读',
    more: '加载更早的',
  },
  en: {
    title: 'Post-loan warnings',
    intro: 'While a loan your bank made through the platform is live, the platform warns you here (and with a loan.warning webhook) when the data the enterprise lets you see changes for the worse: a new negative public record, a month of tax or social-insurance arrears, a grade two or more steps lower.',
    unread: '{n} unread',
    onlyUnread: 'Unread only',
    none: 'No post-loan warnings.',
    kinds: { public_record: 'New negative record', tax_arrears: 'Tax arrears', social_insurance_arrears: 'Social insurance arrears', grade_drop: 'Grade drop' },
    application: 'The application and loan',
    readAt: 'Read {at}',
    markRead: 'Mark read',
    more: 'Load older',
  },
} satisfies Bilingual
