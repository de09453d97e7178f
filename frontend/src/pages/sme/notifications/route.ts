import type { PageRoute } from '@/router/types'

export default {
  path: '/sme/notifications',
  roles: ['sme'],
  title: 'sme.notifications.title',
  menu: { order: 12 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
