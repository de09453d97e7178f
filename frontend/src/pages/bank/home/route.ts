import type { PageRoute } from '@/router/types'

export default {
  path: '/bank',
  roles: ['bank'],
  title: 'bank.home.title',
  menu: { order: 10 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
