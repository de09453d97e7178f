import type { PageRoute } from '@/router/types'

// The credit office only: the API's office endpoints refuse every other role (admin included).
export default {
  path: '/office/registry',
  roles: ['office'],
  title: 'office.registry.title',
  menu: { order: 10 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
