import { isSecretsManagerError, SecretsManagerError } from '../client/errors.js'
import { Latch, TIMED_OUT } from '../client/latch.js'
import { untilAborted } from '../client/retry.js'
import { fromBase64, toBase64 } from '../client/serde.js'
import type { GetSecretValueRequest, GetSecretValueResponse } from '../client/types.js'
import {
  type CacheBatchOptions,
  type CachedBatchResult,
  type CacheKey,
  type CacheLookup,
  type CacheLookupOptions,
  type CacheReadOptions,
  type CacheStore,
  cacheKeyString,
  type SecretCacheClient,
  type SecretCacheCodec,
  type SecretCacheOptions,
  type SecretCacheStats,
} from './types.js'

// The Python caching library's defaults (aws_secretsmanager_caching/config.py), in milliseconds.
const DEFAULT_OPTIONS = {
  maxEntries: 1024,
  refreshIntervalMs: 3_600_000,
  defaultVersionStage: 'AWSCURRENT',
  retryDelayBaseMs: 1_000,
  retryGrowthFactor: 2,
  retryDelayMaxMs: 3_600_000,
  staleWhileRefresh: true,
  missingSecretTtlMs: 60_000,
  memoryTtlMs: 60_000,
  now: () => Date.now(),
  random: () => Math.random(),
}
// A waiter's patience when the client does not say how long one attempt may take.
const DEFAULT_WAITER_TIMEOUT_MS = 10_000
// setTimeout fires at once for a longer delay.
const MAX_TIMER_MS = 2_147_483_647
// BatchGetSecretValue takes at most 20 ids.
const BATCH_SIZE = 20
// The format of a stored entry; a different one is a miss.
const ENTRY_FORMAT = 1

// A memory-tier entry. `refreshAt` is this isolate's own jittered deadline, drawn from the
// `fetchedAt` that travels with the value through the store, so isolates agree on its age.
interface Entry {
  value: GetSecretValueResponse
  fetchedAt: number
  refreshAt: number
  storeCheckedAt: number
  // Whether the store is known to hold it (read from there, or our write succeeded). Only then
  // does its absence from the store mean it was invalidated elsewhere.
  stored?: boolean
}

// Consecutive upstream failures of one key, and when the next upstream attempt may be made.
interface Failure {
  error: unknown
  count: number
  retryAt: number
}

// A memory entry, with the failures of its latest refreshes while it is kept through them.
interface Slot {
  key: CacheKey
  entry: Entry
  failure?: Failure | undefined
}

// A key that has no value, and the failure that is remembered for it. Kept apart from the
// entries, so that reads of ids that do not exist cannot push real values out of memory.
interface Missing {
  key: CacheKey
  failure: Failure
}

// What a load gives its readers: a value and where it came from, or the upstream error, with
// the last good value (`stale`) when the error was transient and there was one.
type Outcome =
  | { ok: true; entry: Entry; source: 'memory' | 'store' | 'upstream'; stale?: boolean }
  | { ok: false; error: unknown; stale?: Entry | undefined }

// Why an upstream-bound load runs: a memory miss, a due entry, a periodic re-read of the store,
// or `refreshNow` (which skips the store).
type LoadKind = 'miss' | 'refresh' | 'sync' | 'force'

// One shared load of a key. `result` settles as soon as readers have their answer; `done` also
// covers the store write, and is what goes to `waitUntil`. `stale` is set by `invalidate` or
// `clear`: a stale load delivers to the readers that joined it but writes nothing back.
interface Flight {
  key: CacheKey
  kind: LoadKind
  startedAt: number
  result: Promise<Outcome>
  done: Promise<void>
  stale: boolean
  // What the readers that joined it get.
  outcome: Latch<Outcome>
  // Its final answer (a fresh value, or the upstream failure): what a `refreshNow` that joined
  // it returns. A miss served from a due stored value has its outcome early, and its final
  // answer only after the upstream call.
  refreshed: Latch<boolean>
  // Set when it calls Secrets Manager: only then is its final answer a refresh.
  upstream?: boolean
}

/**
 * A secret cache for the edge: a bounded LRU in memory (per isolate), then an optional shared
 * store (Workers KV through {@link KvStore}), then Secrets Manager. One upstream call per key and
 * refresh however many reads arrive; a due entry is refreshed in the background while the cached
 * value is served; transient upstream failures keep the last good value and back off.
 *
 * @example
 * ```ts
 * import { SecretsManagerClient, fromEnv } from 'edge-secrets/client'
 * import { KvStore, SecretCache } from 'edge-secrets/cache'
 *
 * let cache: SecretCache | undefined
 * export default {
 *   async fetch(request, env, ctx) {
 *     cache ??= new SecretCache({
 *       client: new SecretsManagerClient(fromEnv(env)),
 *       store: new KvStore(env.SECRETS_CACHE, { encryptionKeys: [env.CACHE_ENCRYPTION_KEY] }),
 *     })
 *     const password = await cache.getSecretString('prod/db/password', { waitUntil: ctx.waitUntil.bind(ctx) })
 *     // …
 *   },
 * }
 * ```
 */
export class SecretCache {
  readonly #client: SecretCacheClient
  readonly #store: CacheStore | undefined
  readonly #codec: SecretCacheCodec | undefined
  readonly #maxEntries: number
  readonly #refreshIntervalMs: number
  readonly #defaultVersionStage: string
  readonly #retryDelayBaseMs: number
  readonly #retryGrowthFactor: number
  readonly #retryDelayMaxMs: number
  readonly #staleWhileRefresh: boolean
  readonly #missingSecretTtlMs: number
  readonly #memoryTtlMs: number
  readonly #waiterTimeoutMs: number | undefined
  readonly #now: () => number
  readonly #random: () => number
  // The memory tier, in order of use (oldest first): an LRU through delete-and-set.
  readonly #slots = new Map<string, Slot>()
  // The slot set or touched last: already at the end of #slots' order.
  #newest: string | undefined
  // Default-stage reads' keys and key strings, by SecretId.
  readonly #defaultKeys = new Map<string, { key: CacheKey; name: string }>()
  readonly #missing = new Map<string, Missing>()
  readonly #flights = new Map<string, Flight>()
  // Store writes still under way, so `invalidate` can wait for them before deleting.
  readonly #writes = new Set<{ SecretId: string; written: Latch<void> }>()
  // Store deletions under way, per secret id, so no load reads what is being deleted.
  readonly #deletions = new Map<string, Latch<void>>()
  readonly #stats: SecretCacheStats = {
    memoryHits: 0,
    storeHits: 0,
    misses: 0,
    upstreamCalls: 0,
    staleServed: 0,
    refreshFailures: 0,
    coalescedWaiters: 0,
    storeReads: 0,
    storeWrites: 0,
    storeErrors: 0,
  }

  /**
   * @param options The client, and optionally a store, a codec and the refresh settings.
   * @throws {TypeError} When `client` is missing or an option is out of range.
   * @example
   * ```ts
   * const cache = new SecretCache({ client: new SecretsManagerClient(fromEnv(env)), refreshIntervalMs: 300_000 })
   * ```
   */
  constructor(options: SecretCacheOptions) {
    if (options?.client == null) throw new TypeError('client is a required option')
    if (typeof options.client.getSecretValue !== 'function') {
      throw new TypeError('client must have a getSecretValue method')
    }
    const merged = { ...DEFAULT_OPTIONS, ...withoutUndefined(options) } as typeof DEFAULT_OPTIONS &
      Pick<SecretCacheOptions, 'client' | 'store' | 'codec'>
    if (!Number.isInteger(merged.maxEntries) || merged.maxEntries < 1) {
      throw new TypeError('maxEntries must be a positive integer')
    }
    for (const name of [
      'refreshIntervalMs',
      'retryDelayBaseMs',
      'retryDelayMaxMs',
      'missingSecretTtlMs',
      'memoryTtlMs',
    ] as const) {
      const value: unknown = merged[name]
      if (typeof value !== 'number' || !(value >= 0)) {
        throw new TypeError(`${name} must be a number, 0 or more`)
      }
    }
    if (typeof merged.retryGrowthFactor !== 'number' || !(merged.retryGrowthFactor >= 1)) {
      throw new TypeError('retryGrowthFactor must be at least 1')
    }
    if (typeof merged.defaultVersionStage !== 'string' || merged.defaultVersionStage === '') {
      throw new TypeError('defaultVersionStage must be a non-empty string')
    }
    const waiter: unknown = options.waiterTimeoutMs
    if (
      waiter !== undefined &&
      (typeof waiter !== 'number' || !(waiter > 0) || waiter > MAX_TIMER_MS)
    ) {
      throw new TypeError(`waiterTimeoutMs must be more than 0 and at most ${MAX_TIMER_MS}`)
    }
    this.#client = merged.client
    this.#store = merged.store
    this.#codec = merged.codec
    this.#maxEntries = merged.maxEntries
    this.#refreshIntervalMs = merged.refreshIntervalMs
    this.#defaultVersionStage = merged.defaultVersionStage
    this.#retryDelayBaseMs = merged.retryDelayBaseMs
    this.#retryGrowthFactor = merged.retryGrowthFactor
    this.#retryDelayMaxMs = merged.retryDelayMaxMs
    this.#staleWhileRefresh = merged.staleWhileRefresh
    this.#missingSecretTtlMs = merged.missingSecretTtlMs
    this.#memoryTtlMs = merged.memoryTtlMs
    this.#waiterTimeoutMs = options.waiterTimeoutMs
    this.#now = merged.now
    this.#random = merged.random
  }

  /**
   * Reads a string secret through the cache.
   *
   * @param secretId Name or ARN.
   * @param opts `VersionStage` or `VersionId`, `waitUntil`, `signal`.
   * @returns The SecretString.
   * @throws {SecretsManagerError} The upstream error when nothing usable is cached;
   *   `UnexpectedSecretTypeError` for a binary secret.
   * @example
   * ```ts
   * const apiKey = await cache.getSecretString('prod/app/api-key', { waitUntil: ctx.waitUntil.bind(ctx) })
   * ```
   */
  async getSecretString(secretId: string, opts: CacheReadOptions = {}): Promise<string> {
    return readString('getSecretString', secretId, await this.#read(secretId, opts))
  }

  /**
   * Reads a secret as bytes through the cache: SecretBinary, or a SecretString as UTF-8.
   *
   * @param secretId Name or ARN.
   * @param opts `VersionStage` or `VersionId`, `waitUntil`, `signal`.
   * @returns A fresh copy of the bytes (the cache keeps its own).
   * @throws {SecretsManagerError} As for {@link getSecretString}.
   * @example
   * ```ts
   * const key = await cache.getSecretBinary('prod/app/signing-key')
   * ```
   */
  async getSecretBinary(secretId: string, opts: CacheReadOptions = {}): Promise<Uint8Array> {
    const value = await this.#read(secretId, opts)
    if (value.SecretBinary !== undefined) return value.SecretBinary.slice()
    if (value.SecretString !== undefined) return new TextEncoder().encode(value.SecretString)
    throw noValue('getSecretBinary', secretId)
  }

  /**
   * Reads a string secret through the cache and parses it as JSON (on every call, so callers
   * never share one mutable object).
   *
   * @param secretId Name or ARN.
   * @param opts `VersionStage` or `VersionId`, `waitUntil`, `signal`.
   * @returns The parsed value, typed as `T` (not checked).
   * @throws {SecretsManagerError} `InvalidJsonError` naming the secret, never quoting it.
   * @example
   * ```ts
   * const { password } = await cache.getSecretJson<{ password: string }>('prod/db')
   * ```
   */
  async getSecretJson<T = unknown>(secretId: string, opts: CacheReadOptions = {}): Promise<T> {
    const text = readString('getSecretJson', secretId, await this.#read(secretId, opts))
    return parseJson<T>('getSecretJson', secretId, text)
  }

  /**
   * Reads the whole GetSecretValue output through the cache.
   *
   * @param secretId Name or ARN.
   * @param opts `VersionStage` or `VersionId`, `waitUntil`, `signal`.
   * @returns A copy of ARN, Name, VersionId, VersionStages, CreatedDate and the value.
   * @throws {SecretsManagerError} The upstream error when nothing usable is cached.
   * @example
   * ```ts
   * const { VersionId, SecretString } = await cache.getSecretValue('prod/db', { VersionStage: 'AWSPREVIOUS' })
   * ```
   */
  async getSecretValue(
    secretId: string,
    opts: CacheReadOptions = {}
  ): Promise<GetSecretValueResponse> {
    return copyValue(await this.#read(secretId, opts))
  }

  /**
   * Reads a secret like {@link getSecretValue}, and says where the answer came from: memory,
   * the shared store, or Secrets Manager, and whether it was a value due for refresh (or kept
   * through an upstream failure). For logs and metrics.
   *
   * With `refresh: true` it is {@link refreshNow} followed by the read: the answer is the
   * fresh value from Secrets Manager, or the refresh's error (never the value kept through it),
   * as the Secrets Manager Agent answers `refreshNow=true`.
   *
   * @param secretId Name or ARN.
   * @param opts `VersionStage` or `VersionId`, `refresh`, `waitUntil`, `signal`.
   * @returns `{ value, source, stale }`.
   * @throws {SecretsManagerError} The upstream error when nothing usable is cached, or when a
   *   forced refresh failed.
   * @example
   * ```ts
   * const { value, source } = await cache.lookup('prod/db')
   * console.log(JSON.stringify({ secret: 'prod/db', source }))
   * ```
   */
  async lookup(secretId: string, opts: CacheLookupOptions = {}): Promise<CacheLookup> {
    const key = this.#keyFor(secretId, opts)
    const name = cacheKeyString(key)
    if (opts.refresh === true && !(await this.refreshNow(secretId, opts))) {
      // The refresh recorded its failure on the entry (kept through a transient error) or on
      // the missing key (dropped after a permanent one).
      const failure = this.#slots.get(name)?.failure ?? this.#missing.get(name)?.failure
      throw (
        failure?.error ??
        new SecretsManagerError({
          operation: 'GetSecretValue',
          code: 'TimeoutError',
          detail: 'the forced refresh did not finish in time',
        })
      )
    }
    const outcome = await this.#readKey(key, name, opts)
    if (!outcome.ok) throw outcome.error
    return {
      value: copyValue(outcome.entry.value),
      source: opts.refresh === true ? 'upstream' : outcome.source,
      stale: opts.refresh === true ? false : outcome.stale === true,
    }
  }

  /**
   * Reads many secrets (the default stage) through the cache, filling the misses with as few
   * BatchGetSecretValue calls as possible (20 ids each; one GetSecretValue each when the client
   * has no `batchGetSecretValue` or the default stage is not AWSCURRENT). A failure of one id is
   * an `Errors` entry and never fails the others.
   *
   * @param secretIds Names or ARNs; repeated ids are answered once.
   * @param opts `waitUntil`, `signal`.
   * @returns `{ SecretValues, Errors }`, each entry with `SecretId` as the caller wrote it, in the
   *   order of `secretIds`.
   * @throws {TypeError} When `secretIds` is not an array of non-empty strings.
   * @example
   * ```ts
   * const { SecretValues, Errors } = await cache.getSecretValues(['prod/db', 'prod/api-key'])
   * ```
   */
  async getSecretValues(
    secretIds: readonly string[],
    opts: CacheBatchOptions = {}
  ): Promise<CachedBatchResult> {
    if (!Array.isArray(secretIds) || secretIds.some((id) => typeof id !== 'string' || !id)) {
      throw new TypeError('secretIds must be an array of non-empty strings')
    }
    opts.signal?.throwIfAborted()
    const ids = [...new Set(secretIds)]
    const readOpts = { waitUntil: opts.waitUntil, signal: opts.signal }
    const answers = new Map<string, Promise<Outcome>>()
    const toLoad: CacheKey[] = []
    for (const id of ids) {
      const key = this.#keyFor(id, {})
      const name = cacheKeyString(key)
      if (this.#slots.has(name) || this.#missing.has(name) || this.#flights.has(name)) {
        answers.set(id, settle(this.#readKey(key, name, readOpts)))
      } else {
        toLoad.push(key)
      }
    }
    if (toLoad.length > 0) {
      const flights = this.#startBatch(toLoad)
      for (const [i, key] of toLoad.entries()) {
        const flight = flights[i] as Flight
        opts.waitUntil?.(flight.done)
        const outcome = untilAborted(flight.result, opts.signal)
        answers.set(
          key.SecretId,
          settle(outcome.then((o) => this.#serveStale(this.#countMiss(o), undefined)))
        )
      }
    }
    await Promise.all(answers.values())
    opts.signal?.throwIfAborted()
    const result: CachedBatchResult = { SecretValues: [], Errors: [] }
    for (const id of ids) {
      const outcome = await (answers.get(id) as Promise<Outcome>)
      if (outcome.ok) {
        result.SecretValues.push({ ...copyValue(outcome.entry.value), SecretId: id })
      } else {
        result.Errors.push({ SecretId: id, ...errorEntry(outcome.error) })
      }
    }
    return result
  }

  /**
   * Refreshes one entry from Secrets Manager at once (skipping the store), without waiting for
   * a backoff delay; joins a load already in flight for it instead of starting a second.
   *
   * @param secretId Name or ARN.
   * @param opts `VersionStage` or `VersionId`, `waitUntil`, `signal`.
   * @returns Whether the refresh succeeded; on failure the cache keeps what it had, as after a
   *   failed background refresh.
   * @example
   * ```ts
   * if (!(await cache.refreshNow('prod/db'))) console.warn('prod/db could not be refreshed')
   * ```
   */
  async refreshNow(secretId: string, opts: CacheReadOptions = {}): Promise<boolean> {
    opts.signal?.throwIfAborted()
    const key = this.#keyFor(secretId, opts)
    const name = cacheKeyString(key)
    const existing = this.#flights.get(name)
    // A load that will ask AWS (or find a fresher stored value) is joined; a re-read of the
    // store is not a refresh, and one older than a waiter's patience is taken to be dead.
    if (existing !== undefined && existing.kind !== 'sync' && !this.#isDead(existing)) {
      this.#stats.coalescedWaiters++
      const refreshed = await existing.refreshed.wait(this.#waiterLimitMs(), opts.signal)
      // A load answered by a fresh stored value did not ask AWS: refreshNow must.
      if (refreshed !== TIMED_OUT && existing.upstream === true) return refreshed
    }
    const own = this.#start(key, name, 'force')
    opts.waitUntil?.(own.done)
    await untilAborted(own.result, opts.signal)
    return own.refreshed.value === true
  }

  /**
   * Forgets a secret in both tiers: every stage and version of `secretId` in memory and in the
   * store. A load in flight for it still answers the reads that joined it, but is not written
   * back. A failed store deletion is counted in `stats().storeErrors`, not thrown.
   *
   * @param secretId The id as the reads wrote it (a name and an ARN are different entries).
   * @returns When the store has deleted them.
   * @example
   * ```ts
   * await sm.putSecretValue({ SecretId: 'prod/db', SecretString: next })
   * await cache.invalidate('prod/db')
   * ```
   */
  async invalidate(secretId: string): Promise<void> {
    for (const [name, slot] of this.#slots) {
      if (slot.key.SecretId === secretId) this.#slots.delete(name)
    }
    for (const [name, missing] of this.#missing) {
      if (missing.key.SecretId === secretId) this.#missing.delete(name)
    }
    for (const [name, flight] of this.#flights) {
      if (flight.key.SecretId !== secretId) continue
      flight.stale = true
      this.#flights.delete(name)
    }
    const store = this.#store
    if (store === undefined) return
    // Every write of this id under way, not only the latest of each key.
    const pending = [...this.#writes].filter((write) => write.SecretId === secretId)
    const deletion = new Latch<void>()
    this.#deletions.set(secretId, deletion)
    try {
      // A write that started before us must not land after our deletion.
      const limitMs = this.#waiterLimitMs()
      await Promise.all(pending.map(({ written }) => written.wait(limitMs)))
      await store.delete(secretId)
    } catch {
      this.#stats.storeErrors++
    } finally {
      deletion.settle()
      if (this.#deletions.get(secretId) === deletion) this.#deletions.delete(secretId)
    }
  }

  /**
   * Empties the memory tier (the store keeps its entries). Loads in flight are not written back.
   */
  clear(): void {
    this.#slots.clear()
    this.#newest = undefined
    this.#missing.clear()
    for (const flight of this.#flights.values()) flight.stale = true
    this.#flights.clear()
  }

  /**
   * Counters since the cache was made. They never hold a secret value.
   *
   * @returns A snapshot: hits per tier, misses, upstream calls, stale values served, refresh
   *   failures, coalesced waiters, store reads, writes and errors.
   */
  stats(): SecretCacheStats {
    return { ...this.#stats }
  }

  // --- reading ---------------------------------------------------------------------------------

  // A read of the default stage (the common case) reuses its key and key string: building them
  // (JSON.stringify) was a fifth of a memory hit. Bounded like the memory tier.
  #keyAndName(secretId: string, opts: CacheReadOptions): { key: CacheKey; name: string } {
    if (opts.VersionId == null && opts.VersionStage == null && typeof secretId === 'string') {
      const known = this.#defaultKeys.get(secretId)
      if (known !== undefined) return known
      const key = this.#keyFor(secretId, opts)
      const made = { key, name: cacheKeyString(key) }
      if (this.#defaultKeys.size >= this.#maxEntries) this.#defaultKeys.clear()
      this.#defaultKeys.set(secretId, made)
      return made
    }
    const key = this.#keyFor(secretId, opts)
    return { key, name: cacheKeyString(key) }
  }

  #keyFor(SecretId: string, opts: CacheReadOptions): CacheKey {
    if (typeof SecretId !== 'string' || SecretId === '') {
      throw new TypeError('secretId must be a non-empty string')
    }
    if (opts.VersionId != null) {
      return opts.VersionStage == null
        ? { SecretId, VersionId: opts.VersionId }
        : { SecretId, VersionId: opts.VersionId, VersionStage: opts.VersionStage }
    }
    return { SecretId, VersionStage: opts.VersionStage ?? this.#defaultVersionStage }
  }

  async #read(secretId: string, opts: CacheReadOptions): Promise<GetSecretValueResponse> {
    const { key, name } = this.#keyAndName(secretId, opts)
    const outcome = await this.#readKey(key, name, opts)
    if (outcome.ok) return outcome.entry.value
    throw outcome.error
  }

  async #readKey(key: CacheKey, name: string, opts: CacheReadOptions): Promise<Outcome> {
    opts.signal?.throwIfAborted()
    const now = this.#now()
    const slot = this.#touch(name)
    if (slot !== undefined) {
      const { entry } = slot
      if (now < entry.refreshAt) {
        this.#stats.memoryHits++
        if (
          this.#store !== undefined &&
          key.VersionId === undefined &&
          now - entry.storeCheckedAt >= this.#memoryTtlMs
        ) {
          // Another isolate may have written a newer value: look, without calling AWS.
          entry.storeCheckedAt = now
          if (this.#staleWhileRefresh) {
            this.#background(key, name, 'sync', opts)
          } else {
            const synced = await this.#join(key, name, 'sync', opts)
            // The re-read found it gone, and so did AWS: do not answer with it.
            if (!synced.ok && !isTransient(synced.error)) return synced
          }
          return { ok: true, entry: this.#slots.get(name)?.entry ?? entry, source: 'memory' }
        }
        return { ok: true, entry, source: 'memory' }
      }
      // Due. While backing off after failures, the last good value is the answer.
      if (slot.failure !== undefined && now < slot.failure.retryAt) {
        this.#stats.staleServed++
        return { ok: true, entry, source: 'memory', stale: true }
      }
      if (this.#staleWhileRefresh) {
        this.#background(key, name, 'refresh', opts)
        this.#stats.staleServed++
        return { ok: true, entry, source: 'memory', stale: true }
      }
      return this.#serveStale(await this.#join(key, name, 'refresh', opts), entry)
    }
    // A failure of a key without a value is remembered for its backoff delay.
    const missing = this.#missing.get(name)
    if (missing !== undefined && now < missing.failure.retryAt) {
      return { ok: false, error: missing.failure.error }
    }
    return this.#serveStale(await this.#join(key, name, 'miss', opts), undefined)
  }

  // A transient failure is answered with the last good value, when there is one.
  #serveStale(outcome: Outcome, entry: Entry | undefined): Outcome {
    if (outcome.ok) return outcome
    const stale = outcome.stale ?? (isTransient(outcome.error) ? entry : undefined)
    if (stale === undefined) return outcome
    this.#stats.staleServed++
    return { ok: true, entry: stale, source: 'memory', stale: true }
  }

  // Counts a miss's outcome: answered from the store, or it waited for upstream.
  #countMiss(outcome: Outcome): Outcome {
    if (outcome.ok && outcome.source === 'store') this.#stats.storeHits++
    else this.#stats.misses++
    if (outcome.ok && outcome.stale) this.#stats.staleServed++
    return outcome
  }

  // Joins the load in flight for `name`, or starts one and owns it. The owner keeps the load
  // alive (it awaits it and hands it to `waitUntil`). A joiner waits at most the client's time
  // limit: in workerd, a promise made by another request never settles once that request is
  // gone, so it then starts a load of its own rather than hang.
  async #join(
    key: CacheKey,
    name: string,
    kind: LoadKind,
    opts: CacheReadOptions,
    takeovers = 0
  ): Promise<Outcome> {
    const flight = this.#flights.get(name)
    // A re-read of the store is no answer for a read that needs a refresh or a value.
    const unfit = flight?.kind === 'sync' && kind !== 'sync'
    if (flight === undefined || takeovers >= 2 || unfit) {
      const own = this.#start(key, name, kind)
      opts.waitUntil?.(own.done)
      const outcome = await untilAborted(own.result, opts.signal)
      return kind === 'miss' ? this.#countMiss(outcome) : outcome
    }
    if (takeovers === 0) this.#stats.coalescedWaiters++
    const waited = await flight.outcome.wait(this.#waiterLimitMs(), opts.signal)
    // (It may have answered just as the wait ran out: then take the answer.)
    const outcome = waited === TIMED_OUT ? flight.outcome.value : waited
    if (outcome !== undefined) return kind === 'miss' ? this.#countMiss(outcome) : outcome
    // Given up on: it may never answer, and if it does it must not write over what replaces it.
    if (this.#flights.get(name) === flight) {
      flight.stale = true
      this.#flights.delete(name)
    }
    return this.#join(key, name, kind, opts, takeovers + 1)
  }

  // Starts a load nobody waits for (a background refresh), unless one is in flight. One older
  // than a waiter's patience is taken to be dead (in workerd, its request was cancelled, or it
  // ran without `waitUntil`), or the key would never be refreshed again.
  #background(key: CacheKey, name: string, kind: LoadKind, opts: CacheReadOptions): void {
    const existing = this.#flights.get(name)
    if (existing !== undefined && !this.#isDead(existing)) return
    const flight = this.#start(key, name, kind)
    opts.waitUntil?.(flight.done)
  }

  #isDead(flight: Flight): boolean {
    return this.#now() - flight.startedAt >= this.#waiterLimitMs()
  }

  #waiterLimitMs(): number {
    return this.#waiterTimeoutMs ?? (this.#client.timeoutMs || DEFAULT_WAITER_TIMEOUT_MS)
  }

  // --- loading ---------------------------------------------------------------------------------

  // A new flight, registered under `name`; one it replaces is stale (never written back).
  // `deliver` settles it once: its owner's `result`, and each joiner's wait; `release` records
  // its final answer for `refreshNow` and lets the next load start.
  #newFlight(key: CacheKey, name: string, kind: LoadKind) {
    let resolve!: (outcome: Outcome) => void
    const result = new Promise<Outcome>((r) => {
      resolve = r
    })
    const flight: Flight = {
      key,
      kind,
      startedAt: this.#now(),
      result,
      done: Promise.resolve(),
      stale: false,
      outcome: new Latch(),
      refreshed: new Latch(),
    }
    const replaced = this.#flights.get(name)
    if (replaced !== undefined) replaced.stale = true
    this.#flights.set(name, flight)
    const deliver = (outcome: Outcome) => {
      if (flight.outcome.settled) return
      flight.outcome.settle(outcome)
      resolve(outcome)
    }
    const release = (refreshed: boolean) => {
      flight.refreshed.settle(refreshed)
      if (this.#flights.get(name) === flight) this.#flights.delete(name)
    }
    return { key, name, flight, deliver, release }
  }

  #start(key: CacheKey, name: string, kind: LoadKind): Flight {
    const { flight, deliver, release } = this.#newFlight(key, name, kind)
    flight.done = this.#load(key, name, kind, flight, deliver, release).catch(() => {
      // #load handles its own failures; this only keeps a bug from being an unhandled rejection.
      deliver({ ok: false, error: internalError(key) })
      release(false)
    })
    return flight
  }

  // Loads one key: the store first (unless forced), then Secrets Manager.
  async #load(
    key: CacheKey,
    name: string,
    kind: LoadKind,
    flight: Flight,
    deliver: (outcome: Outcome) => void,
    release: (refreshed: boolean) => void
  ): Promise<void> {
    let fallback: Entry | undefined
    if (kind !== 'force') {
      const found = await this.#fromStore(key, name, kind, flight)
      if (found.answer !== undefined) {
        deliver({ ok: true, entry: found.answer, source: 'store', stale: found.refresh === true })
        if (!found.refresh) return release(true)
      }
      fallback = found.stale
    }
    flight.upstream = true
    const fetched = await this.#fetchOne(key)
    await this.#settle(key, name, flight, fetched, fallback, deliver, release)
  }

  // Reads the store for a load. `answer` is what readers get now; `refresh` says an upstream
  // call must still follow (the stored value is due, and is served meanwhile); `stale` is a due
  // stored value to fall back on when that call fails transiently.
  async #fromStore(
    key: CacheKey,
    name: string,
    kind: LoadKind,
    flight: Flight
  ): Promise<{ answer?: Entry; refresh?: boolean; stale?: Entry }> {
    const store = this.#store
    if (store === undefined) return {}
    await this.#deletions.get(key.SecretId)?.wait(this.#waiterLimitMs())
    const read = await this.#storeGet(store, key, name)
    const stored = read.entry
    const now = this.#now()
    const current = this.#slots.get(name)?.entry
    if (stored === undefined) {
      if (kind !== 'sync' || current === undefined) return current ? { stale: current } : {}
      // A re-read that finds nothing: refetch only when the store is known to have held this
      // entry (so someone removed it, e.g. `invalidate` in another isolate). A store that failed
      // to answer, or a write of ours that failed, is no reason to call AWS every memoryTtlMs.
      return read.failed || current.stored !== true ? { answer: current } : {}
    }
    const newer = current === undefined || stored.fetchedAt > current.fetchedAt
    if (kind === 'sync') {
      if (!newer) {
        // Seen there: from now on its absence means someone removed it.
        ;(current as Entry).stored = true
        return { answer: current as Entry }
      }
      return { answer: this.#remember(key, name, flight, this.#entryFrom(key, stored, now)) }
    }
    if (!newer) return current === undefined ? {} : { stale: current }
    const entry = this.#entryFrom(key, stored, now)
    if (now < entry.refreshAt) {
      return { answer: this.#remember(key, name, flight, entry) }
    }
    // Due in the store too. A miss may serve it while refreshing; a due read already has it.
    if (kind === 'miss' && this.#staleWhileRefresh) {
      return { answer: this.#remember(key, name, flight, entry), refresh: true, stale: entry }
    }
    return { stale: entry }
  }

  async #fetchOne(key: CacheKey): Promise<{ value: GetSecretValueResponse } | { error: unknown }> {
    this.#stats.upstreamCalls++
    try {
      // No signal: this call is shared, and one caller's abort must not end it for the others.
      return { value: await this.#client.getSecretValue(upstreamRequest(key)) }
    } catch (error) {
      return { error }
    }
  }

  // Records an upstream answer: the new entry (and a store write), or the failure with its
  // backoff. A transient failure keeps the last good value; a permanent one drops it.
  async #settle(
    key: CacheKey,
    name: string,
    flight: Flight,
    fetched: { value: GetSecretValueResponse } | { error: unknown },
    fallback: Entry | undefined,
    deliver: (outcome: Outcome) => void,
    release: (refreshed: boolean) => void
  ): Promise<void> {
    const now = this.#now()
    if ('value' in fetched) {
      const entry = this.#newEntry(key, fetched.value, now, now)
      if (!flight.stale) this.#setSlot(name, { key, entry })
      deliver({ ok: true, entry, source: 'upstream' })
      release(true)
      if (!flight.stale) await this.#storePut(key, name, entry)
      return
    }
    const { error } = fetched
    this.#stats.refreshFailures++
    const transient = isTransient(error)
    const previous = this.#slots.get(name)
    const count = ((previous ?? this.#missing.get(name))?.failure?.count ?? 0) + 1
    let delayMs = Math.min(
      this.#retryDelayBaseMs * this.#retryGrowthFactor ** (count - 1),
      this.#retryDelayMaxMs
    )
    if (isSecretsManagerError(error, 'ResourceNotFoundException')) {
      delayMs = Math.min(delayMs, this.#missingSecretTtlMs)
    }
    const failure = { error, count, retryAt: now + delayMs }
    // Through a transient failure, keep the newest good value: memory's, or a fresher one the
    // store had (written by another isolate) though it was due too.
    const newestFallback =
      fallback !== undefined &&
      (previous === undefined || fallback.fetchedAt > previous.entry.fetchedAt)
    const kept = transient ? (newestFallback ? fallback : previous?.entry) : undefined
    if (!flight.stale) {
      if (kept !== undefined) {
        this.#setSlot(name, { key, entry: kept, failure })
      } else {
        this.#slots.delete(name)
        this.#setMissing(name, { key, failure })
      }
    }
    deliver({ ok: false, error, stale: kept })
    release(false)
    // The value is gone or out of reach: no isolate should serve it from the store either. Only
    // this entry: another stage or version may be fine (AWSPENDING is gone once a rotation ends),
    // and when there was no value, there is nothing to remove.
    // (A forced load never looked at the store, so it may hold a value.)
    const hadValue = previous !== undefined || fallback !== undefined || flight.kind === 'force'
    if (!transient && hadValue && !flight.stale && this.#store !== undefined) {
      try {
        await this.#store.deleteEntry(key)
      } catch {
        this.#stats.storeErrors++
      }
    }
  }

  // Starts one flight per key, filled by BatchGetSecretValue calls of up to 20 ids after each
  // key has looked in the store.
  #startBatch(keys: CacheKey[]): Flight[] {
    const batchable =
      typeof this.#client.batchGetSecretValue === 'function' &&
      this.#defaultVersionStage === 'AWSCURRENT'
    if (!batchable) {
      return keys.map((key) => this.#start(key, cacheKeyString(key), 'miss'))
    }
    const parts = keys.map((key) => this.#newFlight(key, cacheKeyString(key), 'miss'))
    const run = (async () => {
      const looked = await Promise.all(
        parts.map(async (part) => ({
          part,
          found: await this.#fromStore(part.key, part.name, 'miss', part.flight),
        }))
      )
      const upstream: ((typeof looked)[number] & { fallback: Entry | undefined })[] = []
      for (const { part, found } of looked) {
        if (found.answer !== undefined) {
          part.deliver({
            ok: true,
            entry: found.answer,
            source: 'store',
            stale: found.refresh === true,
          })
          if (!found.refresh) {
            part.release(true)
            continue
          }
        }
        upstream.push({ part, found, fallback: found.stale })
      }
      const writes: Promise<void>[] = []
      for (let i = 0; i < upstream.length; i += BATCH_SIZE) {
        const chunk = upstream.slice(i, i + BATCH_SIZE)
        const answers = await this.#fetchBatch(chunk.map(({ part }) => part.key.SecretId))
        for (const { part, fallback } of chunk) {
          const fetched = answers.get(part.key.SecretId) as
            | { value: GetSecretValueResponse }
            | { error: unknown }
          writes.push(
            this.#settle(
              part.key,
              part.name,
              part.flight,
              fetched,
              fallback,
              part.deliver,
              part.release
            )
          )
        }
      }
      await Promise.all(writes)
    })().catch(() => {
      for (const part of parts) {
        part.deliver({ ok: false, error: internalError(part.key) })
        part.release(false)
      }
    })
    for (const part of parts) part.flight.done = run
    return parts.map((part) => part.flight)
  }

  // One BatchGetSecretValue call, its answer mapped back to the ids as requested. An entry is
  // matched by name, full ARN or partial ARN (the ARN without its 6-character suffix).
  async #fetchBatch(
    ids: string[]
  ): Promise<Map<string, { value: GetSecretValueResponse } | { error: unknown }>> {
    const answers = new Map<string, { value: GetSecretValueResponse } | { error: unknown }>()
    this.#stats.upstreamCalls++
    try {
      const batchGet = this.#client.batchGetSecretValue as NonNullable<
        SecretCacheClient['batchGetSecretValue']
      >
      const { SecretValues = [], Errors = [] } = await batchGet.call(this.#client, {
        SecretIdList: ids,
      })
      for (const { SecretId, ErrorCode, Message } of Errors) {
        if (SecretId === undefined || !ids.includes(SecretId)) continue
        answers.set(SecretId, {
          error: new SecretsManagerError({
            operation: 'BatchGetSecretValue',
            code: ErrorCode || 'UnknownError',
            detail: Message,
          }),
        })
      }
      for (const entry of SecretValues) {
        const { ARN, Name, VersionId, SecretString, SecretBinary, VersionStages, CreatedDate } =
          entry
        const value = { ARN, Name, VersionId, SecretString, SecretBinary, VersionStages }
        for (const id of ids) {
          if (answers.has(id) || !matchesId(id, Name, ARN)) continue
          answers.set(id, {
            value: withoutUndefined({ ...value, CreatedDate }) as GetSecretValueResponse,
          })
        }
      }
    } catch (error) {
      for (const id of ids) answers.set(id, { error })
    }
    for (const id of ids) {
      if (answers.has(id)) continue
      answers.set(id, {
        error: new SecretsManagerError({
          operation: 'BatchGetSecretValue',
          code: 'InvalidResponseError',
          detail: `the answer did not mention secret ${JSON.stringify(id)}`,
          retryable: false,
        }),
      })
    }
    return answers
  }

  // --- memory tier -----------------------------------------------------------------------------

  // Looks a slot up and marks it most recently used.
  // Marks a slot most recently used. The newest is already last in the Map's order: re-inserting
  // it on every hit (a third of a memory hit's time) is skipped.
  #touch(name: string): Slot | undefined {
    const slot = this.#slots.get(name)
    if (slot !== undefined && name !== this.#newest) {
      this.#slots.delete(name)
      this.#slots.set(name, slot)
      this.#newest = name
    }
    return slot
  }

  #setSlot(name: string, slot: Slot): void {
    this.#missing.delete(name)
    boundedSet(this.#slots, name, slot, this.#maxEntries)
    this.#newest = name
  }

  #setMissing(name: string, missing: Missing): void {
    boundedSet(this.#missing, name, missing, this.#maxEntries)
  }

  // Puts an entry that came from the store into memory (unless the load went stale).
  #remember(key: CacheKey, name: string, flight: Flight, entry: Entry): Entry {
    if (!flight.stale) this.#setSlot(name, { key, entry })
    return entry
  }

  #newEntry(key: CacheKey, value: GetSecretValueResponse, fetchedAt: number, now: number): Entry {
    // Pinned versions never change. Stages move: refresh after a random time between half and
    // all of the interval, so isolates (and keys) do not all refresh at once.
    const refreshAt =
      key.VersionId !== undefined
        ? Number.POSITIVE_INFINITY
        : fetchedAt + this.#refreshIntervalMs * (0.5 + 0.5 * this.#random())
    return { value, fetchedAt, refreshAt, storeCheckedAt: now }
  }

  #entryFrom(key: CacheKey, stored: StoredEntry, now: number): Entry {
    return { ...this.#newEntry(key, stored.value, stored.fetchedAt, now), stored: true }
  }

  // --- store tier ------------------------------------------------------------------------------

  async #storeGet(
    store: CacheStore,
    key: CacheKey,
    name: string
  ): Promise<{ entry?: StoredEntry | undefined; failed?: boolean }> {
    this.#stats.storeReads++
    let text: string | undefined
    try {
      text = await store.get(key)
    } catch {
      this.#stats.storeErrors++
      return { failed: true }
    }
    if (text === undefined || text === null) return {}
    try {
      if (this.#codec !== undefined) text = await this.#codec.decode(text)
    } catch {
      this.#stats.storeErrors++
      return {}
    }
    // A corrupt or foreign entry is a miss; the load that follows overwrites it.
    return { entry: parseStoredEntry(text, name) }
  }

  async #storePut(key: CacheKey, name: string, entry: Entry): Promise<void> {
    const store = this.#store
    if (store === undefined) return
    const write = (async () => {
      this.#stats.storeWrites++
      try {
        let text = serializeEntry(name, entry)
        if (this.#codec !== undefined) text = await this.#codec.encode(text)
        await store.put(key, text)
        entry.stored = true
      } catch {
        // KV's 429 and friends: the read has its value, the store just misses this one.
        entry.stored = false
        this.#stats.storeErrors++
      }
    })()
    const pending = { SecretId: key.SecretId, written: new Latch<void>() }
    this.#writes.add(pending)
    try {
      await write
    } finally {
      this.#writes.delete(pending)
      pending.written.settle()
    }
  }
}

// --- entries in the store ------------------------------------------------------------------------

interface StoredEntry {
  value: GetSecretValueResponse
  fetchedAt: number
}

// The stored form: the cache key (checked on the way back, so an entry copied under another key
// is refused), when it was fetched, and the value with base64 bytes and epoch-ms dates.
function serializeEntry(name: string, entry: Entry): string {
  const { SecretBinary, CreatedDate, ...rest } = entry.value
  return JSON.stringify({
    format: ENTRY_FORMAT,
    key: name,
    fetchedAt: entry.fetchedAt,
    value: {
      ...rest,
      ...(SecretBinary === undefined ? {} : { SecretBinary: toBase64(SecretBinary) }),
      ...(CreatedDate === undefined ? {} : { CreatedDate: CreatedDate.getTime() }),
    },
  })
}

function parseStoredEntry(text: string, name: string): StoredEntry | undefined {
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>
    if (parsed === null || typeof parsed !== 'object') return undefined
    if (parsed.format !== ENTRY_FORMAT || parsed.key !== name) return undefined
    if (typeof parsed.fetchedAt !== 'number' || !Number.isFinite(parsed.fetchedAt)) return undefined
    const raw = parsed.value as Record<string, unknown> | null
    if (raw === null || typeof raw !== 'object') return undefined
    const value: GetSecretValueResponse = {}
    for (const member of ['ARN', 'Name', 'VersionId', 'SecretString'] as const) {
      const field = raw[member]
      if (field === undefined) continue
      if (typeof field !== 'string') return undefined
      value[member] = field
    }
    if (raw.SecretBinary !== undefined) {
      if (typeof raw.SecretBinary !== 'string') return undefined
      value.SecretBinary = fromBase64(raw.SecretBinary)
    }
    if (raw.VersionStages !== undefined) {
      const stages = raw.VersionStages
      if (!Array.isArray(stages) || stages.some((s) => typeof s !== 'string')) return undefined
      value.VersionStages = stages as string[]
    }
    if (raw.CreatedDate !== undefined) {
      if (typeof raw.CreatedDate !== 'number') return undefined
      value.CreatedDate = new Date(raw.CreatedDate)
    }
    return { value, fetchedAt: parsed.fetchedAt }
  } catch {
    return undefined
  }
}

// --- helpers ---------------------------------------------------------------------------------------

// Sets `key` as the most recent entry of a Map used as an LRU, dropping the oldest past `max`.
function boundedSet<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key)
  map.set(key, value)
  for (const oldest of map.keys()) {
    if (map.size <= max) break
    map.delete(oldest)
  }
}

function upstreamRequest(key: CacheKey): GetSecretValueRequest {
  const request: GetSecretValueRequest = { SecretId: key.SecretId }
  if (key.VersionId !== undefined) request.VersionId = key.VersionId
  if (key.VersionStage !== undefined) request.VersionStage = key.VersionStage
  return request
}

// Throttling, 5xx, network failures and timeouts are worth serving stale through; anything the
// client calls final (not found, marked for deletion, access denied after its clock correction)
// is not. An error that is not the client's (a custom client's bug) is treated as transient, so
// a good value is never dropped because of it.
function isTransient(error: unknown): boolean {
  return isSecretsManagerError(error) ? error.retryable : true
}

function matchesId(id: string, name: string | undefined, arn: string | undefined): boolean {
  if (id === name || id === arn) return true
  return arn !== undefined && arn.length === id.length + 7 && arn.startsWith(`${id}-`)
}

function errorEntry(error: unknown): { ErrorCode: string; Message: string } {
  if (isSecretsManagerError(error)) return { ErrorCode: error.code, Message: error.message }
  return { ErrorCode: 'UnknownError', Message: `the read failed (${constructorName(error)})` }
}

function internalError(key: CacheKey): SecretsManagerError {
  return new SecretsManagerError({
    operation: 'SecretCache',
    code: 'InternalCacheError',
    detail: `loading secret ${JSON.stringify(key.SecretId)} failed unexpectedly`,
    retryable: true,
  })
}

function noValue(method: string, secretId: string): SecretsManagerError {
  return new SecretsManagerError({
    operation: method,
    code: 'InvalidResponseError',
    detail: `GetSecretValue returned no value for secret ${JSON.stringify(secretId)}`,
    retryable: false,
  })
}

function readString(method: string, secretId: string, value: GetSecretValueResponse): string {
  if (value.SecretString !== undefined) return value.SecretString
  if (value.SecretBinary === undefined) throw noValue(method, secretId)
  throw new SecretsManagerError({
    operation: method,
    code: 'UnexpectedSecretTypeError',
    detail: `secret ${JSON.stringify(secretId)} holds a binary value; use getSecretBinary`,
    retryable: false,
  })
}

/**
 * Parses a secret's text as JSON, failing with an error that names the secret but never quotes
 * the value (a SyntaxError's message would).
 *
 * @param method The method to name in the error.
 * @param secretId The secret to name in the error.
 * @param text The value.
 * @returns The parsed value.
 * @throws {SecretsManagerError} `InvalidJsonError`.
 */
export function parseJson<T>(method: string, secretId: string, text: string): T {
  try {
    return JSON.parse(text) as T
  } catch {
    throw new SecretsManagerError({
      operation: method,
      code: 'InvalidJsonError',
      detail: `the value of secret ${JSON.stringify(secretId)} is not valid JSON`,
      retryable: false,
    })
  }
}

// A copy a caller may change without changing the cache.
function copyValue(value: GetSecretValueResponse): GetSecretValueResponse {
  const copy = { ...value }
  if (value.SecretBinary !== undefined) copy.SecretBinary = value.SecretBinary.slice()
  if (value.VersionStages !== undefined) copy.VersionStages = [...value.VersionStages]
  if (value.CreatedDate !== undefined) copy.CreatedDate = new Date(value.CreatedDate.getTime())
  return copy
}

function settle(promise: Promise<Outcome>): Promise<Outcome> {
  return promise.catch((error: unknown) => ({ ok: false, error }))
}

function withoutUndefined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T
}

function constructorName(value: unknown): string {
  return (value as { constructor?: { name?: string } } | null)?.constructor?.name || typeof value
}
