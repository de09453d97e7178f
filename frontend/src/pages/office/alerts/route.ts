import type { PageRoute } from '@/router/types'

export default {
  path: '/office/alerts',
  roles: ['office'],
  title: 'office.alerts.title',
  menu: { order: 8 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
