import type { PageRoute } from '@/router/types'

export default {
  path: '/bank/service-levels',
  roles: ['bank'],
  title: 'bank.serviceLevels.title',
  menu: { order: 18 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
