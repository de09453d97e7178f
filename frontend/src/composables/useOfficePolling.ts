import { getCurrentScope, onScopeDispose } from 'vue'

export interface PollOptions<T> {
  /** Milliseconds between the end of one call and the start of the next. */
  interval: number
  /** True when polling should stop (the job finished). */
  isDone: (value: T) => boolean
  /** Every answer, including the last one. */
  onValue: (value: T) => void
  /** A failed call; after `maxFailures` failures in a row polling stops. */
  onError?: (error: unknown, stopped: boolean) => void
  maxFailures?: number
}

export interface PollHandle {
  stop: () => void
  /** Whether the poll still runs (not done, not stopped, not failed). */
  readonly running: boolean
}

/** Call `task` now and then every `interval` ms until `isDone` says so, `stop()` is called or
 * it failed `maxFailures` times in a row. Calls never overlap: the next waits for the last. */
export function pollUntil<T>(task: () => Promise<T>, options: PollOptions<T>): PollHandle {
  const maxFailures = options.maxFailures ?? 3
  let running = true
  let failures = 0
  let timer: ReturnType<typeof setTimeout> | null = null

  const stop = () => {
    running = false
    if (timer !== null) clearTimeout(timer)
    timer = null
  }
  const schedule = () => {
    if (running) timer = setTimeout(tick, options.interval)
  }
  async function tick(): Promise<void> {
    timer = null
    if (!running) return
    try {
      const value = await task()
      if (!running) return
      failures = 0
      options.onValue(value)
      if (options.isDone(value)) stop()
      else schedule()
    } catch (error) {
      if (!running) return
      failures += 1
      const giveUp = failures >= maxFailures
      if (giveUp) stop()
      options.onError?.(error, giveUp)
      schedule()
    }
  }
  void tick()
  return {
    stop,
    get running() { return running },
  }
}

/** Polls owned by a component: every poll started here stops when the component unmounts
 * (or the effect scope ends), so no request is sent for a page that is gone. */
export function useOfficePolling() {
  const handles = new Set<PollHandle>()
  function poll<T>(task: () => Promise<T>, options: PollOptions<T>): PollHandle {
    const handle = pollUntil(task, options)
    handles.add(handle)
    return handle
  }
  function stopAll(): void {
    for (const handle of handles) handle.stop()
    handles.clear()
  }
  if (getCurrentScope()) onScopeDispose(stopAll)
  return { poll, stopAll }
}
