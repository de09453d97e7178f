import type { PageRoute } from '@/router/types'

export default {
  path: '/office/verification-alerts',
  roles: ['office'],
  title: 'office.verificationAlerts.title',
  menu: { order: 60 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
