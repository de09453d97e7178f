import type { PageRoute } from '@/router/types'

// Where the identity service sends the browser back (Settings.identity_redirect_uri); not in the menu.
export default {
  path: '/sme/claim/callback',
  roles: ['sme'],
  title: 'sme.claimCallback.title',
  verified: false,
  component: () => import('./Page.vue'),
} satisfies PageRoute
