import type { PageRoute } from '@/router/types'

export default {
  path: '/sme/claim',
  roles: ['sme'],
  title: 'sme.claim.title',
  menu: { order: 5 },
  verified: false,
  component: () => import('./Page.vue'),
} satisfies PageRoute
