import type { PageRoute } from '@/router/types'

export default {
  path: '/admin',
  roles: ['admin'],
  title: 'admin.home.title',
  menu: { order: 10 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
