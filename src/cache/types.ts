import type {
  BatchGetSecretValueRequest,
  BatchGetSecretValueResponse,
  GetSecretValueRequest,
  GetSecretValueResponse,
  RequestOptions,
} from '../client/types.js'

/**
 * What the cache needs of a Secrets Manager client: `getSecretValue`, and `batchGetSecretValue`
 * for {@link SecretCache.getSecretValues} (without it, a batch is read one secret at a time).
 * `SecretsManagerClient` from `edge-secrets/client` satisfies it; so does a test double.
 */
export interface SecretCacheClient {
  getSecretValue(
    input: GetSecretValueRequest,
    opts?: RequestOptions
  ): Promise<GetSecretValueResponse>
  batchGetSecretValue?(
    input: BatchGetSecretValueRequest,
    opts?: RequestOptions
  ): Promise<BatchGetSecretValueResponse>
  /**
   * The client's time limit per attempt, when it has one (`SecretsManagerClient` does). A read
   * waiting for another read's upstream call gives up after this long and calls for itself.
   */
  readonly timeoutMs?: number | undefined
}

/** Which version of a secret an entry holds: a stage, a version id, or both. */
export interface CacheKey {
  /** The secret id exactly as the caller wrote it (a name or an ARN). */
  SecretId: string
  VersionId?: string | undefined
  VersionStage?: string | undefined
}

/**
 * A shared tier behind the memory tier: Workers KV ({@link KvStore}), or your own (a Durable
 * Object, a database). It stores opaque strings the cache made (already passed through the
 * `codec`); the cache keeps freshness inside them, so a store needs no clock of its own.
 *
 * Every method may reject: the cache treats a failed `get` as a miss and a failed `put` or
 * `delete` as not done, and never fails a read because of it.
 */
export interface CacheStore {
  /** The entry stored under `key`, or `undefined`. */
  get(key: CacheKey): Promise<string | undefined>
  /** Stores `value` under `key`, replacing what was there. */
  put(key: CacheKey, value: string): Promise<void>
  /** Removes every entry of `SecretId`, whatever its stage or version (`invalidate`). */
  delete(SecretId: string): Promise<void>
  /** Removes the one entry under `key` (a permanent upstream error for that stage or version). */
  deleteEntry(key: CacheKey): Promise<void>
}

/**
 * Transforms each entry on its way into (`encode`) and out of (`decode`) the shared store; either
 * may be async. The memory tier holds plain values. A `decode` that throws makes the entry a
 * miss. (The Python caching library's `secret_cache_hook`, as one pair of functions.)
 */
export interface SecretCacheCodec {
  encode(value: string): string | Promise<string>
  decode(stored: string): string | Promise<string>
}

/** Per-read options. `VersionId` and `VersionStage` are the client's names. */
export interface CacheReadOptions {
  /** A version to read; such entries never change, so they are never refetched. */
  VersionId?: string | undefined
  /** A stage to read. @default the cache's `defaultVersionStage` ('AWSCURRENT') */
  VersionStage?: string | undefined
  /**
   * Keeps background work alive after the response: pass `ctx.waitUntil.bind(ctx)` in a Worker,
   * or workerd may cancel a refresh or a store write when the request ends.
   */
  waitUntil?: ((promise: Promise<unknown>) => void) | undefined
  /**
   * Stops this caller's wait. An upstream call shared with other callers goes on for them (and
   * fills the cache); only this caller rejects, with `signal.reason`.
   */
  signal?: AbortSignal | undefined
}

/** Options of {@link SecretCache.getSecretValues}: the default stage is read. */
export interface CacheBatchOptions {
  waitUntil?: ((promise: Promise<unknown>) => void) | undefined
  signal?: AbortSignal | undefined
}

/** Constructor options of `SecretCache`. Durations carry their unit in their name. */
export interface SecretCacheOptions {
  /** Anything with `getSecretValue` (and `batchGetSecretValue` for batches). */
  client: SecretCacheClient
  /**
   * The shared tier: another isolate, or another cache on the same store, is served from it
   * without calling AWS. @default none
   */
  store?: CacheStore | undefined
  /** How many entries the memory tier holds, least recently used dropped first. @default 1024 */
  maxEntries?: number | undefined
  /**
   * A stage-addressed entry is due for refresh after a random time between half and all of this.
   * @default 3_600_000 (1 hour)
   */
  refreshIntervalMs?: number | undefined
  /** The stage read when a read names neither stage nor version. @default 'AWSCURRENT' */
  defaultVersionStage?: string | undefined
  /** Wait after the first failed upstream call for a key. @default 1000 */
  retryDelayBaseMs?: number | undefined
  /** Each further consecutive failure multiplies the wait by this. @default 2 */
  retryGrowthFactor?: number | undefined
  /** The longest wait between failed upstream calls. @default 3_600_000 (1 hour) */
  retryDelayMaxMs?: number | undefined
  /**
   * A read of a due entry returns the cached value at once and refreshes in the background;
   * `false` makes it wait for the refresh (and still returns the old value if that fails
   * transiently). @default true
   */
  staleWhileRefresh?: boolean | undefined
  /** The longest a not-found answer is remembered. @default 60_000 */
  missingSecretTtlMs?: number | undefined
  /**
   * How often a memory entry re-reads the shared store (no AWS call), so that a value written
   * through another isolate shows up. @default 60_000
   */
  memoryTtlMs?: number | undefined
  /**
   * How long a read waiting for another read's upstream call waits before it calls for itself
   * (in workerd, the request that started a call may be cancelled, and its call with it).
   * @default the client's `timeoutMs`, else 10_000
   */
  waiterTimeoutMs?: number | undefined
  /** Transforms entries on their way into and out of the store. @default none */
  codec?: SecretCacheCodec | undefined
  /** The clock, epoch milliseconds. @default Date.now */
  now?: (() => number) | undefined
  /** Random numbers in [0, 1), for the refresh jitter. @default Math.random */
  random?: (() => number) | undefined
}

/** Counters since the cache was made (`clear()` keeps them). Never holds a value. */
export interface SecretCacheStats {
  /** Reads answered from memory. */
  memoryHits: number
  /** Reads answered from the shared store (memory missed). */
  storeHits: number
  /** Reads that found nothing usable in either tier and waited for upstream. */
  misses: number
  /** GetSecretValue and BatchGetSecretValue calls made. */
  upstreamCalls: number
  /** Reads answered with a value that was due for refresh. */
  staleServed: number
  /** Upstream calls that failed. */
  refreshFailures: number
  /** Reads that joined an upstream call another read had started. */
  coalescedWaiters: number
  /** Store reads and writes (`get` and `put` calls), and failed store operations. */
  storeReads: number
  storeWrites: number
  storeErrors: number
}

/** Options of {@link SecretCache.lookup}: a read's, and whether to refresh first. */
export interface CacheLookupOptions extends CacheReadOptions {
  /** Refresh from Secrets Manager first (`refreshNow`); its failure is the answer. @default false */
  refresh?: boolean | undefined
}

/** What {@link SecretCache.lookup} answers: the value, and where it came from. */
export interface CacheLookup {
  value: GetSecretValueResponse
  /** `memory`, the shared `store`, or `upstream` (Secrets Manager, now). */
  source: 'memory' | 'store' | 'upstream'
  /** Whether the value was due for refresh, or kept through an upstream failure. */
  stale: boolean
}

/** A BatchGetSecretValue entry as `getSecretValues` returns it: with the id as the caller wrote it. */
export type CachedSecretValueEntry = GetSecretValueResponse & { SecretId: string }

/** The answer of `getSecretValues`, in BatchGetSecretValue's shape. */
export interface CachedBatchResult {
  SecretValues: CachedSecretValueEntry[]
  Errors: { SecretId: string; ErrorCode: string; Message: string }[]
}

/**
 * The one string form of a {@link CacheKey}: the memory tier's key, and what a store binds its
 * entries to (KvStore uses it as AES-GCM associated data). Unambiguous for any id.
 *
 * @param key The secret id with its stage and/or version.
 * @returns A JSON array string.
 */
export function cacheKeyString(key: CacheKey): string {
  return JSON.stringify([key.SecretId, key.VersionId ?? null, key.VersionStage ?? null])
}
