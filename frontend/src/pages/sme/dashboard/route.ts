import type { PageRoute } from '@/router/types'

export default {
  path: '/sme',
  roles: ['sme'],
  title: 'sme.dashboard.title',
  menu: { order: 10 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
