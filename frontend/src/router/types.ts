import type { Component } from 'vue'
import type { Role } from '@/api'

/** What a page folder's route.ts exports (see frontend/README.md). */
export interface PageRoute {
  /** The URL, e.g. `/sme/records`; may hold params (`/office/imports/:id`). */
  path: string
  /** Route name; defaults to `<role>.<page>` from the folder. */
  name?: string
  /** Who may open it; `public` pages need no session. */
  roles: Role[] | 'public'
  /** i18n key of the page title (browser tab and menu). */
  title: string
  /** Shown in the side menu when set; lower `order` first. */
  menu?: { order: number }
  /** SME pages need a verified enterprise unless this is false (the claim page). */
  verified?: boolean
  /** Public pages that a logged-in user should not see (login, registration). */
  guestOnly?: boolean
  component: () => Promise<Component | { default: Component }>
  props?: boolean
}

declare module 'vue-router' {
  interface RouteMeta {
    roles: Role[] | 'public'
    title: string
    menu?: { order: number }
    verified?: boolean
    guestOnly?: boolean
  }
}
