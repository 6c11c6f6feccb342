import { KvStore } from '../cache/kv-store.js'
import { SecretCache } from '../cache/secret-cache.js'
import type { SecretCacheOptions } from '../cache/types.js'
import { SecretsManagerClient } from '../client/client.js'
import { fromEnv } from '../client/env.js'
import type { SecretsManagerClientOptions } from '../client/types.js'
import type { WorkerBindings } from './env.js'
import { WorkerError } from './errors.js'

/** Cache settings the worker passes on to its `SecretCache` (see the cache's options). */
export type WorkerCacheOptions = Omit<SecretCacheOptions, 'client' | 'store' | 'codec'>

/** The isolate's client and cache, made once from the first request's bindings. */
export interface Upstream {
  client: SecretsManagerClient
  cache: SecretCache
}

/**
 * Makes the client and the cache from the bindings: the client from `AWS_*` (or `clientOptions`),
 * the cache in memory plus, when both `SECRETS_CACHE` and `CACHE_ENCRYPTION_KEY` are there, an
 * encrypted KV tier.
 *
 * @param env The bindings.
 * @param clientOptions Makes the client's options; by default `fromEnv(env)`.
 * @param cacheOptions Cache settings.
 * @param notice Logs a line about the configuration (once per isolate, by the caller).
 * @throws {WorkerError} `ServiceUnavailableException` when the upstream is not configured.
 */
export function createUpstream(
  env: WorkerBindings,
  clientOptions: ((env: WorkerBindings) => SecretsManagerClientOptions) | undefined,
  cacheOptions: WorkerCacheOptions,
  notice: (message: string) => void
): Upstream {
  let client: SecretsManagerClient
  try {
    client = new SecretsManagerClient(clientOptions ? clientOptions(env) : fromEnv(env))
  } catch (error) {
    // fromEnv names the missing variable; its message holds no value.
    const reason = error instanceof TypeError ? error.message : 'the client could not be made'
    notice(`Secrets Manager is not configured: ${reason}`)
    throw new WorkerError('ServiceUnavailableException', 'The worker has no upstream configured')
  }
  let store: KvStore | undefined
  const keys = (env.CACHE_ENCRYPTION_KEY ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '')
  if (env.SECRETS_CACHE === undefined) {
    notice('SECRETS_CACHE is not bound: secrets are cached in memory only')
  } else if (keys.length === 0) {
    notice('CACHE_ENCRYPTION_KEY is not set: secrets are cached in memory only, never in KV')
  } else {
    try {
      store = new KvStore(env.SECRETS_CACHE, { encryptionKeys: keys })
    } catch (error) {
      const reason = error instanceof TypeError ? error.message : 'it was refused'
      notice(`CACHE_ENCRYPTION_KEY is not usable (${reason}): secrets are cached in memory only`)
    }
  }
  return { client, cache: new SecretCache({ ...cacheOptions, client, store }) }
}
