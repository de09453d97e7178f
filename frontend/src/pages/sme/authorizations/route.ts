import type { PageRoute } from '@/router/types'

export default {
  path: '/sme/authorizations',
  roles: ['sme'],
  title: 'sme.authorizations.title',
  menu: { order: 20 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
