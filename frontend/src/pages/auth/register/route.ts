import type { PageRoute } from '@/router/types'

export default {
  path: '/register',
  name: 'auth.register',
  roles: 'public',
  guestOnly: true,
  title: 'auth.register.title',
  component: () => import('./Page.vue'),
} satisfies PageRoute
