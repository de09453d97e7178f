import type { PageRoute } from '@/router/types'

export default {
  path: '/sme/needs',
  roles: ['sme'],
  title: 'sme.needs.title',
  menu: { order: 16 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
