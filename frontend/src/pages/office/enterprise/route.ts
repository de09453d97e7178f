import type { PageRoute } from '@/router/types'

export default {
  path: '/office/enterprises/:id',
  roles: ['office'],
  title: 'office.enterprise.title',
  component: () => import('./Page.vue'),
  props: true,
} satisfies PageRoute
