// The emulator's one lock, so a read-modify-write of a secret is atomic as in the service.
//
// It does not chain promises from one request to the next. In workerd a promise created while
// serving one request never settles for another once the first has completed or been cancelled
// (a client that went away), so a chain would leave every later request hanging behind a
// cancelled holder. Instead each waiter waits on a promise of its own, which a release resolves,
// and a timer of its own bounds the wait: when the same holder has kept the lock for `maxWaitMs`,
// it is taken to be gone and the waiter goes ahead without it.

/** Runs `run` while holding the lock, and returns what it returns. */
export type Exclusive = <T>(run: () => Promise<T>) => Promise<T>

/**
 * Creates a lock.
 *
 * @param maxWaitMs How long a waiter waits while one holder keeps the lock, before going ahead.
 * @returns A function that runs its argument under the lock.
 */
export function createLock(maxWaitMs: number): Exclusive {
  // The holder is identified by an object of its own, so a holder that was given up on and
  // finishes later cannot release the lock of the one that went ahead.
  let holder: object | undefined
  // Wakes every waiter: each checks for itself whether the lock is free. Handing the lock to one
  // waiter instead could hand it to a request that is gone, whose code will never run again.
  const waiters = new Set<() => void>()

  const wait = async (): Promise<boolean> => {
    let timer: ReturnType<typeof setTimeout> | undefined
    let wake: (() => void) | undefined
    const woken = await new Promise<boolean>((resolve) => {
      wake = () => resolve(true)
      waiters.add(wake)
      timer = setTimeout(() => resolve(false), maxWaitMs)
    })
    // Cleared here, by the waiter, since a timer belongs to the request that set it.
    if (timer !== undefined) clearTimeout(timer)
    if (wake) waiters.delete(wake)
    return woken
  }

  const release = (me: object) => {
    if (holder !== me) return
    holder = undefined
    for (const wake of waiters) wake()
    waiters.clear()
  }

  return async <T>(run: () => Promise<T>): Promise<T> => {
    const me = {}
    while (holder !== undefined) {
      const seen = holder
      const woken = await wait()
      // No release for maxWaitMs, and the same holder: go ahead without it.
      if (!woken && holder === seen) break
    }
    holder = me
    try {
      return await run()
    } finally {
      release(me)
    }
  }
}
