import type { PageRoute } from '@/router/types'

export default {
  path: '/bank/intake',
  roles: ['bank'],
  title: 'bank.intake.title',
  menu: { order: 32 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
