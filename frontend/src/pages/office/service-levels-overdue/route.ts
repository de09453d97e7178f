import type { PageRoute } from '@/router/types'

export default {
  path: '/office/service-levels/overdue',
  roles: ['office'],
  title: 'office.serviceLevelsOverdue.title',
  component: () => import('./Page.vue'),
} satisfies PageRoute
