import type { EmulatorStore, StoredSecret } from './types.js'

/**
 * The part of a Workers KV namespace the store uses. A real `KVNamespace` binding satisfies it;
 * it is spelled out here so the emulator's types do not depend on `@cloudflare/workers-types`.
 */
export interface KvNamespaceLike {
  get(key: string, type: 'text'): Promise<string | null>
  put(key: string, value: string): Promise<void>
  delete(key: string): Promise<void>
  list(options: { prefix: string; cursor?: string | null }): Promise<{
    keys: { name: string }[]
    list_complete: boolean
    cursor?: string
  }>
}

/** Keys are versioned so a later change of the record shape can live beside old data. */
const KEY_PREFIX = 'v1:emulator:'

/**
 * A store on Workers KV, so a local worker keeps its emulated secrets across restarts.
 *
 * KV has no transactions and is eventually consistent between locations: this store is for one
 * local worker (or one isolate), not a shared source of truth.
 *
 * @example
 * ```ts
 * const emulator = createEmulator({ store: new KvStore(env.EMULATOR_KV) })
 * ```
 */
export class KvStore implements EmulatorStore {
  readonly #kv: KvNamespaceLike
  readonly #prefix: string

  /**
   * @param kv A KV namespace binding.
   * @param prefix Prepended to every key, to share one namespace between emulators.
   */
  constructor(kv: KvNamespaceLike, prefix = '') {
    if (kv == null) throw new TypeError('kv is a required argument')
    this.#kv = kv
    this.#prefix = KEY_PREFIX + prefix
  }

  async get(key: string): Promise<StoredSecret | undefined> {
    const text = await this.#kv.get(this.#prefix + key, 'text')
    return text == null ? undefined : (JSON.parse(text) as StoredSecret)
  }

  async put(key: string, secret: StoredSecret): Promise<void> {
    await this.#kv.put(this.#prefix + key, JSON.stringify(secret))
  }

  async delete(key: string): Promise<void> {
    await this.#kv.delete(this.#prefix + key)
  }

  async list(prefix: string): Promise<StoredSecret[]> {
    const names: string[] = []
    let cursor: string | undefined
    do {
      const page = await this.#kv.list({ prefix: this.#prefix + prefix, cursor: cursor ?? null })
      for (const key of page.keys) names.push(key.name)
      cursor = page.list_complete ? undefined : page.cursor
    } while (cursor)
    const secrets = await Promise.all(names.map((name) => this.#kv.get(name, 'text')))
    return secrets.flatMap((text) => (text == null ? [] : [JSON.parse(text) as StoredSecret]))
  }
}
