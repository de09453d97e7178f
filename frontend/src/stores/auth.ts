import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { authLogin, authLogout, authMe, isProblem, type Me } from '@/api'
import { CSRF_COOKIE, readCookie } from '@/api/client'

/** Where each role lands after logging in. */
export function homeFor(user: Me | null): string {
  if (!user) return '/login'
  switch (user.role) {
    case 'sme':
      return user.organisation.kind === 'enterprise' && user.organisation.verified ? '/sme' : '/sme/claim'
    case 'bank':
      return '/bank'
    case 'office':
      return '/office'
    default:
      return '/admin'
  }
}

export const useAuth = defineStore('auth', () => {
  const user = ref<Me | null>(null)
  let loading: Promise<void> | null = null

  const verified = computed(
    () => user.value?.role !== 'sme' || (user.value.organisation.kind === 'enterprise' && !!user.value.organisation.verified),
  )
  const enterpriseId = computed(() => (user.value?.organisation.kind === 'enterprise' ? (user.value.organisation.id ?? null) : null))
  const bankId = computed(() => (user.value?.role === 'bank' ? (user.value.organisation.id ?? null) : null))
  const home = computed(() => homeFor(user.value))

  /** Who is logged in. Without the readable CSRF cookie there is no session to ask about. */
  async function refresh(): Promise<void> {
    if (!readCookie(CSRF_COOKIE)) {
      user.value = null
      return
    }
    try {
      user.value = (await authMe()).data ?? null
    } catch (e) {
      if (isProblem(e, 401)) user.value = null
      else throw e
    }
  }

  function ready(): Promise<void> {
    loading ??= refresh().catch((e) => {
      loading = null
      throw e
    })
    return loading
  }

  async function login(email: string, password: string): Promise<Me> {
    const { data } = await authLogin({ body: { email, password } })
    user.value = data!.user
    loading = Promise.resolve()
    return data!.user
  }

  async function logout(): Promise<void> {
    try {
      await authLogout()
    } finally {
      user.value = null
    }
  }

  function forget(): void {
    user.value = null
  }

  return { user, verified, enterpriseId, bankId, home, ready, refresh, login, logout, forget }
})
