// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import { mount } from '@vue/test-utils'
import type { SyncRunOut } from '@/api'

const statusCall = vi.fn()
vi.mock('@/api', () => ({ creditDataSyncStatus: (...args: unknown[]) => statusCall(...args) }))

const { createPoller, isFinal, useSmeSyncJob } = await import('./useSmeSyncJob')

function run(status: SyncRunOut['status'], extra: Partial<SyncRunOut> = {}): SyncRunOut {
  return {
    job_id: 'job-1', status, trigger: 'manual', families: [], records_added: 0, error: null,
    requested_at: '2026-12-04T06:00:00Z', finished_at: null, ...extra,
  }
}

beforeEach(() => {
  vi.useFakeTimers()
  statusCall.mockReset()
})
afterEach(() => vi.useRealTimers())

describe('isFinal', () => {
  it('treats done and failed as final, queued and running as not', () => {
    expect(isFinal('done')).toBe(true)
    expect(isFinal('failed')).toBe(true)
    expect(isFinal('queued')).toBe(false)
    expect(isFinal('running')).toBe(false)
  })
})

describe('createPoller', () => {
  it('reads every interval until the value is final, then stops', async () => {
    const values = ['queued', 'running', 'done', 'never']
    const fetch = vi.fn(async () => values.shift()!)
    const seen: string[] = []
    const poller = createPoller({ fetch, finished: (v) => v === 'done', onValue: (v) => seen.push(v), onError: () => {}, intervalMs: 1000 })
    poller.start()
    expect(fetch).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1000)
    await vi.advanceTimersByTimeAsync(1000)
    await vi.advanceTimersByTimeAsync(1000)
    expect(seen).toEqual(['queued', 'running', 'done'])
    expect(poller.running).toBe(false)
    await vi.advanceTimersByTimeAsync(5000)
    expect(fetch).toHaveBeenCalledTimes(3)
  })

  it('stops when asked, even with a read in flight', async () => {
    let release: (v: string) => void = () => {}
    const fetch = vi.fn(() => new Promise<string>((r) => { release = r }))
    const onValue = vi.fn()
    const poller = createPoller({ fetch, finished: () => false, onValue, onError: () => {}, intervalMs: 1000 })
    poller.start()
    await vi.advanceTimersByTimeAsync(1000)
    poller.stop()
    release('late')
    await vi.advanceTimersByTimeAsync(5000)
    expect(onValue).not.toHaveBeenCalled()
    expect(fetch).toHaveBeenCalledTimes(1)
  })

  it('keeps going through an occasional failure and gives up after maxErrors in a row', async () => {
    const fetch = vi.fn()
      .mockRejectedValueOnce(new Error('blip'))
      .mockResolvedValueOnce('running')
      .mockRejectedValue(new Error('down'))
    const onError = vi.fn()
    const poller = createPoller({ fetch, finished: () => false, onValue: () => {}, onError, intervalMs: 1000, maxErrors: 2 })
    poller.start()
    await vi.advanceTimersByTimeAsync(1000) // blip
    await vi.advanceTimersByTimeAsync(1000) // running
    await vi.advanceTimersByTimeAsync(1000) // down 1
    expect(onError).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1000) // down 2: give up
    expect(onError).toHaveBeenCalledTimes(1)
    expect(poller.running).toBe(false)
    await vi.advanceTimersByTimeAsync(5000)
    expect(fetch).toHaveBeenCalledTimes(4)
  })
})

describe('useSmeSyncJob', () => {
  function host() {
    let api!: ReturnType<typeof useSmeSyncJob>
    const wrapper = mount(defineComponent({ setup() { api = useSmeSyncJob(() => 'ent-1', 1000); return () => h('div') } }))
    return { wrapper, api: () => api }
  }

  it('polls the job of the enterprise until it is done', async () => {
    statusCall.mockResolvedValueOnce({ data: run('running', { families: ['tax'] }) }).mockResolvedValueOnce({ data: run('done', { records_added: 36 }) })
    const { api } = host()
    api().follow(run('queued'))
    expect(api().polling.value).toBe(true)
    await vi.advanceTimersByTimeAsync(1000)
    expect(api().job.value?.status).toBe('running')
    await vi.advanceTimersByTimeAsync(1000)
    expect(api().job.value?.status).toBe('done')
    expect(api().polling.value).toBe(false)
    expect(statusCall).toHaveBeenCalledWith({ path: { enterprise_id: 'ent-1', job_id: 'job-1' } })
    await vi.advanceTimersByTimeAsync(5000)
    expect(statusCall).toHaveBeenCalledTimes(2)
  })

  it('stops polling when the page unmounts', async () => {
    statusCall.mockResolvedValue({ data: run('running') })
    const { wrapper, api } = host()
    api().follow('job-1')
    await vi.advanceTimersByTimeAsync(1000)
    expect(statusCall).toHaveBeenCalledTimes(1)
    wrapper.unmount()
    await vi.advanceTimersByTimeAsync(10000)
    expect(statusCall).toHaveBeenCalledTimes(1)
  })

  it('does not poll a job that is already finished', async () => {
    const { api } = host()
    api().follow(run('failed', { error: 'provider down' }))
    await vi.advanceTimersByTimeAsync(5000)
    expect(statusCall).not.toHaveBeenCalled()
    expect(api().polling.value).toBe(false)
  })
})
