import { fromBase64, toBase64 } from '../client/serde.js'
import { type CacheKey, type CacheStore, cacheKeyString } from './types.js'

/**
 * The part of a Workers KV namespace the store uses. A `KVNamespace` binding satisfies it; it is
 * spelled out so that the cache's types compile without `@cloudflare/workers-types`.
 */
export interface KvNamespaceLike {
  get(key: string, type: 'text'): Promise<string | null>
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>
  delete(key: string): Promise<void>
  list(options?: { prefix?: string | null; cursor?: string | null }): Promise<{
    keys: { name: string }[]
    list_complete: boolean
    cursor?: string
  }>
}

/** Options of {@link KvStore}. */
export interface KvStoreOptions {
  /**
   * Base64 256-bit keys, newest first. Writes use the first; reads try each in turn, so to rotate,
   * put the new key first and drop the old one once its entries have expired (`kvTtlSeconds`).
   * Make one with `openssl rand -base64 32`.
   */
  encryptionKeys?: readonly string[] | undefined
  /**
   * Stores entries in plaintext (still under hashed key names). Only for a namespace nobody else
   * can read; without it, a store with no `encryptionKeys` is refused. @default false
   */
  allowPlaintext?: boolean | undefined
  /**
   * How long an entry lives in KV: a new isolate can serve it (stale) while AWS is down for this
   * long. At least 60 (KV's minimum `expirationTtl`). @default 86_400 (1 day)
   */
  kvTtlSeconds?: number | undefined
  /** Prefix of every KV key name, to share a namespace with other data. @default 'es:' */
  prefix?: string | undefined
  /** The clock, epoch milliseconds, for KV's one-write-per-second rule. @default Date.now */
  now?: (() => number) | undefined
}

// Key names: `${prefix}${keyId}:${idTag}:${entryTag}`. The id tag alone is a listable prefix, so
// every stage and version of a secret can be found and removed, and neither tag reveals the name.
const TAG_BYTES = 16
const KEY_ID_BYTES = 6
const IV_BYTES = 12
// KV key names are at most 512 bytes; ours add about 80 to the prefix.
const MAX_PREFIX_BYTES = 256
// The value formats: AES-GCM under a derived key, or (opted in) plaintext.
const SEALED_FORMAT = 'v1:'
const PLAIN_FORMAT = 'p1:'
// KV allows one write per key per second.
const WRITE_INTERVAL_MS = 1_000
const MIN_TTL_SECONDS = 60

// Everything derived from one configured key. Cached once resolved, never as a shared promise:
// in workerd, a promise made by a request that has ended never settles for the next one.
interface DerivedKey {
  keyId: string
  sealing: CryptoKey | undefined
  naming: CryptoKey | undefined
}

interface PendingWrite {
  SecretId: string
  value: string
  // When its timer should fire. A write still pending well after that never will: its request
  // was cancelled, and it must not hold back this key's writes for good.
  dueAt: number
}

/**
 * A {@link CacheStore} on Workers KV: the tier that lets every isolate of a Worker (and every
 * `SecretCache` on the namespace) share one upstream call per refresh.
 *
 * Entries are sealed with AES-GCM (WebCrypto) under the first of `encryptionKeys`, with a fresh
 * random IV per write and the cache key (id plus stage or version) as associated data, so an
 * entry copied under another name does not open. Key names are HMACs under a key derived from the
 * encryption key: a listing of the namespace reveals no secret names. An entry that is corrupt,
 * foreign, truncated or does not decrypt is a miss. Writes to one key are at most one per second
 * (a later one waits for the second to pass, and only the newest value is written).
 *
 * @example
 * ```ts
 * const store = new KvStore(env.SECRETS_CACHE, { encryptionKeys: [env.CACHE_ENCRYPTION_KEY] })
 * const cache = new SecretCache({ client, store })
 * ```
 */
export class KvStore implements CacheStore {
  readonly #kv: KvNamespaceLike
  readonly #rawKeys: Uint8Array[]
  readonly #plaintext: boolean
  readonly #ttlSeconds: number
  readonly #prefix: string
  readonly #now: () => number
  #derived: DerivedKey[] | undefined
  readonly #lastWriteAt = new Map<string, number>()
  readonly #pending = new Map<string, PendingWrite>()

  /**
   * @param kv A KV namespace binding.
   * @param options `encryptionKeys` (or `allowPlaintext: true`), `kvTtlSeconds`, `prefix`.
   * @throws {TypeError} When `kv` is missing, there is no encryption key and no explicit
   *   plaintext opt-out, a key is not base64 of 32 bytes, or `kvTtlSeconds` is under 60.
   */
  constructor(kv: KvNamespaceLike, options: KvStoreOptions = {}) {
    if (kv == null) throw new TypeError('kv is a required argument')
    const keys = options.encryptionKeys ?? []
    if (keys.length === 0 && options.allowPlaintext !== true) {
      throw new TypeError(
        'encryptionKeys is a required option (or pass allowPlaintext: true to store secrets unencrypted)'
      )
    }
    this.#rawKeys = keys.map((key, i) => {
      let bytes: Uint8Array | undefined
      try {
        bytes = typeof key === 'string' ? fromBase64(key.trim()) : undefined
      } catch {
        bytes = undefined
      }
      // The message names the position only: the key is a secret.
      if (bytes?.length !== 32) {
        throw new TypeError(`encryptionKeys[${i}] must be a base64 256-bit key (32 bytes)`)
      }
      return bytes
    })
    this.#plaintext = keys.length === 0
    const ttl = options.kvTtlSeconds ?? 86_400
    if (!Number.isInteger(ttl) || ttl < MIN_TTL_SECONDS) {
      throw new TypeError(`kvTtlSeconds must be an integer of at least ${MIN_TTL_SECONDS}`)
    }
    this.#ttlSeconds = ttl
    const prefix = options.prefix ?? 'es:'
    if (typeof prefix !== 'string' || new TextEncoder().encode(prefix).length > MAX_PREFIX_BYTES) {
      throw new TypeError(`prefix must be a string of at most ${MAX_PREFIX_BYTES} bytes (UTF-8)`)
    }
    this.#prefix = prefix
    this.#kv = kv
    this.#now = options.now ?? (() => Date.now())
  }

  async get(key: CacheKey): Promise<string | undefined> {
    const entry = cacheKeyString(key)
    for (const derived of await this.#keys()) {
      const text = await this.#kv.get(await this.#name(derived, key.SecretId, entry), 'text')
      if (text === null || text === undefined) continue
      const opened = await open(derived, entry, text)
      if (opened !== undefined) return opened
    }
    return undefined
  }

  async put(key: CacheKey, value: string): Promise<void> {
    const [newest] = await this.#keys()
    const derived = newest as DerivedKey
    const entry = cacheKeyString(key)
    const name = await this.#name(derived, key.SecretId, entry)
    const sealed = await seal(derived, entry, value)
    const now = this.#now()
    const pending = this.#pending.get(name)
    if (pending !== undefined && now < pending.dueAt + WRITE_INTERVAL_MS) {
      // A write is already waiting for this key's second to pass: it will write this value. Not
      // awaited here: it may belong to another request, whose promises this one cannot await.
      pending.value = sealed
      return
    }
    this.#pending.delete(name)
    const dueAt = (this.#lastWriteAt.get(name) ?? Number.NEGATIVE_INFINITY) + WRITE_INTERVAL_MS
    if (dueAt <= now) return this.#write(name, sealed)
    const write: PendingWrite = { SecretId: key.SecretId, value: sealed, dueAt }
    this.#pending.set(name, write)
    await new Promise((resolve) => setTimeout(resolve, dueAt - now))
    // Deleted meanwhile (invalidate), or replaced: this one must not write.
    if (this.#pending.get(name) !== write) return
    this.#pending.delete(name)
    await this.#write(name, write.value)
  }

  async deleteEntry(key: CacheKey): Promise<void> {
    const entry = cacheKeyString(key)
    for (const derived of await this.#keys()) {
      const name = await this.#name(derived, key.SecretId, entry)
      this.#pending.delete(name)
      await this.#kv.delete(name)
    }
  }

  async delete(SecretId: string): Promise<void> {
    for (const [name, write] of this.#pending) {
      if (write.SecretId === SecretId) this.#pending.delete(name)
    }
    for (const derived of await this.#keys()) {
      const prefix = `${this.#prefix}${derived.keyId}:${await this.#tag(derived, 'id', SecretId)}:`
      let cursor: string | undefined
      do {
        const page = await this.#kv.list({ prefix, ...(cursor ? { cursor } : {}) })
        await Promise.all(page.keys.map(({ name }) => this.#kv.delete(name)))
        cursor = page.list_complete ? undefined : page.cursor
      } while (cursor)
    }
  }

  async #write(name: string, value: string): Promise<void> {
    const now = this.#now()
    this.#lastWriteAt.set(name, now)
    // Forget keys whose second has passed, so the map stays small.
    if (this.#lastWriteAt.size > 1_000) {
      for (const [other, at] of this.#lastWriteAt) {
        if (now - at >= WRITE_INTERVAL_MS) this.#lastWriteAt.delete(other)
      }
    }
    await this.#kv.put(name, value, { expirationTtl: this.#ttlSeconds })
  }

  async #name(derived: DerivedKey, SecretId: string, entry: string): Promise<string> {
    const idTag = await this.#tag(derived, 'id', SecretId)
    const entryTag = await this.#tag(derived, 'entry', entry)
    return `${this.#prefix}${derived.keyId}:${idTag}:${entryTag}`
  }

  // An HMAC (or, in plaintext mode, a SHA-256) of a labelled string, as hex.
  async #tag(derived: DerivedKey, label: string, text: string): Promise<string> {
    const data = new TextEncoder().encode(`${label}\u0000${text}`)
    const digest =
      derived.naming === undefined
        ? await crypto.subtle.digest('SHA-256', data)
        : await crypto.subtle.sign('HMAC', derived.naming, data)
    return toHex(new Uint8Array(digest, 0, TAG_BYTES))
  }

  async #keys(): Promise<DerivedKey[]> {
    if (this.#derived !== undefined) return this.#derived
    const derived = this.#plaintext
      ? [{ keyId: 'plain', sealing: undefined, naming: undefined }]
      : await Promise.all(this.#rawKeys.map(deriveKey))
    this.#derived = derived
    return derived
  }
}

// HKDF-SHA-256 from the configured key: one AES-GCM key for values, one HMAC key for names, and
// a short public id so that each key's entries have their own names.
async function deriveKey(raw: Uint8Array): Promise<DerivedKey> {
  const master = await crypto.subtle.importKey(
    'raw',
    raw as Uint8Array<ArrayBuffer>,
    'HKDF',
    false,
    ['deriveKey', 'deriveBits']
  )
  const params = (info: string) => ({
    name: 'HKDF',
    hash: 'SHA-256',
    salt: new Uint8Array(0),
    info: new TextEncoder().encode(`edge-secrets/kv-store/${info}`),
  })
  const sealing = await crypto.subtle.deriveKey(
    params('aes-gcm'),
    master,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt']
  )
  const naming = await crypto.subtle.deriveKey(
    params('hmac'),
    master,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign']
  )
  const keyId = toHex(
    new Uint8Array(await crypto.subtle.deriveBits(params('key-id'), master, KEY_ID_BYTES * 8))
  )
  return { keyId, sealing, naming }
}

async function seal(derived: DerivedKey, entry: string, value: string): Promise<string> {
  if (derived.sealing === undefined) return PLAIN_FORMAT + value
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(entry) },
    derived.sealing,
    new TextEncoder().encode(value)
  )
  const out = new Uint8Array(IV_BYTES + sealed.byteLength)
  out.set(iv)
  out.set(new Uint8Array(sealed), IV_BYTES)
  return SEALED_FORMAT + toBase64(out)
}

// The plaintext of a stored value, or `undefined` for anything that is not an intact entry of
// this key: another format, bad base64, too short, tampered, or sealed for another cache key.
async function open(derived: DerivedKey, entry: string, text: string): Promise<string | undefined> {
  if (derived.sealing === undefined) {
    return text.startsWith(PLAIN_FORMAT) ? text.slice(PLAIN_FORMAT.length) : undefined
  }
  if (!text.startsWith(SEALED_FORMAT)) return undefined
  try {
    const bytes = fromBase64(text.slice(SEALED_FORMAT.length)) as Uint8Array<ArrayBuffer>
    if (bytes.length < IV_BYTES + 16) return undefined
    const plain = await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: bytes.subarray(0, IV_BYTES),
        additionalData: new TextEncoder().encode(entry),
      },
      derived.sealing,
      bytes.subarray(IV_BYTES)
    )
    return new TextDecoder().decode(plain)
  } catch {
    return undefined
  }
}

function toHex(bytes: Uint8Array): string {
  let hex = ''
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0')
  return hex
}
