import type { PageRoute } from '@/router/types'

export default {
  path: '/admin/clients',
  roles: ['admin'],
  title: 'admin.clients.title',
  menu: { order: 20 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
