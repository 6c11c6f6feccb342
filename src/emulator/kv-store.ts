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
// Workers KV refuses keys over 512 bytes, and a secret name alone may be 512 characters.
const MAX_KEY_BYTES = 512
// Long keys keep this many leading characters (so prefix listing still works) plus a hash.
const KEPT_KEY_CHARS = 300

/**
 * A store on Workers KV, so a local worker keeps its emulated secrets across restarts.
 *
 * KV has no transactions and is eventually consistent between locations: this store is for one
 * local worker (or one isolate), not a shared source of truth. `list` reads every secret of a
 * region (one KV read each), so keep to a few hundred secrets per deployed Worker, whose
 * invocations are limited to 1,000 KV operations.
 *
 * @example
 * ```ts
 * const emulator = createEmulator({ store: new EmulatorKvStore(env.EMULATOR_KV) })
 * ```
 */
export class EmulatorKvStore implements EmulatorStore {
  readonly #kv: KvNamespaceLike
  readonly #prefix: string

  /**
   * @param kv A KV namespace binding.
   * @param prefix Prepended to every key, to share one namespace between emulators.
   */
  constructor(kv: KvNamespaceLike, prefix = '') {
    if (kv == null) throw new TypeError('kv is a required argument')
    this.#kv = kv
    // `|` never occurs in a region or a secret name, so prefixes cannot run into keys.
    this.#prefix = prefix === '' ? KEY_PREFIX : `${KEY_PREFIX}${prefix}|`
  }

  async get(key: string): Promise<StoredSecret | undefined> {
    const text = await this.#kv.get(await this.#kvKey(key), 'text')
    return text == null ? undefined : (JSON.parse(text) as StoredSecret)
  }

  async put(key: string, secret: StoredSecret): Promise<void> {
    await this.#kv.put(await this.#kvKey(key), JSON.stringify(secret))
  }

  async delete(key: string): Promise<void> {
    await this.#kv.delete(await this.#kvKey(key))
  }

  // A key too long for KV keeps its start and gets a SHA-256 of the whole; `#` cannot occur in a
  // secret name, so such a key never equals a short one.
  async #kvKey(key: string): Promise<string> {
    const full = this.#prefix + key
    if (new TextEncoder().encode(full).byteLength <= MAX_KEY_BYTES) return full
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(full))
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
    return `${full.slice(0, KEPT_KEY_CHARS)}#${hex}`
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
