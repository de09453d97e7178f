import type { PageRoute } from '@/router/types'

// Where the platform's authorisation endpoint sends the SME's browser from a bank's site.
export default {
  path: '/sme/oauth-consent/:id',
  roles: ['sme'],
  title: 'sme.oauthConsent.title',
  component: () => import('./Page.vue'),
  props: true,
} satisfies PageRoute
