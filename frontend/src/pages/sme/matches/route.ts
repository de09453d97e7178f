import type { PageRoute } from '@/router/types'

export default {
  path: '/sme/matches',
  roles: ['sme'],
  title: 'sme.matches.title',
  menu: { order: 15 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
