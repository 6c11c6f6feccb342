/**
 * `edge-secrets/cache`: a secret cache for the edge. A bounded LRU in memory per isolate, an
 * optional shared store (Workers KV, encrypted), then Secrets Manager through any client with
 * `getSecretValue`: one upstream call per key and refresh, background refreshes that never make
 * a reader wait, and the last good value served while AWS is slow or down.
 *
 * @example
 * ```ts
 * import { SecretsManagerClient, fromEnv } from 'edge-secrets/client'
 * import { KvStore, SecretCache } from 'edge-secrets/cache'
 *
 * let cache: SecretCache | undefined
 * export default {
 *   async fetch(request: Request, env: Env, ctx: ExecutionContext) {
 *     cache ??= new SecretCache({
 *       client: new SecretsManagerClient(fromEnv(env)),
 *       store: new KvStore(env.SECRETS_CACHE, { encryptionKeys: [env.CACHE_ENCRYPTION_KEY] }),
 *     })
 *     const password = await cache.getSecretString('prod/db/password', {
 *       waitUntil: ctx.waitUntil.bind(ctx),
 *     })
 *     return new Response(password.length > 0 ? 'ok' : 'empty')
 *   },
 * }
 * ```
 *
 * @module
 */
export { type KvNamespaceLike, KvStore, type KvStoreOptions } from './kv-store.js'
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js'
export { SecretCache } from './secret-cache.js'
export type {
  CacheBatchOptions,
  CachedBatchResult,
  CachedSecretValueEntry,
  CacheKey,
  CacheLookup,
  CacheLookupOptions,
  CacheReadOptions,
  CacheStore,
  SecretCacheClient,
  SecretCacheCodec,
  SecretCacheOptions,
  SecretCacheStats,
} from './types.js'
export { cacheKeyString } from './types.js'
export {
  type ReadOptionsFor,
  type StringSecretSource,
  withSecretJson,
  withSecretString,
} from './with-secret.js'
