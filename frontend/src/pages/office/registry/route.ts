import type { PageRoute } from '@/router/types'

export default {
  path: '/office',
  roles: ['office'],
  title: 'office.registry.title',
  menu: { order: 10 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
