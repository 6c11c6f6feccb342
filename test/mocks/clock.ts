// Fake-clock helpers. The client's WebCrypto signing and msw resolve on real I/O, which
// `vi.advanceTimersByTimeAsync` does not wait for, so only the timers the client uses (and Date,
// to measure them) are faked, and real I/O is polled with setImmediate.
import { expect, vi } from 'vitest'

/** Fakes `setTimeout`, `clearTimeout` and `Date` only. Undo with `vi.useRealTimers()`. */
export function useFakeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
}

/**
 * Lets real I/O run, and fires fake timers that are already due, until `condition` holds. Never
 * moves the fake clock.
 *
 * @param condition What to wait for.
 * @throws {AssertionError} When it does not hold after 10,000 rounds.
 */
export async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !condition(); i++) {
    await new Promise((resolve) => setImmediate(resolve))
    if (vi.isFakeTimers()) vi.advanceTimersByTime(0)
  }
  expect(condition()).toBe(true)
}

/**
 * Fires the next fake timer.
 *
 * @returns How far the fake clock moved: the length of the wait that ended.
 */
export function nextTimerMs(): number {
  const before = Date.now()
  vi.advanceTimersToNextTimer()
  return Date.now() - before
}
