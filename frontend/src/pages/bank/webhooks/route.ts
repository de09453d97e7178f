import type { PageRoute } from '@/router/types'

export default {
  path: '/bank/webhooks',
  roles: ['bank'],
  title: 'bank.webhooks.title',
  menu: { order: 30 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
