import type { PageRoute } from '@/router/types'

export default {
  path: '/bank/applications',
  roles: ['bank'],
  title: 'bank.applications.title',
  menu: { order: 12 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
