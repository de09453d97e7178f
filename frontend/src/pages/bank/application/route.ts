import type { PageRoute } from '@/router/types'

export default {
  path: '/bank/applications/:id',
  roles: ['bank'],
  title: 'bank.application.title',
  props: true,
  component: () => import('./Page.vue'),
} satisfies PageRoute
