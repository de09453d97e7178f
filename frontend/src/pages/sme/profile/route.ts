import type { PageRoute } from '@/router/types'

export default {
  path: '/sme/profile',
  roles: ['sme'],
  title: 'sme.profile.title',
  menu: { order: 30 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
