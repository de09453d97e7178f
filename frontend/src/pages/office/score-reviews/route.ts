import type { PageRoute } from '@/router/types'

export default {
  path: '/office/score-reviews',
  roles: ['office'],
  title: 'office.scoreReviews.title',
  menu: { order: 40 },
  component: () => import('./Page.vue'),
} satisfies PageRoute
