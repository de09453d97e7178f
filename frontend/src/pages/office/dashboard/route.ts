import type { PageRoute } from '@/router/types'

// The credit office's landing page (the API's office endpoints refuse every other role).
export default {
  path: '/office',
  roles: ['office'],
  title: 'office.dashboard.title',
  menu: { order: 5 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
