import type { PageRoute } from '@/router/types'

export default {
  path: '/bank/products/edit/:id?',
  roles: ['bank'],
  title: 'bank.productEdit.title',
  props: true,
  component: () => import('./Page.vue'),
} satisfies PageRoute
