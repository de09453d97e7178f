import type { PageRoute } from '@/router/types'

export default {
  path: '/bank/claims',
  roles: ['bank'],
  title: 'bank.claims.title',
  menu: { order: 17 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
