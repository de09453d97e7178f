import type { PageRoute } from '@/router/types'

export default {
  path: '/office/deliveries',
  roles: ['office'],
  title: 'office.deliveries.title',
  menu: { order: 35 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
