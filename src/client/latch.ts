// One-time events that callers of any request can wait for with a bound: the way shared work
// is joined in workerd, where another request's promise may never settle (TOOLCHAIN.md).

/** What {@link Latch.wait} answers when the time ran out. */
export const TIMED_OUT: unique symbol = Symbol('timed out')

/**
 * Something that happens once (a shared credential refresh; in the cache, a load's answer, a
 * store write, a deletion), for any caller to wait for, at most a given time. Each wait is a
 * promise of its own, which `settle` resolves: never the promise of whoever does the work, which in workerd belongs to one request and never
 * settles for another once that request is gone (and, settled later, makes workerd warn). A wait
 * that gives up leaves nothing behind.
 */
export class Latch<T> {
  #settled = false
  #value: T | undefined
  readonly #waiters = new Set<(value: T) => void>()

  get settled(): boolean {
    return this.#settled
  }

  get value(): T | undefined {
    return this.#value
  }

  /** Records the value and answers every wait; later calls do nothing. */
  settle(value: T): void {
    if (this.#settled) return
    this.#settled = true
    this.#value = value
    for (const waiter of this.#waiters) waiter(value)
    this.#waiters.clear()
  }

  /**
   * Waits for the value.
   *
   * @param limitMs How long at most.
   * @param signal Rejects this wait (only) with its reason.
   * @returns The value, or {@link TIMED_OUT}.
   */
  wait(limitMs: number, signal?: AbortSignal): Promise<T | typeof TIMED_OUT> {
    if (this.#settled) return Promise.resolve(this.#value as T)
    signal?.throwIfAborted()
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        this.#waiters.delete(waiter)
      }
      const waiter = (value: T) => {
        finish()
        resolve(value)
      }
      const onAbort = () => {
        finish()
        reject(signal?.reason)
      }
      const timer = setTimeout(() => {
        finish()
        resolve(TIMED_OUT)
      }, limitMs)
      this.#waiters.add(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }
}
