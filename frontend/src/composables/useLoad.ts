import { onMounted, ref, shallowRef, type Ref, type ShallowRef } from 'vue'

export interface Load<T> {
  data: ShallowRef<T | null>
  loading: Ref<boolean>
  error: ShallowRef<unknown>
  reload: () => Promise<void>
}

/** Load data for a page: `loading` while the call runs, `error` when it failed (the page shows
 * it with a retry), `data` when it succeeded. A later call's answer wins over an earlier one. */
export function useLoad<T>(fetcher: () => Promise<T>, options: { immediate?: boolean } = {}): Load<T> {
  const data = shallowRef<T | null>(null)
  const loading = ref(false)
  const error = shallowRef<unknown>(null)
  let latest = 0
  async function reload(): Promise<void> {
    const call = ++latest
    loading.value = true
    error.value = null
    try {
      const result = await fetcher()
      if (call === latest) data.value = result
    } catch (e) {
      if (call === latest) error.value = e
    } finally {
      if (call === latest) loading.value = false
    }
  }
  if (options.immediate !== false) onMounted(reload)
  return { data, loading, error, reload }
}
