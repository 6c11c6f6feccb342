import type { EmulatorStore, StoredSecret } from './types.js'

/**
 * The default store: a `Map` holding deep copies, so a caller that mutates a returned record
 * cannot change stored state behind the emulator's back.
 */
export class EmulatorMemoryStore implements EmulatorStore {
  readonly #secrets = new Map<string, StoredSecret>()

  async get(key: string): Promise<StoredSecret | undefined> {
    const secret = this.#secrets.get(key)
    return secret && structuredClone(secret)
  }

  async put(key: string, secret: StoredSecret): Promise<void> {
    this.#secrets.set(key, structuredClone(secret))
  }

  async delete(key: string): Promise<void> {
    this.#secrets.delete(key)
  }

  async list(prefix: string): Promise<StoredSecret[]> {
    const found: StoredSecret[] = []
    for (const [key, secret] of this.#secrets) {
      if (key.startsWith(prefix)) found.push(structuredClone(secret))
    }
    return found
  }
}
