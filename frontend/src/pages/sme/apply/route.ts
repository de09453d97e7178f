import type { PageRoute } from '@/router/types'

export default {
  path: '/sme/apply/:productId',
  roles: ['sme'],
  title: 'sme.apply.title',
  props: true,
  component: () => import('./Page.vue'),
} satisfies PageRoute
