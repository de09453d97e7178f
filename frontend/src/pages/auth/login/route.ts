import type { PageRoute } from '@/router/types'

export default {
  path: '/login',
  name: 'auth.login',
  roles: 'public',
  guestOnly: true,
  title: 'auth.login.title',
  component: () => import('./Page.vue'),
} satisfies PageRoute
