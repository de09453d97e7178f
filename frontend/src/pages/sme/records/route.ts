import type { PageRoute } from '@/router/types'

export default {
  path: '/sme/records',
  roles: ['sme'],
  title: 'sme.records.title',
  menu: { order: 40 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
