import type { PageRoute } from '@/router/types'

export default {
  path: '/office/service-levels',
  roles: ['office'],
  title: 'office.serviceLevels.title',
  menu: { order: 36 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
