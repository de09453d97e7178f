import type { PageRoute } from '@/router/types'

export default {
  path: '/office/imports',
  roles: ['office'],
  title: 'office.imports.title',
  menu: { order: 20 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
