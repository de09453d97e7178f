import type { Bilingual } from '@/i18n/types'

export default {
  'zh-CN': {
    title: '消息通知',
    unread: '{n} 条未读',
    none: '暂无消息。当您的企业新符合某个贷款产品的条件时，平台会在这里通知您。',
    readAll: '全部标为已读',
    markRead: '标为已读',
    readAt: '已读于 {at}',
    seeMatches: '查看产品匹配',
    more: '加载更早的消息',
  },
  en: {
    title: 'Notifications',
    unread: '{n} unread',
    none: 'No notifications yet. When your enterprise comes to qualify for a loan product, the platform tells you here.',
    readAll: 'Mark all read',
    markRead: 'Mark read',
    readAt: 'Read {at}',
    seeMatches: 'See your matches',
    more: 'Load older notifications',
  },
} satisfies Bilingual
