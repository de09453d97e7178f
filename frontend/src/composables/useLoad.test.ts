import { describe, expect, it } from 'vitest'
import { useLoad } from './useLoad'

describe('useLoad', () => {
  it('holds the data of a successful call and clears the error', async () => {
    const load = useLoad(async () => 42, { immediate: false })
    await load.reload()
    expect(load.data.value).toBe(42)
    expect(load.error.value).toBeNull()
    expect(load.loading.value).toBe(false)
  })

  it('holds the error of a failed call', async () => {
    const load = useLoad(async () => { throw new Error('down') }, { immediate: false })
    await load.reload()
    expect((load.error.value as Error).message).toBe('down')
    expect(load.data.value).toBeNull()
  })

  it('keeps the answer of the latest call when an earlier one finishes later', async () => {
    let release: (v: string) => void = () => {}
    let calls = 0
    const load = useLoad(() => {
      calls += 1
      return calls === 1 ? new Promise<string>((r) => { release = r }) : Promise.resolve('second')
    }, { immediate: false })
    const first = load.reload()
    await load.reload()
    release('first')
    await first
    expect(load.data.value).toBe('second')
  })
})
