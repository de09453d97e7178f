import type { PageRoute } from '@/router/types'

export default {
  path: '/sme/applications',
  roles: ['sme'],
  title: 'sme.applications.title',
  menu: { order: 17 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
