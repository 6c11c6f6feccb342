// Fake-clock helpers. The client's WebCrypto signing and msw resolve on real I/O, which
// `vi.advanceTimersByTimeAsync` does not wait for, so only the timers the client uses (and Date,
// to measure them) are faked, and real I/O is polled with setImmediate.
import { expect, vi } from 'vitest'

// Captured before any test fakes timers, so `until` keeps real time and real turns even under a
// `vi.useFakeTimers()` that fakes everything.
const realNow = performance.now.bind(performance)
const realSetImmediate = globalThis.setImmediate

/** How long {@link until} waits for real I/O, in real milliseconds. */
const UNTIL_TIMEOUT_MS = 10_000

const realAbortSignalTimeout = AbortSignal.timeout.bind(AbortSignal)

// vitest's fake timers leave AbortSignal.timeout (the client's time limit per attempt) on the real
// clock. While timers are faked, it runs on the fake setTimeout instead, as one timer, firing
// with the TimeoutError DOMException the runtime's would.
function fakeAbortSignalTimeout(ms: number): AbortSignal {
  if (!vi.isFakeTimers()) return realAbortSignalTimeout(ms)
  const controller = new AbortController()
  setTimeout(() => controller.abort(new DOMException('signal timed out', 'TimeoutError')), ms)
  return controller.signal
}

/**
 * Fakes `setTimeout`, `clearTimeout`, `Date` and `AbortSignal.timeout` only; `performance` and
 * `setImmediate` stay real for {@link until}. Undo with `vi.useRealTimers()` (AbortSignal.timeout
 * follows it back to the real clock).
 */
export function useFakeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  if (!vi.isMockFunction(AbortSignal.timeout)) {
    vi.spyOn(AbortSignal, 'timeout').mockImplementation(fakeAbortSignalTimeout)
  }
}

/**
 * Lets real I/O run, and fires fake timers that are already due, until `condition` holds. Never
 * moves the fake clock. Bounded by real time, not by a number of turns, so a slow machine under
 * load waits longer instead of failing.
 *
 * @param condition What to wait for.
 * @throws {AssertionError} When it does not hold within 10 s of real time.
 */
export async function until(condition: () => boolean): Promise<void> {
  const deadline = realNow() + UNTIL_TIMEOUT_MS
  while (!condition() && realNow() < deadline) {
    await new Promise((resolve) => realSetImmediate(resolve))
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
