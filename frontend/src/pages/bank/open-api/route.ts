import type { PageRoute } from '@/router/types'

export default {
  path: '/bank/open-api',
  roles: ['bank'],
  title: 'bank.openApi.title',
  menu: { order: 20 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
