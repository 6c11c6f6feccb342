/**
 * `edge-secrets/worker`: AWS Secrets Manager over HTTP for callers that must not hold AWS keys
 * (browser extensions, other Workers, scripts, CI jobs). A Hono app with scoped bearer-token
 * grants, reads through `edge-secrets/cache` (memory and encrypted Workers KV), the Secrets
 * Manager Agent's read routes, rate limits and CORS. Needs `hono` installed.
 *
 * @example
 * ```ts
 * import { createSecretsApp } from 'edge-secrets/worker'
 * import grants from './grants.json'
 *
 * export default createSecretsApp({ grants })
 * ```
 *
 * @module
 */
export { createSecretsApp } from './app.js'
export type {
  AppEnv,
  CacheOutcome,
  RateLimiterLike,
  RequestLog,
  WorkerBindings,
  WorkerVariables,
} from './env.js'
export { WorkerError, type WorkerErrorCode } from './errors.js'
export {
  authenticate,
  coversName,
  createToken,
  GRANT_ACTIONS,
  type Grant,
  type GrantAction,
  type GrantSet,
  hashToken,
  parseGrants,
  TOKEN_PREFIX,
} from './grants.js'
export { isCanonicalName, resolveSecretId } from './secret-id.js'
export type { LimitKind, SecretsAppOptions, WorkerNotice } from './state.js'
export type { WorkerCacheOptions } from './upstream.js'
