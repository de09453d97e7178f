import type { PageRoute } from '@/router/types'

export default {
  path: '/bank/pool',
  roles: ['bank'],
  title: 'bank.pool.title',
  menu: { order: 14.5 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
