import type { PageRoute } from '@/router/types'

export default {
  path: '/office/models',
  roles: ['office'],
  title: 'office.models.title',
  menu: { order: 50 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
