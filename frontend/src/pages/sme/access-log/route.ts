import type { PageRoute } from '@/router/types'

export default {
  path: '/sme/access-log',
  roles: ['sme'],
  title: 'sme.accessLog.title',
  menu: { order: 50 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
