import type { PageRoute } from '@/router/types'

export default {
  path: '/bank/users',
  roles: ['bank'],
  title: 'bank.users.title',
  menu: { order: 90 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
