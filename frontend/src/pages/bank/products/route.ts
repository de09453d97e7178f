import type { PageRoute } from '@/router/types'

export default {
  path: '/bank/products',
  roles: ['bank'],
  title: 'bank.products.title',
  menu: { order: 15 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
