import { type CacheKey, type CacheStore, cacheKeyString } from './types.js'

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** How many entries it holds, least recently used dropped first. @default 1024 */
  maxEntries?: number | undefined
}

/**
 * A {@link CacheStore} in memory: a shared tier for several `SecretCache` instances in one
 * process or isolate (and a store to test your own codec against). It holds what the cache gives
 * it, after the codec; it does not encrypt, so prefer {@link KvStore} for anything persistent.
 *
 * @example
 * ```ts
 * const store = new MemoryStore()
 * const a = new SecretCache({ client, store })
 * const b = new SecretCache({ client, store }) // served from `store` what `a` fetched
 * ```
 */
export class MemoryStore implements CacheStore {
  readonly #entries = new Map<string, { SecretId: string; value: string }>()
  readonly #maxEntries: number

  /**
   * @param options `maxEntries`.
   * @throws {TypeError} When `maxEntries` is not a positive integer.
   */
  constructor(options: MemoryStoreOptions = {}) {
    const maxEntries = options.maxEntries === undefined ? 1024 : options.maxEntries
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError('maxEntries must be a positive integer')
    }
    this.#maxEntries = maxEntries
  }

  /** How many entries it holds. */
  get size(): number {
    return this.#entries.size
  }

  async get(key: CacheKey): Promise<string | undefined> {
    const name = cacheKeyString(key)
    const entry = this.#entries.get(name)
    if (entry === undefined) return undefined
    // Re-inserted, so the Map's order is the order of use.
    this.#entries.delete(name)
    this.#entries.set(name, entry)
    return entry.value
  }

  async put(key: CacheKey, value: string): Promise<void> {
    const name = cacheKeyString(key)
    this.#entries.delete(name)
    this.#entries.set(name, { SecretId: key.SecretId, value })
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break
      this.#entries.delete(oldest)
    }
  }

  async deleteEntry(key: CacheKey): Promise<void> {
    this.#entries.delete(cacheKeyString(key))
  }

  async delete(SecretId: string): Promise<void> {
    for (const [name, entry] of this.#entries) {
      if (entry.SecretId === SecretId) this.#entries.delete(name)
    }
  }
}
