import { createRouter, createWebHistory, type Router } from 'vue-router'
import { i18n } from '@/i18n'
import { useAuth } from '@/stores/auth'
import { pageRecords } from './pages'
import type { PageRoute } from './types'

// Every page folder's route.ts (see frontend/README.md): adding a folder adds the route.
const modules = import.meta.glob<PageRoute>('../pages/*/*/route.ts', { eager: true, import: 'default' })
export const records = pageRecords(modules)

export function createAppRouter(): Router {
  const router = createRouter({
    history: createWebHistory(),
    routes: [
      ...records,
      { path: '/', name: 'home', redirect: () => useAuth().home },
      { path: '/:missing(.*)*', name: 'not-found', component: () => import('@/layouts/NotFound.vue'), meta: { roles: 'public', title: 'app.notFound' } },
    ],
    scrollBehavior: () => ({ top: 0 }),
  })

  router.beforeEach(async (to) => {
    const auth = useAuth()
    await auth.ready()
    const meta = to.meta
    if (meta.roles === 'public' || meta.roles === undefined) {
      return meta.guestOnly && auth.user ? auth.home : true
    }
    if (!auth.user) return { name: 'auth.login', query: { next: to.fullPath } }
    if (!meta.roles.includes(auth.user.role)) return auth.home
    if (auth.user.role === 'sme' && !auth.verified && meta.verified !== false) return auth.home
    return true
  })

  router.afterEach((to) => {
    const title = to.meta.title ? i18n.global.t(to.meta.title) : ''
    document.title = title ? `${title} · ${i18n.global.t('app.name')}` : i18n.global.t('app.name')
  })
  return router
}
