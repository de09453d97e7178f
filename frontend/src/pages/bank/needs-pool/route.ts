import type { PageRoute } from '@/router/types'

export default {
  path: '/bank/needs-pool',
  roles: ['bank'],
  title: 'bank.needsPool.title',
  menu: { order: 16 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
