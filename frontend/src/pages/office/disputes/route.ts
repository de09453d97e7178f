import type { PageRoute } from '@/router/types'

export default {
  path: '/office/disputes',
  roles: ['office'],
  title: 'office.disputes.title',
  menu: { order: 30 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
