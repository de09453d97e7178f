import type { PageRoute } from '@/router/types'

export default {
  path: '/office/pool',
  roles: ['office'],
  title: 'office.pool.title',
  menu: { order: 37 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
