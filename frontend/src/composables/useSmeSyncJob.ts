import { getCurrentInstance, onBeforeUnmount, ref, shallowRef } from 'vue'
import { creditDataSyncStatus, type SyncRunOut, type SyncStatus } from '@/api'

/** A sync job is finished once it is done or failed; queued and running jobs are polled. */
export function isFinal(status: SyncStatus): boolean {
  return status === 'done' || status === 'failed'
}

export interface PollerOptions<T> {
  /** Read the job's current state. */
  fetch: () => Promise<T>
  /** True when the state is final and polling stops. */
  finished: (value: T) => boolean
  onValue: (value: T) => void
  /** Called once when polling gives up after `maxErrors` failed reads in a row. */
  onError: (error: unknown) => void
  intervalMs?: number
  maxErrors?: number
}

/** Poll `fetch` every `intervalMs` until `finished` says so, `stop()` is called, or it failed
 * `maxErrors` times in a row. One read at a time: the next waits for the previous answer. */
export function createPoller<T>(options: PollerOptions<T>) {
  const interval = options.intervalMs ?? 1500
  const maxErrors = options.maxErrors ?? 3
  let timer: ReturnType<typeof setTimeout> | null = null
  let active = false
  let errors = 0

  async function tick(): Promise<void> {
    timer = null
    if (!active) return
    try {
      const value = await options.fetch()
      if (!active) return
      errors = 0
      options.onValue(value)
      if (options.finished(value)) {
        active = false
        return
      }
    } catch (e) {
      if (!active) return
      errors += 1
      if (errors >= maxErrors) {
        active = false
        options.onError(e)
        return
      }
    }
    timer = setTimeout(tick, interval)
  }

  return {
    /** Start (or restart) polling; the first read comes after one interval. */
    start(): void {
      this.stop()
      active = true
      errors = 0
      timer = setTimeout(tick, interval)
    },
    stop(): void {
      active = false
      if (timer !== null) clearTimeout(timer)
      timer = null
    },
    get running(): boolean {
      return active
    },
  }
}

/** Follow one sync job of an enterprise until it is done or failed; stops when the calling
 * component unmounts. `job` holds the latest state, `error` a read that kept failing. */
export function useSmeSyncJob(enterpriseId: () => string | null, intervalMs = 1500) {
  const job = shallowRef<SyncRunOut | null>(null)
  const error = shallowRef<unknown>(null)
  const polling = ref(false)
  let jobId: string | null = null

  const poller = createPoller<SyncRunOut>({
    fetch: async () => {
      const id = enterpriseId()
      if (!id || !jobId) throw new Error('no job')
      return (await creditDataSyncStatus({ path: { enterprise_id: id, job_id: jobId } })).data!
    },
    finished: (run) => isFinal(run.status),
    onValue: (run) => {
      job.value = run
      if (isFinal(run.status)) polling.value = false
    },
    onError: (e) => {
      error.value = e
      polling.value = false
    },
    intervalMs,
  })

  /** Follow `run` (or the job with this id), starting from what is known of it. */
  function follow(run: SyncRunOut | string): void {
    jobId = typeof run === 'string' ? run : run.job_id
    job.value = typeof run === 'string' ? null : run
    error.value = null
    if (typeof run !== 'string' && isFinal(run.status)) {
      poller.stop()
      polling.value = false
      return
    }
    polling.value = true
    poller.start()
  }

  function stop(): void {
    poller.stop()
    polling.value = false
  }

  if (getCurrentInstance()) onBeforeUnmount(stop)
  return { job, error, polling, follow, stop }
}
