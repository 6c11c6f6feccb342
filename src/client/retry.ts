// The retry policy of the AWS SDKs' "standard" mode, as small pure functions plus the retry
// quota. The single retry loop that uses them is `send` in transport.ts.
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html

/** Backoff base for retries after a transient error. */
export const RETRY_DELAY_BASE_MS = 100
/** Backoff base for retries after throttling. */
export const THROTTLING_RETRY_DELAY_BASE_MS = 500
/** Cap on a computed backoff delay. */
export const MAX_RETRY_DELAY_MS = 20_000
/** A `Retry-After` hint may lengthen the computed delay by at most this much. */
export const MAX_RETRY_AFTER_EXTRA_MS = 5_000
/** Tokens in a fresh retry quota (per client). */
export const INITIAL_RETRY_TOKENS = 500
/** Quota cost of a retry after throttling. */
export const RETRY_COST = 5
/** Quota cost of a retry after a transient error, a network error or a timeout. */
export const TIMEOUT_RETRY_COST = 10
/** Quota refund for a call that succeeded without a retry. */
export const NO_RETRY_INCREMENT = 1

/** Error codes the SDKs treat as throttling. Secrets Manager sends ThrottlingException as HTTP 400. */
export const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  // LimitExceededException is left out on purpose, unlike the SDKs: AWS-CONTRACT.md notes that in
  // Secrets Manager it can be a hard quota (too many versions), which no retry can get past.
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
])

/** Error codes retried as transient, whatever their status. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkError',
  'ConnectionError',
  'HTTPClientError',
  // Modeled with `fault: server`; some documentation pages give it status 400.
  'InternalServiceError',
  'InternalFailure',
  'ServiceUnavailable',
])

/** HTTP statuses retried as transient. */
export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504])

/** Error codes that may mean our clock is off; retried once, only after correcting the clock. */
export const CLOCK_SKEW_CODES: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'AuthFailure',
  'InvalidSignatureException',
  'RequestExpired',
  'RequestInTheFuture',
  'RequestTimeTooSkewed',
  'SignatureDoesNotMatch',
])

/** Why an error is retried: it decides the backoff base and the quota cost. */
export type RetryKind = 'throttling' | 'transient'

/** The parts of an error that decide whether it is retried. */
export interface RetryableErrorInfo {
  code: string
  status?: number | undefined
  message?: string | undefined
}

/**
 * Classifies an error the way the SDKs' standard mode does: throttling (HTTP 429 or a throttling
 * code), transient (timeouts, network errors, HTTP 500/502/503/504, an expired signature), or
 * not retryable (`undefined`).
 *
 * @param error The code, status and message of the failure.
 * @returns The kind of retry, or `undefined` when the error must not be retried.
 * @example
 * ```ts
 * retryKind({ code: 'ThrottlingException', status: 400 }) // 'throttling'
 * ```
 */
export function retryKind(error: RetryableErrorInfo): RetryKind | undefined {
  if (error.status === 429 || THROTTLING_CODES.has(error.code)) return 'throttling'
  if (
    TRANSIENT_CODES.has(error.code) ||
    (error.status !== undefined && TRANSIENT_STATUSES.has(error.status)) ||
    (error.code === 'InvalidSignatureException' && !!error.message?.includes('Signature expired'))
  ) {
    return 'transient'
  }
  return undefined
}

/**
 * Whether an error is worth retrying: throttling, transient and network errors are; a caller's
 * abort and any other 4xx are not.
 *
 * @param error The code, status and message of the failure.
 * @returns `true` for throttling and transient errors.
 * @example
 * ```ts
 * isRetryable({ code: 'ResourceNotFoundException', status: 400 }) // false
 * ```
 */
export function isRetryable(error: RetryableErrorInfo): boolean {
  return retryKind(error) !== undefined
}

/**
 * Full-jitter exponential backoff: `floor(random() * min(base * 2 ** retryIndex, 20 s))`, with
 * base 100 ms, or 500 ms after throttling.
 *
 * @param retryIndex 0 for the first retry, 1 for the second, …
 * @param kind Why the call is retried.
 * @param random A number source in [0, 1).
 * @returns The delay before the retry, in milliseconds.
 * @example
 * ```ts
 * backoffMs(1, 'throttling', () => 0.5) // 500
 * ```
 */
export function backoffMs(retryIndex: number, kind: RetryKind, random: () => number): number {
  const baseMs = kind === 'throttling' ? THROTTLING_RETRY_DELAY_BASE_MS : RETRY_DELAY_BASE_MS
  return Math.floor(random() * Math.min(baseMs * 2 ** retryIndex, MAX_RETRY_DELAY_MS))
}

/**
 * Reads a server's retry hint: `x-amz-retry-after` (milliseconds) or `Retry-After` (seconds or
 * an HTTP date).
 *
 * @param headers The response headers.
 * @param nowMs The current time, for `Retry-After` dates.
 * @returns The hinted delay in milliseconds, or `undefined` without a usable hint.
 * @example
 * ```ts
 * retryAfterHintMs(new Headers({ 'retry-after': '2' }), Date.now()) // 2000
 * ```
 */
export function retryAfterHintMs(headers: Headers, nowMs: number): number | undefined {
  const amz = headers.get('x-amz-retry-after')?.trim()
  if (amz && /^\d+(\.\d+)?$/.test(amz)) return Number(amz)
  const value = headers.get('retry-after')?.trim()
  if (!value) return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000
  const dateMs = Date.parse(value)
  return Number.isNaN(dateMs) ? undefined : Math.max(0, dateMs - nowMs)
}

/**
 * Applies a retry hint to a computed backoff: the hint counts only within
 * `[computedMs, computedMs + 5 s]`, so a server can slow us down a little but never speed us up
 * or stall us.
 *
 * @param computedMs The delay from {@link backoffMs}.
 * @param hintMs The delay from {@link retryAfterHintMs}, if any.
 * @returns The delay to wait, in milliseconds.
 * @example
 * ```ts
 * clampRetryAfterMs(100, 60_000) // 5100
 * ```
 */
export function clampRetryAfterMs(computedMs: number, hintMs: number | undefined): number {
  if (hintMs === undefined) return computedMs
  return Math.min(Math.max(hintMs, computedMs), computedMs + MAX_RETRY_AFTER_EXTRA_MS)
}

/**
 * The retry quota of one client: 500 tokens; a retry costs 5 (throttling) or 10 (transient), a
 * success refunds the cost of its last retry, or 1 without a retry. When the tokens run out the
 * client stops retrying, so an outage does not multiply the load on the service.
 *
 * @example
 * ```ts
 * const quota = new RetryQuota()
 * const cost = quota.acquire('transient') // 10, or undefined when exhausted
 * quota.release(cost) // after the retried call succeeded
 * ```
 */
export class RetryQuota {
  #tokens = INITIAL_RETRY_TOKENS

  /** The tokens left. */
  get tokens(): number {
    return this.#tokens
  }

  /**
   * Takes the cost of one retry.
   *
   * @param kind Why the call is retried.
   * @returns The cost taken, or `undefined` (nothing taken) when the quota cannot pay it.
   */
  acquire(kind: RetryKind): number | undefined {
    const cost = kind === 'throttling' ? RETRY_COST : TIMEOUT_RETRY_COST
    if (this.#tokens < cost) return undefined
    this.#tokens -= cost
    return cost
  }

  /**
   * Refunds tokens after a successful call, up to the initial 500.
   *
   * @param lastRetryCost The cost of the call's last retry, or `undefined` when it had none.
   */
  release(lastRetryCost: number | undefined): void {
    this.#tokens = Math.min(
      INITIAL_RETRY_TOKENS,
      this.#tokens + (lastRetryCost ?? NO_RETRY_INCREMENT)
    )
  }
}

/**
 * Waits `ms` milliseconds, or rejects with `signal.reason` as soon as `signal` aborts.
 *
 * @param ms The delay in milliseconds.
 * @param signal Cancels the wait.
 * @returns A promise that resolves after the delay.
 * @throws `signal.reason` when aborted, also when already aborted.
 * @example
 * ```ts
 * await sleep(backoffMs(0, 'transient', Math.random), signal)
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Settles with `promise`, or rejects with the signal's reason as soon as it aborts, even when a
 * custom fetch ignores the signal. `promise` itself runs on: it may be shared with other callers
 * (the cache's coalesced loads, the client's credential refresh), and only this wait ends.
 *
 * @param promise What to wait for.
 * @param signal Ends the wait.
 * @returns `promise`'s outcome, or the abort.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) {
    promise.catch(() => {})
    return Promise.reject(signal.reason)
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      }
    )
  })
}
