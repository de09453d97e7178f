import type { PageRoute } from '@/router/types'

export default {
  path: '/products',
  roles: 'public',
  title: 'public.catalogue.title',
  component: () => import('./Page.vue'),
} satisfies PageRoute
