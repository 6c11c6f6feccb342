import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createLock } from '../../../src/emulator/lock.js'

/** A promise with its resolver, to hold the lock for as long as a test wants. */
function deferred() {
  let resolve: () => void = () => {}
  const promise = new Promise<void>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
})

afterEach(() => {
  vi.useRealTimers()
})

describe('createLock', () => {
  it('runs one holder at a time, in order', async () => {
    const exclusive = createLock(1000)
    const log: string[] = []
    const first = deferred()
    const a = exclusive(async () => {
      log.push('a start')
      await first.promise
      log.push('a end')
    })
    const b = exclusive(async () => {
      log.push('b')
    })
    await vi.advanceTimersByTimeAsync(999)
    expect(log).toEqual(['a start'])
    first.resolve()
    await Promise.all([a, b])
    expect(log).toEqual(['a start', 'a end', 'b'])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('is released when the holder throws', async () => {
    const exclusive = createLock(1000)
    const failed = exclusive(async () => {
      throw new Error('boom')
    })
    await expect(failed).rejects.toThrow('boom')
    await expect(exclusive(async () => 'next')).resolves.toBe('next')
  })

  it('goes ahead when a holder never finishes, and the late holder cannot release it', async () => {
    const exclusive = createLock(100)
    const stuck = deferred()
    void exclusive(() => stuck.promise) // a cancelled request: its work never settles
    const log: string[] = []
    const second = deferred()
    const b = exclusive(async () => {
      log.push('b start')
      await second.promise
      log.push('b end')
    })
    await vi.advanceTimersByTimeAsync(99)
    expect(log).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(log).toEqual(['b start'])

    // The holder given up on finishing later must not let a third caller in beside b.
    const c = exclusive(async () => {
      log.push('c')
    })
    stuck.resolve()
    await vi.advanceTimersByTimeAsync(50)
    expect(log).toEqual(['b start'])
    second.resolve()
    await Promise.all([b, c])
    expect(log).toEqual(['b start', 'b end', 'c'])
  })

  it('counts the wait afresh whenever the lock changes hands', async () => {
    const exclusive = createLock(100)
    const log: string[] = []
    const first = deferred()
    const second = deferred()
    const a = exclusive(() => first.promise)
    const b = exclusive(async () => {
      log.push('b')
      await second.promise
    })
    const c = exclusive(async () => {
      log.push('c')
    })
    await vi.advanceTimersByTimeAsync(60)
    first.resolve()
    await a
    await vi.advanceTimersByTimeAsync(0)
    expect(log).toEqual(['b'])
    // c has waited 159 ms in all, but only 99 behind b: it keeps waiting.
    await vi.advanceTimersByTimeAsync(99)
    expect(log).toEqual(['b'])
    await vi.advanceTimersByTimeAsync(1)
    expect(log).toEqual(['b', 'c'])
    second.resolve()
    await Promise.all([b, c])
  })
})
