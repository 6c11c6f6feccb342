// The one transport behind `SecretsManagerClient` and `createSecretReader`: the option checks,
// the endpoint, credentials and their signing keys, clock-skew correction, the retry quota and
// the one retry loop (the SDKs' standard mode). It is a closure, not a class, so that an entry
// importing only the read path bundles this and nothing of the eleven operations.

import { resolveEndpoint } from './endpoint.js'
import { parseErrorResponse, SecretsManagerError } from './errors.js'
import { Latch, TIMED_OUT } from './latch.js'
import {
  backoffMs,
  CLOCK_SKEW_CODES,
  clampRetryAfterMs,
  RetryQuota,
  retryAfterHintMs,
  retryKind,
  sleep,
  untilAborted,
} from './retry.js'
import { decodeResponse } from './serde.js'
import type { HmacKey } from './sha256.js'
import { hexSha256, jsonRequestSigner, signingKey } from './sigv4.js'
import type {
  AwsCredentials,
  Operation,
  RequestOptions,
  SecretsManagerClientOptions,
} from './types.js'

const DEFAULT_OPTIONS = {
  maxAttempts: 3,
  timeoutMs: 10_000,
  // Read at call time, like `fetch`, so a clock or random source installed later is used.
  now: () => Date.now(),
  random: () => Math.random(),
} satisfies Partial<SecretsManagerClientOptions>

const CONTENT_TYPE = 'application/x-amz-json-1.1'
// Ask the provider again this long before the credentials expire.
const CREDENTIALS_REFRESH_MARGIN_MS = 5 * 60_000
// A response Date this far from our clock means our clock is off (the SDKs use 5 minutes; the
// service rejects signatures more than 15 minutes off).
const CLOCK_SKEW_THRESHOLD_MS = 5 * 60_000
const SERVICE = 'secretsmanager'
// Stateless without `stream`, so one serves every response.
const DECODER = new TextDecoder()

// One signing key per credentials value, derived once per day. Region and service are fixed per
// transport, so the day alone tells the key apart; only the latest day's is kept.
interface Signer {
  credentials: AwsCredentials
  key?: { date: string; hmacKey: HmacKey }
}

// A shared credential refresh: its promise for the caller that started it, and its outcome for
// the callers that join it (see Latch: they must not await another request's promise).
interface Refresh {
  promise: Promise<Signer>
  outcome: Latch<{ signer: Signer } | { error: unknown }>
}

// The outcome of one attempt: a complete response, or a failure without one.
type Exchange = { response: Response; body: string } | { error: SecretsManagerError }

/** What {@link createTransport} returns: the resolved settings and the one way to call. */
export interface Transport {
  /** The region every request is signed for. */
  readonly region: string
  /** The URL every request is POSTed to. */
  readonly endpoint: string
  /** The time limit per attempt (0: none). */
  readonly timeoutMs: number
  /**
   * One call: signed, sent, retried, decoded.
   *
   * @param target The operation (the `X-Amz-Target` suffix).
   * @param body The JSON request body, already encoded.
   * @param opts `{ signal }`.
   * @returns The decoded response.
   * @throws {SecretsManagerError} The service's error, or the client's own (`TimeoutError`,
   *   `NetworkError`, …) once retries are spent; `signal.reason` when aborted.
   */
  send<T>(target: Operation, body: string, opts?: RequestOptions): Promise<T>
}

/**
 * Checks the options and builds the transport that every call of one client goes through.
 *
 * @param options Region, credentials and optional endpoint, retry and seam settings.
 * @returns The transport.
 * @throws {TypeError} When `region` or `credentials` is missing, or an option is invalid
 *   (see `resolveEndpoint` for the endpoint rules).
 */
export function createTransport(options: SecretsManagerClientOptions): Transport {
  if (options?.region == null) throw new TypeError('region is a required option')
  if (options.credentials == null) throw new TypeError('credentials is a required option')
  const merged = { ...DEFAULT_OPTIONS, ...options }
  const { region, credentials: source, maxAttempts, timeoutMs, now, random } = merged
  if (typeof source !== 'function') {
    if (source.accessKeyId == null) throw new TypeError('accessKeyId is a required option')
    if (source.secretAccessKey == null) {
      throw new TypeError('secretAccessKey is a required option')
    }
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new TypeError('maxAttempts must be an integer of at least 1')
  }
  if (!(timeoutMs >= 0)) throw new TypeError('timeoutMs must be 0 or more')
  const endpoint = resolveEndpoint(merged)
  const sign = jsonRequestSigner(endpoint, region, SERVICE)
  const quota = new RetryQuota()
  let current: Signer | undefined
  let refreshing: Refresh | undefined
  let clockOffsetMs = 0

  // Our best guess of the service's time.
  const clock = () => now() + clockOffsetMs

  // The one retry loop (SDK standard mode): sign, send, classify, back off, repeat.
  async function send<T>(target: Operation, body: string, opts: RequestOptions = {}): Promise<T> {
    const { signal } = opts
    signal?.throwIfAborted()
    let lastRetryCost: number | undefined
    let clockCorrected = false
    let bodySha256: string | undefined
    for (let attempt = 1; ; attempt++) {
      const signer = await currentSigner(target, signal)
      bodySha256 ??= hexSha256(body)
      const signedOffsetMs = clockOffsetMs
      const signingTimeMs = now() + signedOffsetMs
      const exchange = await attemptOnce(target, signer, body, bodySha256, signingTimeMs, signal)
      const headers = 'response' in exchange ? exchange.response.headers : undefined
      // Every response corrects the clock, a success or the last attempt's error too, so the
      // next call is signed right even with maxAttempts 1.
      if (headers !== undefined) learnClock(headers)
      if ('response' in exchange && exchange.response.ok) {
        quota.release(lastRetryCost)
        return decodeResponse(target, exchange.response, exchange.body) as T
      }
      const error =
        'error' in exchange
          ? exchange.error
          : parseErrorResponse(target, exchange.response, exchange.body)
      // The last attempt never takes from the quota: there is no retry to pay for.
      if (attempt >= maxAttempts) throw error
      if (!clockCorrected && CLOCK_SKEW_CODES.has(error.code) && clockOffsetMs !== signedOffsetMs) {
        // Signed with a clock since found to be off (by this response or a concurrent call's):
        // re-sign with the corrected time at once, once per call.
        clockCorrected = true
        continue
      }
      const kind = retryKind(error)
      if (kind === undefined) throw error
      const cost = quota.acquire(kind)
      if (cost === undefined) throw error
      lastRetryCost = cost
      const computedMs = backoffMs(attempt - 1, kind, random)
      const hintMs = headers && retryAfterHintMs(headers, clock())
      await sleep(clampRetryAfterMs(computedMs, hintMs), signal)
    }
  }

  // One signed request with its own time limit. Returns a failure instead of throwing it, except
  // the caller's abort, which ends the call.
  async function attemptOnce(
    target: Operation,
    signer: Signer,
    body: string,
    bodySha256: string,
    signingTimeMs: number,
    signal: AbortSignal | undefined
  ): Promise<Exchange> {
    signal?.throwIfAborted()
    const { accessKeyId, secretAccessKey, sessionToken } = signer.credentials
    const datetime = amzDate(signingTimeMs)
    const date = datetime.slice(0, 8)
    let key = signer.key
    if (key?.date !== date) {
      // Concurrent first calls of a day may each derive it; the result is the same. The key
      // itself is kept, not a promise of it: in workerd a promise from one request cannot settle
      // for another.
      key = { date, hmacKey: await signingKey(secretAccessKey, date, region, SERVICE) }
      signer.key = key
      // The caller may have aborted meanwhile: then send nothing.
      signal?.throwIfAborted()
    }
    const signed = sign({
      headers: { 'x-amz-target': `secretsmanager.${target}` },
      bodySha256,
      datetime,
      accessKeyId,
      sessionToken,
      key: key.hmacKey,
    })
    // The time limit is AbortSignal.timeout rather than setTimeout: Deno's first setTimeout costs
    // about 12 ms (the cold start in bench/5-runtimes). Its timer cannot be cleared; it fires
    // later into a signal nothing listens to any more. An AbortController joins it to the
    // caller's signal only when there are both.
    const limit = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined
    let attemptSignal = limit ?? signal
    let controller: AbortController | undefined
    const onAbort = () => controller?.abort(signal?.reason)
    const onLimit = () => controller?.abort(limit?.reason)
    if (signal !== undefined && limit !== undefined) {
      controller = new AbortController()
      attemptSignal = controller.signal
      signal.addEventListener('abort', onAbort, { once: true })
      limit.addEventListener('abort', onLimit, { once: true })
    }
    // Read at call time, and called unbound: browsers reject fetch called on another `this`.
    const fetchImpl = merged.fetch ?? globalThis.fetch
    try {
      const request = {
        method: 'POST',
        headers: { 'content-type': CONTENT_TYPE, ...signed },
        body,
        signal: attemptSignal ?? null,
      }
      const pending = exchangeOnce(fetchImpl, endpoint, request)
      // The runtime's fetch rejects on abort, while it waits and while the body streams
      // (workerd, Node, Deno, Bun, browsers). A custom fetch may ignore the signal: only its wait
      // is bounded by hand, with one promise wrapper for the response and its body (a wrapper
      // costs 5-8% of a call's CPU in workerd; bench/2-workerd).
      const bounded = merged.fetch !== undefined
      return await (bounded ? untilAborted(pending, attemptSignal) : pending)
    } catch (e) {
      if (signal?.aborted) throw signal.reason
      if (limit?.aborted) {
        const detail = `no response within ${timeoutMs} ms`
        const error = new SecretsManagerError({ operation: target, code: 'TimeoutError', detail })
        return { error }
      }
      // Any other rejection is a network failure: TypeError in browsers, workerd, Deno and
      // Node; other errors in Bun and custom fetch functions. Its message stays out of ours and
      // out of `cause` (a custom fetch may quote the request, i.e. the secret): only its class
      // and error code are kept.
      const cause = fetchFailure(e)
      const error = new SecretsManagerError({
        operation: target,
        code: 'NetworkError',
        detail: `fetch failed (${cause.name})`,
        cause,
      })
      return { error }
    } finally {
      if (controller !== undefined) {
        signal?.removeEventListener('abort', onAbort)
        limit?.removeEventListener('abort', onLimit)
      }
    }
  }

  // Credentials are resolved lazily and refreshed ahead of expiry; concurrent callers share one
  // refresh. A caller's abort ends only its own wait: the refresh goes on for the others.
  //
  // In workerd a promise created while serving one request never settles for another once the
  // first has completed or been cancelled. So a caller that joins a refresh another call started
  // waits only a bounded time (timeoutMs, or its default when 0), then asks the provider itself,
  // and its refresh replaces the stuck one for later callers. The caller that started a refresh
  // keeps awaiting it, which also keeps it alive for the callers that joined.
  async function currentSigner(target: Operation, signal: AbortSignal | undefined) {
    if (
      current !== undefined &&
      !expiresWithin(current.credentials, CREDENTIALS_REFRESH_MARGIN_MS)
    ) {
      return current
    }
    const shared = refreshing
    if (shared !== undefined) {
      const joined = await shared.outcome.wait(timeoutMs || DEFAULT_OPTIONS.timeoutMs, signal)
      if (joined !== TIMED_OUT) {
        if ('signer' in joined) return joined.signer
        throw joined.error
      }
    }
    return untilAborted(startRefresh(target, shared).promise, signal)
  }

  // Starts a refresh and shares it, unless another one replaced `stale` meanwhile.
  function startRefresh(target: Operation, stale: Refresh | undefined): Refresh {
    const outcome: Refresh['outcome'] = new Latch()
    const refresh: Refresh = {
      outcome,
      promise: refreshSigner(target)
        .then(
          (signer) => {
            outcome.settle({ signer })
            return signer
          },
          (error: unknown) => {
            outcome.settle({ error })
            throw error
          }
        )
        .finally(() => {
          if (refreshing === refresh) refreshing = undefined
        }),
    }
    if (refreshing === stale) refreshing = refresh
    return refresh
  }

  async function refreshSigner(target: Operation): Promise<Signer> {
    const previous = current
    let credentials: AwsCredentials
    try {
      credentials = typeof source === 'function' ? await source() : source
      if (credentials?.accessKeyId == null || credentials.secretAccessKey == null) {
        throw new TypeError('the credentials provider returned no accessKeyId or secretAccessKey')
      }
    } catch (e) {
      // Credentials that have not expired yet still work; ask again on the next call.
      if (previous !== undefined && !expiresWithin(previous.credentials, 0)) return previous
      throw new SecretsManagerError({
        operation: target,
        code: 'CredentialsProviderError',
        detail: 'could not get credentials',
        retryable: false,
        cause: e,
      })
    }
    // The signing key derives from the secret key alone (and the day, region and service): keep
    // it while the secret is unchanged, and drop it with the old secret.
    const sameSecret = previous?.credentials.secretAccessKey === credentials.secretAccessKey
    current = sameSecret && previous.key ? { credentials, key: previous.key } : { credentials }
    return current
  }

  function expiresWithin(credentials: AwsCredentials, marginMs: number): boolean {
    const expiration = credentials.expiration
    if (expiration == null) return false
    return clock() >= new Date(expiration).getTime() - marginMs
  }

  // When a response's Date is far from our corrected clock, adopt the server's time, as the JS
  // SDK v3 does with getUpdatedSystemClockOffset after every response. Small differences
  // (latency, the header's whole seconds) are ignored.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html
  function learnClock(headers: Headers): void {
    const serverMs = Date.parse(headers.get('date') ?? '')
    if (Number.isNaN(serverMs)) return
    if (Math.abs(serverMs - clock()) < CLOCK_SKEW_THRESHOLD_MS) return
    clockOffsetMs = serverMs - now()
  }

  return { region, endpoint, timeoutMs, send }
}

// Sends one request and reads its whole body. Decoded by hand: workerd warns on .text() for a
// non-text type like x-amz-json-1.1.
async function exchangeOnce(
  fetchImpl: typeof fetch,
  url: string,
  init: RequestInit
): Promise<Exchange> {
  const response = await fetchImpl(url, init)
  const bytes = await response.arrayBuffer()
  return { response, body: DECODER.decode(bytes) }
}

// SigV4 basic-format timestamp: 20261123T120000Z.
// The last one is kept: calls within the same second share it.
let lastAmzDate = { second: Number.NaN, text: '' }
function amzDate(ms: number): string {
  const second = Math.floor(ms / 1000)
  if (second !== lastAmzDate.second) {
    lastAmzDate = { second, text: new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, '') }
  }
  return lastAmzDate.text
}

// What a NetworkError keeps of a fetch rejection: its class (`TypeError`, or the `name` of a
// DOMException) and its error code (`ECONNRESET`; Node's fetch puts it on `cause`), never its
// message. Only identifier-like strings are kept, so nothing quoted can slip through.
function fetchFailure(value: unknown): { name: string; code?: string } {
  const e = value as {
    name?: unknown
    code?: unknown
    cause?: { code?: unknown }
    constructor?: { name?: unknown }
  } | null
  // A plain Error's name says less than its class (`class BunFetchError extends Error {}`).
  const named = identifier(e?.name)
  const name =
    (named === 'Error' ? undefined : named) ?? identifier(e?.constructor?.name) ?? typeof value
  const code = identifier(e?.code) ?? identifier(e?.cause?.code)
  return code === undefined ? { name } : { name, code }
}

function identifier(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z_][\w.-]{0,63}$/.test(value) ? value : undefined
}
