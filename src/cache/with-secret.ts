import { SecretsManagerError } from '../client/errors.js'
import { parseJson } from './secret-cache.js'
import type { CacheReadOptions } from './types.js'

/** What the helpers need of a cache: `SecretCache` satisfies it. */
export interface StringSecretSource {
  getSecretString(secretId: string, opts?: CacheReadOptions): Promise<string>
}

/**
 * The read options of each call: fixed, or made from the call's arguments (in a Worker, to pass
 * that request's `waitUntil`).
 */
export type ReadOptionsFor<A extends unknown[]> =
  | CacheReadOptions
  | ((...args: A) => CacheReadOptions | undefined)

function readOptions<A extends unknown[]>(
  options: ReadOptionsFor<A> | undefined,
  args: A
): CacheReadOptions | undefined {
  return typeof options === 'function' ? options(...args) : options
}

/**
 * Wraps `fn` so that every call first reads `secretId` through the cache and passes the string
 * as the first argument (the Python caching library's `InjectSecretString`, as a plain
 * higher-order function). `fn` is not called when the read fails. To keep `this`, use an arrow
 * function or `fn.bind(obj)`.
 *
 * @param cache The cache to read through (on every call, so refreshes show up).
 * @param secretId Name or ARN of a string secret.
 * @param fn Called with the secret and the wrapper's arguments.
 * @param options Read options (`VersionStage`, `waitUntil`, …), or a function of the call's
 *   arguments that returns them.
 * @returns A function taking `fn`'s remaining arguments and returning its (awaited) result.
 * @throws {SecretsManagerError} From the read, e.g. `ResourceNotFoundException`.
 * @example
 * ```ts
 * const callApi = withSecretString(cache, 'prod/api-key', (apiKey, path: string) =>
 *   fetch(`https://api.example.com${path}`, { headers: { authorization: `Bearer ${apiKey}` } })
 * )
 * await callApi('/v1/items')
 * // In a Worker: the request's waitUntil, from the call's arguments.
 * const handle = withSecretString(cache, 'prod/api-key', (apiKey, ctx: ExecutionContext) => …,
 *   (ctx) => ({ waitUntil: ctx.waitUntil.bind(ctx) }))
 * ```
 */
export function withSecretString<A extends unknown[], R>(
  cache: StringSecretSource,
  secretId: string,
  fn: (secret: string, ...args: A) => R | Promise<R>,
  options?: ReadOptionsFor<A>
): (...args: A) => Promise<R> {
  return async (...args: A) =>
    fn(await cache.getSecretString(secretId, readOptions(options, args)), ...args)
}

/**
 * Wraps `fn` so that every call first reads the JSON secret `secretId` through the cache and
 * passes, as the first argument, an object with one property per entry of `params`: the value
 * of that JSON key (`{ user: 'username' }` gives `{ user: secret.username }`). The Python
 * caching library's `InjectKeywordedSecretString`, as a plain higher-order function.
 *
 * @param cache The cache to read through (on every call).
 * @param secretId Name or ARN of a secret holding a JSON object.
 * @param params Parameter name → JSON key.
 * @param fn Called with the picked values and the wrapper's arguments.
 * @param options Read options, or a function of the call's arguments that returns them.
 * @returns A function taking `fn`'s remaining arguments and returning its (awaited) result.
 * @throws {SecretsManagerError} `InvalidJsonError` when the value is not JSON (or not an
 *   object), `MissingJsonKeyError` naming the secret and the key when a key is absent; never the
 *   value. `fn` is then not called.
 * @example
 * ```ts
 * const connect = withSecretJson(cache, 'prod/db', { user: 'username', password: 'password' },
 *   ({ user, password }, host: string) => openDatabase({ host, user, password }))
 * await connect('db.internal')
 * ```
 */
export function withSecretJson<P extends Record<string, string>, A extends unknown[], R>(
  cache: StringSecretSource,
  secretId: string,
  params: P,
  fn: (values: { [K in keyof P]: unknown }, ...args: A) => R | Promise<R>,
  options?: ReadOptionsFor<A>
): (...args: A) => Promise<R> {
  if (params === null || typeof params !== 'object') {
    throw new TypeError('params must map parameter names to JSON keys')
  }
  return async (...args: A) => {
    const parsed = parseJson<unknown>(
      'withSecretJson',
      secretId,
      await cache.getSecretString(secretId, readOptions(options, args))
    )
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new SecretsManagerError({
        operation: 'withSecretJson',
        code: 'InvalidJsonError',
        detail: `the value of secret ${JSON.stringify(secretId)} is not a JSON object`,
        retryable: false,
      })
    }
    const values: Record<string, unknown> = {}
    for (const [param, jsonKey] of Object.entries(params)) {
      if (!Object.hasOwn(parsed, jsonKey)) {
        throw new SecretsManagerError({
          operation: 'withSecretJson',
          code: 'MissingJsonKeyError',
          detail: `secret ${JSON.stringify(secretId)} has no key ${JSON.stringify(jsonKey)}`,
          retryable: false,
        })
      }
      values[param] = (parsed as Record<string, unknown>)[jsonKey]
    }
    return fn(values as { [K in keyof P]: unknown }, ...args)
  }
}
