import type { KvNamespaceLike } from '../cache/kv-store.js'
import type { Grant } from './grants.js'

/**
 * What the Workers Rate Limiting binding (`[[ratelimits]]` in `wrangler.toml`) offers: one
 * `limit` call per request, keyed here by grant name.
 */
export interface RateLimiterLike {
  limit(options: { key: string }): Promise<{ success: boolean }>
}

/**
 * The worker's bindings: vars, secrets, the KV namespace and the two rate limiters. Every member
 * is optional in the type; what a route needs and does not find is an error it answers with.
 */
export interface WorkerBindings {
  /** The region of the upstream Secrets Manager, and of the ARNs this worker accepts. */
  AWS_REGION?: string
  /** The account whose ARNs this worker accepts; without it, every ARN is refused. */
  AWS_ACCOUNT_ID?: string
  /** Secret: the worker's own AWS key pair, which callers never see. */
  AWS_ACCESS_KEY_ID?: string
  AWS_SECRET_ACCESS_KEY?: string
  AWS_SESSION_TOKEN?: string
  /** Another Secrets Manager endpoint (the emulator, a VPC endpoint). */
  AWS_ENDPOINT_URL_SECRETS_MANAGER?: string
  /**
   * Secret: base64 of 32 random bytes, the key of the KV cache tier; several, comma-separated
   * and newest first, while rotating. Without it the cache is in memory only.
   */
  CACHE_ENCRYPTION_KEY?: string
  /** Secret: the grant list as JSON. When set, it replaces the bundled grants. */
  GRANTS?: string
  /**
   * Secret: the master keys that worker-issued AWS keys are derived from, `version:base64 of 32
   * bytes`, comma-separated while a new version is introduced. Without it, `POST /` accepts no key.
   */
  ACCESS_KEY_MASTER?: string
  /** Origins allowed by CORS, comma-separated (`chrome-extension://<id>`). None by default. */
  CORS_ORIGINS?: string
  /** The shared, encrypted cache tier. */
  SECRETS_CACHE?: KvNamespaceLike
  /** Rate limiter for reads (read, list, random-password), keyed by grant. */
  READ_LIMITER?: RateLimiterLike
  /** A lower rate limiter for writes and deletes, keyed by grant. */
  WRITE_LIMITER?: RateLimiterLike
}

/** What a request's handlers share, and what its log line reports. */
export interface WorkerVariables {
  /** The caller's grant, once its token is checked. */
  grant: Grant
  /** The log line's fields, filled in as the request goes. */
  log: RequestLog
}

/** The Hono environment of the app: `Hono<AppEnv>`. */
export interface AppEnv {
  Bindings: WorkerBindings
  Variables: WorkerVariables
}

/** Where a read was answered from: the log line's `cache` field. */
export type CacheOutcome = 'memory' | 'kv' | 'upstream' | 'stale'

/**
 * The one JSON line logged per request. It never holds a secret value or a token: ids, names
 * of grants and actions, statuses and timings only.
 */
export interface RequestLog {
  requestId: string
  method: string
  path: string
  status?: number
  grant?: string
  /** The worker-issued access key id of an AWS-protocol request. */
  accessKeyId?: string
  /** The AWS operation (`X-Amz-Target`) of an AWS-protocol request. */
  operation?: string
  action?: string
  /** The secret id (or ids, for a batch) the request named. */
  secretId?: string | string[]
  cache?: CacheOutcome
  /** Milliseconds spent waiting for Secrets Manager, when the request called it. */
  upstreamMs?: number
  /** The error type answered, when the request failed. */
  error?: string
  durationMs?: number
}
