import type { PageRoute } from '@/router/types'

export default {
  path: '/sme/applications/:id',
  roles: ['sme'],
  title: 'sme.application.title',
  props: true,
  component: () => import('./Page.vue'),
} satisfies PageRoute
