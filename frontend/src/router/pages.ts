import type { RouteRecordRaw } from 'vue-router'
import type { PageRoute } from './types'

/** Turn page folders' route.ts exports into router records. */
export function pageRecords(modules: Record<string, PageRoute>): RouteRecordRaw[] {
  return Object.entries(modules).map(([file, page]) => {
    const match = /pages\/([^/]+)\/([^/]+)\/route\.ts$/.exec(file)
    if (!match) throw new Error(`not a page route: ${file}`)
    return {
      path: page.path,
      name: page.name ?? `${match[1]}.${match[2]}`,
      component: page.component,
      props: page.props ?? false,
      meta: {
        roles: page.roles,
        title: page.title,
        menu: page.menu,
        verified: page.verified,
        guestOnly: page.guestOnly,
      },
    }
  })
}

export interface MenuEntry {
  name: string
  path: string
  title: string
}

/** The side menu for a role: its pages that declare `menu`, in order. */
export function menuFor(records: RouteRecordRaw[], role: string, verified: boolean): MenuEntry[] {
  return records
    .filter((r) => r.meta?.menu && Array.isArray(r.meta.roles) && r.meta.roles.includes(role as never))
    .filter((r) => role !== 'sme' || verified || r.meta?.verified === false)
    .sort((a, b) => (a.meta!.menu!.order ?? 0) - (b.meta!.menu!.order ?? 0))
    .map((r) => ({ name: String(r.name), path: r.path, title: r.meta!.title }))
}
