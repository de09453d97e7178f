import type { PageRoute } from '@/router/types'

export default {
  path: '/bank/warnings',
  roles: ['bank'],
  title: 'bank.warnings.title',
  menu: { order: 14 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
