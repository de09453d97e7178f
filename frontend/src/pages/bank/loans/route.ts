import type { PageRoute } from '@/router/types'

export default {
  path: '/bank/loans',
  roles: ['bank'],
  title: 'bank.loans.title',
  menu: { order: 13 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
