import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope } from 'vue'
import { pollUntil, useOfficePolling } from './useOfficePolling'

const flush = async () => { for (let i = 0; i < 5; i++) await Promise.resolve() }

describe('pollUntil', () => {
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  it('calls until the answer says done, then stops', async () => {
    const answers = ['queued', 'running', 'done', 'never']
    const task = vi.fn(async () => answers.shift()!)
    const seen: string[] = []
    const handle = pollUntil(task, { interval: 1000, isDone: (s) => s === 'done', onValue: (s) => seen.push(s) })
    await flush()
    expect(seen).toEqual(['queued'])
    await vi.advanceTimersByTimeAsync(1000)
    await vi.advanceTimersByTimeAsync(1000)
    expect(seen).toEqual(['queued', 'running', 'done'])
    expect(handle.running).toBe(false)
    await vi.advanceTimersByTimeAsync(5000)
    expect(task).toHaveBeenCalledTimes(3)
  })

  it('sends nothing more once stopped', async () => {
    const task = vi.fn(async () => 'running')
    const handle = pollUntil(task, { interval: 500, isDone: () => false, onValue: () => {} })
    await flush()
    handle.stop()
    await vi.advanceTimersByTimeAsync(5000)
    expect(task).toHaveBeenCalledTimes(1)
  })

  it('keeps trying after a failure and gives up after three in a row', async () => {
    const task = vi.fn(async () => { throw new Error('down') })
    const errors: boolean[] = []
    const handle = pollUntil(task, { interval: 100, isDone: () => false, onValue: () => {}, onError: (_, stopped) => errors.push(stopped) })
    await flush()
    await vi.advanceTimersByTimeAsync(100)
    await vi.advanceTimersByTimeAsync(100)
    await vi.advanceTimersByTimeAsync(1000)
    expect(errors).toEqual([false, false, true])
    expect(task).toHaveBeenCalledTimes(3)
    expect(handle.running).toBe(false)
  })
})

describe('useOfficePolling', () => {
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  it('stops every poll when its scope ends (the page unmounts)', async () => {
    const task = vi.fn(async () => 'running')
    const scope = effectScope()
    const handle = scope.run(() => useOfficePolling().poll(task, { interval: 100, isDone: () => false, onValue: () => {} }))!
    await flush()
    expect(handle.running).toBe(true)
    scope.stop()
    expect(handle.running).toBe(false)
    await vi.advanceTimersByTimeAsync(1000)
    expect(task).toHaveBeenCalledTimes(1)
  })
})
