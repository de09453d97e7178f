import { createPinia } from 'pinia'
import { createApp } from 'vue'
import { whenSessionEnds } from '@/api'
import { i18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { useAuth } from '@/stores/auth'
import App from './App.vue'
import './styles.css'

const app = createApp(App)
const pinia = createPinia()
const router = createAppRouter()
app.use(pinia).use(i18n).use(router)

// A request that needed the session got 401: back to the login page, then to this page.
whenSessionEnds(() => {
  const auth = useAuth(pinia)
  if (!auth.user) return
  auth.forget()
  const current = router.currentRoute.value
  void router.push({ name: 'auth.login', query: { next: current.fullPath, expired: '1' } })
})

document.documentElement.lang = i18n.global.locale.value
app.mount('#app')
