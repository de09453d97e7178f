import type { PageRoute } from '@/router/types'

export default {
  path: '/sme/bank-consents',
  roles: ['sme'],
  title: 'sme.bankConsents.title',
  menu: { order: 25 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
