import type { Context } from 'hono'
import type { SecretsManagerClientOptions } from '../client/types.js'
import type { AppEnv, RateLimiterLike, RequestLog, WorkerBindings } from './env.js'
import { WorkerError } from './errors.js'
import { type GrantSet, parseGrants } from './grants.js'
import { type MasterKeys, parseMasterKeys } from './keys.js'
import { createUpstream, type Upstream, type WorkerCacheOptions } from './upstream.js'

/** Options of `createSecretsApp`. */
export interface SecretsAppOptions {
  /**
   * The bundled grant list (an array, e.g. imported from `config/grants.json`). The `GRANTS`
   * secret, when set, replaces it entirely. With neither, every secret route is refused.
   * @default none
   */
  grants?: unknown
  /**
   * Makes the upstream client's options from the bindings: point it at another endpoint, or
   * give it a `fetch` (the development entry passes the embedded emulator's).
   * @default fromEnv(env): AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ENDPOINT_URL_SECRETS_MANAGER
   */
  clientOptions?: (env: WorkerBindings) => SecretsManagerClientOptions
  /** Settings of the isolate's `SecretCache` (refresh interval, sizes, backoff). @default the cache's */
  cache?: WorkerCacheOptions
  /**
   * Request bodies larger than this are refused with 413 before they are parsed. The largest
   * valid body (a 64 KiB binary in base64, with its members) is about 88 KB.
   * @default 131_072
   */
  maxBodyBytes?: number
  /** Origins allowed by CORS, besides those in the `CORS_ORIGINS` var. @default none */
  corsOrigins?: string[]
  /**
   * The period of the `READ_LIMITER` and `WRITE_LIMITER` bindings (`simple.period` in
   * `wrangler.toml`, 10 or 60): a 429's `Retry-After`.
   * @default { read: 10, write: 10 }
   */
  rateLimitPeriodSeconds?: { read?: number; write?: number }
  /** Writes one log line (a request, or a notice about the configuration). @default console.log of its JSON */
  log?: (line: RequestLog | WorkerNotice) => void
  /** The clock, epoch milliseconds: grant expiry and timings. @default Date.now */
  now?: () => number
}

/** A log line about the worker's configuration, written once per isolate. */
export interface WorkerNotice {
  level: 'warn'
  message: string
}

/** Which limiter a request counts against. */
export type LimitKind = 'read' | 'write'

const DEFAULT_OPTIONS = {
  maxBodyBytes: 131_072,
  log: (line: RequestLog | WorkerNotice) => console.log(JSON.stringify(line)),
  now: () => Date.now(),
}

/**
 * What one app instance (one isolate) keeps between requests: the parsed grants, the client and
 * cache, and which configuration notices it has logged.
 */
export class WorkerState {
  readonly maxBodyBytes: number
  readonly corsOrigins: readonly string[]
  readonly log: (line: RequestLog | WorkerNotice) => void
  readonly now: () => number
  readonly #options: SecretsAppOptions
  readonly #periods: { read: number; write: number }
  readonly #noticed = new Set<string>()
  #grants: { source: unknown; set: GrantSet | undefined } | undefined
  #upstream: Upstream | undefined
  #master: { source: string | undefined; keys: MasterKeys | undefined } | undefined

  constructor(options: SecretsAppOptions) {
    const merged = { ...DEFAULT_OPTIONS, ...options }
    if (!(Number.isSafeInteger(merged.maxBodyBytes) && merged.maxBodyBytes > 0)) {
      throw new TypeError('maxBodyBytes must be a positive integer')
    }
    const periods = { read: 10, write: 10, ...options.rateLimitPeriodSeconds }
    for (const [kind, seconds] of Object.entries(periods)) {
      if (seconds !== 10 && seconds !== 60) {
        throw new TypeError(
          `rateLimitPeriodSeconds.${kind} must be 10 or 60, as the binding's period`
        )
      }
    }
    this.#options = options
    this.#periods = periods
    this.maxBodyBytes = merged.maxBodyBytes
    this.corsOrigins = options.corsOrigins ?? []
    this.log = merged.log
    this.now = merged.now
  }

  /** Logs a configuration notice, once per isolate. */
  notice(message: string): void {
    if (this.#noticed.has(message)) return
    this.#noticed.add(message)
    this.log({ level: 'warn', message })
  }

  /**
   * The grants in force: the `GRANTS` secret when set, else the bundled list.
   *
   * @throws {WorkerError} `AccessDeniedException` when there are none or they do not parse:
   *   every secret route then fails closed.
   */
  grants(env: WorkerBindings): GrantSet {
    const source = env.GRANTS !== undefined && env.GRANTS !== '' ? env.GRANTS : this.#options.grants
    let current = this.#grants
    if (current === undefined || current.source !== source) {
      let set: GrantSet | undefined
      if (source === undefined) {
        this.notice(
          'No grants are configured (GRANTS secret or bundled list): every request is refused'
        )
      } else {
        try {
          set = parseGrants(source)
          if (set.grants.length === 0)
            this.notice('The grant list is empty: every request is refused')
        } catch (error) {
          const reason = error instanceof TypeError ? error.message : 'they could not be read'
          this.notice(`The grants are invalid, so every request is refused: ${reason}`)
        }
      }
      current = { source, set }
      this.#grants = current
    }
    const { set } = current
    if (set === undefined || set.grants.length === 0) {
      throw new WorkerError('AccessDeniedException', 'The worker has no valid grants configured')
    }
    return set
  }

  /**
   * The master keys of worker-issued AWS keys, from `ACCESS_KEY_MASTER`; `undefined` (with a
   * notice) when it is not set or does not parse, so that no AWS key is accepted.
   */
  masterKeys(env: WorkerBindings): MasterKeys | undefined {
    const source = env.ACCESS_KEY_MASTER
    if (this.#master === undefined || this.#master.source !== source) {
      let keys: MasterKeys | undefined
      if (source === undefined || source === '') {
        this.notice('ACCESS_KEY_MASTER is not set: POST / accepts no AWS key')
      } else {
        try {
          keys = parseMasterKeys(source)
        } catch (error) {
          const reason = error instanceof TypeError ? error.message : 'it could not be read'
          this.notice(`ACCESS_KEY_MASTER is invalid, so POST / accepts no AWS key: ${reason}`)
        }
      }
      this.#master = { source, keys }
    }
    return this.#master.keys
  }

  /** The isolate's client and cache, made on first use. */
  upstream(env: WorkerBindings): Upstream {
    this.#upstream ??= createUpstream(
      env,
      this.#options.clientOptions,
      this.#options.cache ?? {},
      (message) => this.notice(message)
    )
    return this.#upstream
  }

  /**
   * Counts a request against the grant's limiter.
   *
   * @throws {WorkerError} `TooManyRequestsException` with `Retry-After` (the binding's period)
   *   when over the limit.
   */
  async limit(c: Context<AppEnv>, kind: LimitKind): Promise<void> {
    const binding = kind === 'read' ? 'READ_LIMITER' : 'WRITE_LIMITER'
    const limiter: RateLimiterLike | undefined = c.env?.[binding]
    if (limiter === undefined) {
      this.notice(`${binding} is not bound: ${kind}s are not rate limited`)
      return
    }
    let success: boolean
    try {
      ;({ success } = await limiter.limit({ key: c.get('grant').name }))
    } catch {
      // The limiter guards the upstream quota, not access: when it fails, requests go on.
      this.notice(`${binding} failed: ${kind}s went on without a rate limit`)
      return
    }
    if (!success) {
      const seconds = this.#periods[kind]
      throw new WorkerError(
        'TooManyRequestsException',
        `Rate limit of grant "${c.get('grant').name}" for ${kind}s exceeded; retry after ${seconds} s`,
        seconds
      )
    }
  }
}

/**
 * The request's `waitUntil`, when it has an execution context (`app.request` in tests may not).
 */
export function waitUntilOf(c: Context<AppEnv>): ((promise: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx
    return (promise) => ctx.waitUntil(promise)
  } catch {
    return undefined
  }
}
