import { AwsClient } from 'aws4fetch'
import { resolveEndpoint } from './endpoint.js'
import { isSecretsManagerError, parseErrorResponse, SecretsManagerError } from './errors.js'
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
import { decodeResponse, encodeRequest } from './serde.js'
import type {
  AwsCredentials,
  AwsCredentialsProvider,
  BatchGetSecretValueRequest,
  BatchGetSecretValueResponse,
  CreateSecretRequest,
  CreateSecretResponse,
  DeleteSecretRequest,
  DeleteSecretResponse,
  DescribeSecretRequest,
  DescribeSecretResponse,
  GetRandomPasswordRequest,
  GetRandomPasswordResponse,
  GetSecretOptions,
  GetSecretValueRequest,
  GetSecretValueResponse,
  ListSecretsRequest,
  ListSecretsResponse,
  Operation,
  PutSecretValueRequest,
  PutSecretValueResponse,
  RequestOptions,
  RestoreSecretRequest,
  RestoreSecretResponse,
  SecretBinaryInput,
  SecretsManagerClientOptions,
  UpdateSecretRequest,
  UpdateSecretResponse,
  WriteSecretOptions,
  WriteSecretResult,
} from './types.js'

const DEFAULT_OPTIONS = {
  useFipsEndpoint: false,
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

// One aws4fetch signer per credentials value, so the signing key is derived once per day.
interface Signer {
  credentials: AwsCredentials
  aws: AwsClient
}

// A shared credential refresh: its promise for the caller that started it, and its outcome for
// the callers that join it (see Latch: they must not await another request's promise).
interface Refresh {
  promise: Promise<Signer>
  outcome: Latch<{ signer: Signer } | { error: unknown }>
}

// The outcome of one attempt: a complete response, or a failure without one.
type Exchange = { response: Response; body: string } | { error: SecretsManagerError }

/**
 * A Secrets Manager client over `fetch`, for Workers, Deno, Bun, Node 20+ and browsers. Every
 * call is a signed awsJson1_1 POST with one retry loop (the SDKs' standard mode). Inputs and
 * outputs use the AWS member names; `SecretBinary` is a `Uint8Array` and timestamps are `Date`.
 *
 * @example
 * ```ts
 * import { SecretsManagerClient } from 'edge-secrets/client'
 *
 * const sm = new SecretsManagerClient({
 *   region: 'eu-west-1',
 *   credentials: { accessKeyId, secretAccessKey, sessionToken },
 * })
 * const { SecretString } = await sm.getSecretValue({ SecretId: 'prod/app/db' })
 * ```
 */
export class SecretsManagerClient {
  /** The region every request is signed for. */
  readonly region: string
  /** The URL every request is POSTed to. */
  readonly endpoint: string
  /**
   * The time limit per attempt (0: none). `SecretCache` reads it: a read waiting for another
   * read's call gives up after this long.
   */
  readonly timeoutMs: number
  readonly #credentials: AwsCredentials | AwsCredentialsProvider
  readonly #maxAttempts: number
  readonly #timeoutMs: number
  readonly #fetch: typeof fetch | undefined
  readonly #now: () => number
  readonly #random: () => number
  readonly #quota = new RetryQuota()
  #signer: Signer | undefined
  #refreshing: Refresh | undefined
  #clockOffsetMs = 0

  /**
   * @param options Region, credentials and optional endpoint, retry and seam settings.
   * @throws {TypeError} When `region` or `credentials` is missing, or an option is invalid
   *   (see `resolveEndpoint` for the endpoint rules).
   * @example
   * ```ts
   * const sm = new SecretsManagerClient({ region: 'us-east-1', credentials: async () => fetchRoleCredentials() })
   * ```
   */
  constructor(options: SecretsManagerClientOptions) {
    if (options?.region == null) throw new TypeError('region is a required option')
    if (options.credentials == null) throw new TypeError('credentials is a required option')
    const merged = { ...DEFAULT_OPTIONS, ...options }
    const { credentials, maxAttempts, timeoutMs, now, random } = merged
    if (typeof credentials !== 'function') {
      if (credentials.accessKeyId == null) throw new TypeError('accessKeyId is a required option')
      if (credentials.secretAccessKey == null) {
        throw new TypeError('secretAccessKey is a required option')
      }
    }
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new TypeError('maxAttempts must be an integer of at least 1')
    }
    if (!(timeoutMs >= 0)) throw new TypeError('timeoutMs must be 0 or more')
    this.region = merged.region
    this.endpoint = resolveEndpoint(merged)
    this.#credentials = credentials
    this.#maxAttempts = maxAttempts
    this.#timeoutMs = timeoutMs
    this.timeoutMs = timeoutMs
    this.#fetch = merged.fetch
    this.#now = now
    this.#random = random
  }

  /**
   * Creates a secret, with its first version when a value is given.
   *
   * @param input `Name`, and optionally the value, `Description`, `KmsKeyId`, `Tags`, …
   * @param opts `{ signal }`.
   * @returns The ARN, Name, and the VersionId when a value was given.
   * @throws {SecretsManagerError} E.g. `ResourceExistsException`, or `InvalidRequestException`
   *   when the name is scheduled for deletion.
   * @example
   * ```ts
   * await sm.createSecret({ Name: 'prod/app/db', SecretString: JSON.stringify({ password }) })
   * ```
   */
  async createSecret(
    input: CreateSecretRequest,
    opts?: RequestOptions
  ): Promise<CreateSecretResponse> {
    return this.#send('CreateSecret', withClientRequestToken(input), opts)
  }

  /**
   * Reads a secret value: the AWSCURRENT version, unless `VersionId` or `VersionStage` is given.
   *
   * @param input `SecretId`, and optionally `VersionId` or `VersionStage`.
   * @param opts `{ signal }`.
   * @returns The value (`SecretString` or `SecretBinary`) with its version metadata.
   * @throws {SecretsManagerError} E.g. `ResourceNotFoundException`, `DecryptionFailure`.
   * @example
   * ```ts
   * const { SecretString } = await sm.getSecretValue({ SecretId: 'prod/app/db' })
   * ```
   */
  async getSecretValue(
    input: GetSecretValueRequest,
    opts?: RequestOptions
  ): Promise<GetSecretValueResponse> {
    return this.#send('GetSecretValue', input, opts)
  }

  /**
   * Changes a secret's metadata, and with a value creates a new AWSCURRENT version.
   *
   * @param input `SecretId`, and optionally a value, `Description`, `KmsKeyId`.
   * @param opts `{ signal }`.
   * @returns The ARN, Name, and a VersionId when a version was created.
   * @throws {SecretsManagerError} E.g. `ResourceNotFoundException`, `InvalidRequestException`.
   * @example
   * ```ts
   * await sm.updateSecret({ SecretId: 'prod/app/db', Description: 'primary database' })
   * ```
   */
  async updateSecret(
    input: UpdateSecretRequest,
    opts?: RequestOptions
  ): Promise<UpdateSecretResponse> {
    return this.#send('UpdateSecret', withClientRequestToken(input), opts)
  }

  /**
   * Stores a new version of a secret's value; it becomes AWSCURRENT unless `VersionStages` says
   * otherwise.
   *
   * @param input `SecretId`, the value, and optionally `VersionStages`.
   * @param opts `{ signal }`.
   * @returns The ARN, Name, VersionId and VersionStages of the new version.
   * @throws {SecretsManagerError} E.g. `ResourceNotFoundException`, `LimitExceededException`.
   * @example
   * ```ts
   * await sm.putSecretValue({ SecretId: 'prod/app/key', SecretBinary: new Uint8Array([1, 2, 3]) })
   * ```
   */
  async putSecretValue(
    input: PutSecretValueRequest,
    opts?: RequestOptions
  ): Promise<PutSecretValueResponse> {
    return this.#send('PutSecretValue', withClientRequestToken(input), opts)
  }

  /**
   * Schedules a secret for deletion after a recovery window (7–30 days, default 30), or deletes
   * it at once with `ForceDeleteWithoutRecovery`.
   *
   * @param input `SecretId`, and `RecoveryWindowInDays` or `ForceDeleteWithoutRecovery`.
   * @param opts `{ signal }`.
   * @returns The ARN, Name and DeletionDate.
   * @throws {SecretsManagerError} `InvalidParameterException` (before sending) for a window
   *   outside 7–30 or both options; e.g. `ResourceNotFoundException` from the service.
   * @example
   * ```ts
   * const { DeletionDate } = await sm.deleteSecret({ SecretId: 'old/key', RecoveryWindowInDays: 7 })
   * ```
   */
  async deleteSecret(
    input: DeleteSecretRequest,
    opts?: RequestOptions
  ): Promise<DeleteSecretResponse> {
    return this.#send('DeleteSecret', input, opts)
  }

  /**
   * Generates a random password on the service.
   *
   * @param input Length (1–4096, default 32) and character class options.
   * @param opts `{ signal }`.
   * @returns `{ RandomPassword }`.
   * @throws {SecretsManagerError} `ValidationException` (before sending) for a length outside
   *   1–4096; `InvalidParameterException` from the service for impossible combinations.
   * @example
   * ```ts
   * const { RandomPassword } = await sm.getRandomPassword({ PasswordLength: 24, ExcludePunctuation: true })
   * ```
   */
  async getRandomPassword(
    input: GetRandomPasswordRequest = {},
    opts?: RequestOptions
  ): Promise<GetRandomPasswordResponse> {
    return this.#send('GetRandomPassword', input, opts)
  }

  /**
   * Reads a secret's metadata (never its value), including `VersionIdsToStages`.
   *
   * @param input `SecretId`.
   * @param opts `{ signal }`.
   * @returns The metadata; `DeletedDate` is set while the secret is scheduled for deletion.
   * @throws {SecretsManagerError} E.g. `ResourceNotFoundException`.
   * @example
   * ```ts
   * const { VersionIdsToStages } = await sm.describeSecret({ SecretId: 'prod/app/db' })
   * ```
   */
  async describeSecret(
    input: DescribeSecretRequest,
    opts?: RequestOptions
  ): Promise<DescribeSecretResponse> {
    return this.#send('DescribeSecret', input, opts)
  }

  /**
   * Cancels a scheduled deletion.
   *
   * @param input `SecretId`.
   * @param opts `{ signal }`.
   * @returns The ARN and Name.
   * @throws {SecretsManagerError} E.g. `ResourceNotFoundException`, `InvalidRequestException`.
   * @example
   * ```ts
   * await sm.restoreSecret({ SecretId: 'old/key' })
   * ```
   */
  async restoreSecret(
    input: RestoreSecretRequest,
    opts?: RequestOptions
  ): Promise<RestoreSecretResponse> {
    return this.#send('RestoreSecret', input, opts)
  }

  /**
   * Lists one page of secrets (metadata only). Use {@link paginateListSecrets} for all pages.
   *
   * @param input Optional `Filters`, `MaxResults` (1–100), `NextToken`, sorting.
   * @param opts `{ signal }`.
   * @returns `SecretList` and, when more pages exist, `NextToken`.
   * @throws {SecretsManagerError} E.g. `InvalidNextTokenException`.
   * @example
   * ```ts
   * const { SecretList } = await sm.listSecrets({ Filters: [{ Key: 'name', Values: ['prod/'] }] })
   * ```
   */
  async listSecrets(
    input: ListSecretsRequest = {},
    opts?: RequestOptions
  ): Promise<ListSecretsResponse> {
    return this.#send('ListSecrets', input, opts)
  }

  /**
   * Iterates over every page of ListSecrets, following `NextToken` until it is absent (a page
   * may be empty and still have one). Like the SDK's `paginateListSecrets`.
   *
   * @param input As for {@link listSecrets}; `NextToken` is where to start.
   * @param opts `{ signal }`, applied to every page.
   * @returns An async iterator of pages.
   * @throws {SecretsManagerError} From any page, or `InvalidResponseError` when the service
   *   returns the same `NextToken` twice.
   * @example
   * ```ts
   * for await (const page of sm.paginateListSecrets({ MaxResults: 100 })) {
   *   for (const secret of page.SecretList ?? []) console.log(secret.Name)
   * }
   * ```
   */
  async *paginateListSecrets(
    input: ListSecretsRequest = {},
    opts?: RequestOptions
  ): AsyncGenerator<ListSecretsResponse, void, undefined> {
    let token = input.NextToken
    do {
      const page = await this.listSecrets({ ...input, NextToken: token }, opts)
      yield page
      if (page.NextToken !== undefined && page.NextToken === token) {
        throw new SecretsManagerError({
          operation: 'ListSecrets',
          code: 'InvalidResponseError',
          detail: 'the same NextToken was returned twice',
          retryable: false,
        })
      }
      token = page.NextToken
    } while (token)
  }

  /**
   * Reads up to 20 secret values in one call, by id list or by filters. A secret that cannot be
   * read is reported in `Errors` instead of failing the call.
   *
   * @param input `SecretIdList` or `Filters` (with `MaxResults`, `NextToken`).
   * @param opts `{ signal }`.
   * @returns `SecretValues`, `Errors` and maybe `NextToken`.
   * @throws {SecretsManagerError} E.g. `InvalidParameterException`, `InvalidNextTokenException`.
   * @example
   * ```ts
   * const { SecretValues, Errors } = await sm.batchGetSecretValue({ SecretIdList: ['a', 'b'] })
   * ```
   */
  async batchGetSecretValue(
    input: BatchGetSecretValueRequest,
    opts?: RequestOptions
  ): Promise<BatchGetSecretValueResponse> {
    return this.#send('BatchGetSecretValue', input, opts)
  }

  /**
   * Reads a string secret.
   *
   * @param secretId Name or ARN.
   * @param opts `VersionId`/`VersionStage` and `signal`.
   * @returns The SecretString.
   * @throws {SecretsManagerError} `UnexpectedSecretTypeError` when the secret holds binary;
   *   `InvalidResponseError` when the response holds no value; service errors as for
   *   {@link getSecretValue}.
   * @example
   * ```ts
   * const apiKey = await sm.getSecretString('prod/app/api-key')
   * ```
   */
  async getSecretString(secretId: string, opts: GetSecretOptions = {}): Promise<string> {
    return this.#readString('getSecretString', secretId, opts)
  }

  /**
   * Reads a secret as bytes: SecretBinary as is, or a SecretString encoded as UTF-8.
   *
   * @param secretId Name or ARN.
   * @param opts `VersionId`/`VersionStage` and `signal`.
   * @returns The value's bytes.
   * @throws {SecretsManagerError} `InvalidResponseError` when the response holds no value;
   *   service errors as for {@link getSecretValue}.
   * @example
   * ```ts
   * const key = await sm.getSecretBinary('prod/app/signing-key')
   * ```
   */
  async getSecretBinary(secretId: string, opts: GetSecretOptions = {}): Promise<Uint8Array> {
    const value = await this.#readValue('getSecretBinary', secretId, opts)
    return typeof value === 'string' ? new TextEncoder().encode(value) : value
  }

  /**
   * Reads a string secret and parses it as JSON.
   *
   * @param secretId Name or ARN.
   * @param opts `VersionId`/`VersionStage` and `signal`.
   * @returns The parsed value, typed as `T` (not checked).
   * @throws {SecretsManagerError} `InvalidJsonError` naming the secret (never quoting its value)
   *   when it is not JSON; otherwise as for {@link getSecretString}.
   * @example
   * ```ts
   * const { username, password } = await sm.getSecretJson<{ username: string; password: string }>('prod/app/db')
   * ```
   */
  async getSecretJson<T = unknown>(secretId: string, opts: GetSecretOptions = {}): Promise<T> {
    const text = await this.#readString('getSecretJson', secretId, opts)
    try {
      return JSON.parse(text) as T
    } catch {
      // No cause: the SyntaxError quotes the value.
      throw new SecretsManagerError({
        operation: 'getSecretJson',
        code: 'InvalidJsonError',
        detail: `the value of secret ${JSON.stringify(secretId)} is not valid JSON`,
        retryable: false,
      })
    }
  }

  /**
   * Writes a value: a new version of an existing secret (PutSecretValue), or, when there is no
   * such secret, a new secret (CreateSecret). Both calls share one ClientRequestToken, so a
   * retried or repeated write never creates a second version.
   *
   * @param name The secret's name (an ARN works only when the secret exists).
   * @param value A string, or bytes for a binary secret.
   * @param opts `ClientRequestToken`, `signal`, and `Description`/`KmsKeyId`/`Tags` for creation.
   * @returns ARN, Name, VersionId, and `created: true` when the secret was created.
   * @throws {SecretsManagerError} E.g. `InvalidRequestException` when the secret is scheduled
   *   for deletion.
   * @example
   * ```ts
   * await sm.writeSecret('prod/app/token', token)
   * ```
   */
  async writeSecret(
    name: string,
    value: string | SecretBinaryInput,
    opts: WriteSecretOptions = {}
  ): Promise<WriteSecretResult> {
    const { signal, ClientRequestToken = crypto.randomUUID(), ...creation } = opts
    const secretValue =
      typeof value === 'string' ? { SecretString: value } : { SecretBinary: value }
    const put = async (): Promise<WriteSecretResult> => {
      const input = { SecretId: name, ClientRequestToken, ...secretValue }
      return { ...(await this.putSecretValue(input, { signal })), created: false }
    }
    try {
      return await put()
    } catch (e) {
      if (!isSecretsManagerError(e, 'ResourceNotFoundException')) throw e
    }
    try {
      const input = { Name: name, ClientRequestToken, ...secretValue, ...creation }
      return { ...(await this.createSecret(input, { signal })), created: true }
    } catch (e) {
      // Someone else created it between our two calls: add a version to theirs.
      if (!isSecretsManagerError(e, 'ResourceExistsException')) throw e
    }
    return put()
  }

  // The value for the convenience readers. A 200 with neither SecretString nor SecretBinary is a
  // broken answer, not an empty secret.
  async #readValue(
    method: string,
    secretId: string,
    opts: GetSecretOptions
  ): Promise<string | Uint8Array> {
    const { SecretString, SecretBinary } = await this.getSecretValue(
      versionInput(secretId, opts),
      opts
    )
    const value = SecretString ?? SecretBinary
    if (value !== undefined) return value
    throw new SecretsManagerError({
      operation: method,
      code: 'InvalidResponseError',
      detail: `GetSecretValue returned no value for secret ${JSON.stringify(secretId)}`,
      retryable: false,
    })
  }

  async #readString(method: string, secretId: string, opts: GetSecretOptions): Promise<string> {
    const value = await this.#readValue(method, secretId, opts)
    if (typeof value === 'string') return value
    throw new SecretsManagerError({
      operation: method,
      code: 'UnexpectedSecretTypeError',
      detail: `secret ${JSON.stringify(secretId)} holds a binary value; use getSecretBinary`,
      retryable: false,
    })
  }

  // The one retry loop (SDK standard mode): sign, send, classify, back off, repeat.
  async #send<T>(target: Operation, input: object, opts: RequestOptions = {}): Promise<T> {
    const { signal } = opts
    signal?.throwIfAborted()
    const body = encodeRequest(target, input)
    let lastRetryCost: number | undefined
    let clockCorrected = false
    for (let attempt = 1; ; attempt++) {
      const aws = await this.#currentSigner(target, signal)
      const signedOffsetMs = this.#clockOffsetMs
      const exchange = await this.#attempt(target, aws, body, this.#now() + signedOffsetMs, signal)
      const headers = 'response' in exchange ? exchange.response.headers : undefined
      // Every response corrects the clock, a success or the last attempt's error too, so the
      // next call is signed right even with maxAttempts 1.
      if (headers !== undefined) this.#learnClock(headers)
      if ('response' in exchange && exchange.response.ok) {
        this.#quota.release(lastRetryCost)
        return decodeResponse(target, exchange.response, exchange.body) as T
      }
      const error =
        'error' in exchange
          ? exchange.error
          : parseErrorResponse(target, exchange.response, exchange.body)
      // The last attempt never takes from the quota: there is no retry to pay for.
      if (attempt >= this.#maxAttempts) throw error
      if (
        !clockCorrected &&
        CLOCK_SKEW_CODES.has(error.code) &&
        this.#clockOffsetMs !== signedOffsetMs
      ) {
        // Signed with a clock since found to be off (by this response or a concurrent call's):
        // re-sign with the corrected time at once, once per call.
        clockCorrected = true
        continue
      }
      const kind = retryKind(error)
      if (kind === undefined) throw error
      const cost = this.#quota.acquire(kind)
      if (cost === undefined) throw error
      lastRetryCost = cost
      const computedMs = backoffMs(attempt - 1, kind, this.#random)
      const hintMs = headers && retryAfterHintMs(headers, this.#clock())
      await sleep(clampRetryAfterMs(computedMs, hintMs), signal)
    }
  }

  // One signed request with its own time limit. Returns a failure instead of throwing it, except
  // the caller's abort, which ends the call.
  async #attempt(
    target: Operation,
    aws: AwsClient,
    body: string,
    signingTimeMs: number,
    signal: AbortSignal | undefined
  ): Promise<Exchange> {
    signal?.throwIfAborted()
    const signed = await aws.sign(this.endpoint, {
      method: 'POST',
      headers: { 'content-type': CONTENT_TYPE, 'x-amz-target': `secretsmanager.${target}` },
      body,
      aws: { service: 'secretsmanager', region: this.region, datetime: amzDate(signingTimeMs) },
    })
    // The caller may have aborted while we signed: then send nothing.
    signal?.throwIfAborted()
    const controller = new AbortController()
    const onAbort = () => controller.abort(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    let timeout: SecretsManagerError | undefined
    const timer =
      this.#timeoutMs > 0
        ? setTimeout(() => {
            timeout = new SecretsManagerError({
              operation: target,
              code: 'TimeoutError',
              detail: `no response within ${this.#timeoutMs} ms`,
            })
            controller.abort(timeout)
          }, this.#timeoutMs)
        : undefined
    // Read at call time, and called unbound: browsers reject fetch called on another `this`.
    const fetchImpl = this.#fetch ?? globalThis.fetch
    try {
      const init = { method: 'POST', headers: signed.headers, body, signal: controller.signal }
      const response = await untilAborted(fetchImpl(signed.url, init), controller.signal)
      // Decoded by hand: workerd warns on .text() for a non-text type like x-amz-json-1.1.
      const bytes = await untilAborted(response.arrayBuffer(), controller.signal)
      return { response, body: new TextDecoder().decode(bytes) }
    } catch (e) {
      if (signal?.aborted) throw signal.reason
      if (timeout !== undefined) return { error: timeout }
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
      if (timer !== undefined) clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
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
  async #currentSigner(target: Operation, signal: AbortSignal | undefined): Promise<AwsClient> {
    const current = this.#signer
    if (
      current !== undefined &&
      !this.#expiresWithin(current.credentials, CREDENTIALS_REFRESH_MARGIN_MS)
    ) {
      return current.aws
    }
    const shared = this.#refreshing
    if (shared !== undefined) {
      const waitMs = this.#timeoutMs || DEFAULT_OPTIONS.timeoutMs
      const joined = await shared.outcome.wait(waitMs, signal)
      if (joined !== TIMED_OUT) {
        if ('signer' in joined) return joined.signer.aws
        throw joined.error
      }
    }
    return (await untilAborted(this.#startRefresh(target, shared).promise, signal)).aws
  }

  // Starts a refresh and shares it, unless another one replaced `stale` meanwhile.
  #startRefresh(target: Operation, stale: Refresh | undefined): Refresh {
    const outcome: Refresh['outcome'] = new Latch()
    const refresh: Refresh = {
      outcome,
      promise: this.#refresh(target)
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
          if (this.#refreshing === refresh) this.#refreshing = undefined
        }),
    }
    if (this.#refreshing === stale) this.#refreshing = refresh
    return refresh
  }

  async #refresh(target: Operation): Promise<Signer> {
    const previous = this.#signer
    const source = this.#credentials
    let credentials: AwsCredentials
    try {
      credentials = typeof source === 'function' ? await source() : source
      if (credentials?.accessKeyId == null || credentials.secretAccessKey == null) {
        throw new TypeError('the credentials provider returned no accessKeyId or secretAccessKey')
      }
    } catch (e) {
      // Credentials that have not expired yet still work; ask again on the next call.
      if (previous !== undefined && !this.#expiresWithin(previous.credentials, 0)) return previous
      throw new SecretsManagerError({
        operation: target,
        code: 'CredentialsProviderError',
        detail: 'could not get credentials',
        retryable: false,
        cause: e,
      })
    }
    const { accessKeyId, secretAccessKey, sessionToken } = credentials
    const unchanged =
      previous !== undefined &&
      previous.credentials.accessKeyId === accessKeyId &&
      previous.credentials.secretAccessKey === secretAccessKey &&
      previous.credentials.sessionToken === sessionToken
    const aws = unchanged
      ? previous.aws
      : new AwsClient({
          accessKeyId,
          secretAccessKey,
          ...(sessionToken ? { sessionToken } : {}),
          // No service or region here: every sign() call passes both, and those win.
          retries: 0,
        })
    this.#signer = { credentials, aws }
    return this.#signer
  }

  #expiresWithin(credentials: AwsCredentials, marginMs: number): boolean {
    const expiration = credentials.expiration
    if (expiration == null) return false
    return this.#clock() >= new Date(expiration).getTime() - marginMs
  }

  // When a response's Date is far from our corrected clock, adopt the server's time, as the JS
  // SDK v3 does with getUpdatedSystemClockOffset after every response. Small differences
  // (latency, the header's whole seconds) are ignored.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html
  #learnClock(headers: Headers): void {
    const serverMs = Date.parse(headers.get('date') ?? '')
    if (Number.isNaN(serverMs)) return
    if (Math.abs(serverMs - this.#clock()) < CLOCK_SKEW_THRESHOLD_MS) return
    this.#clockOffsetMs = serverMs - this.#now()
  }

  // Our best guess of the service's time.
  #clock(): number {
    return this.#now() + this.#clockOffsetMs
  }
}

// Adds a ClientRequestToken to a write that has none, whether or not it sends a value, as every
// AWS SDK does (the member has the `idempotencyToken` trait); some Secrets Manager
// implementations refuse a token-less UpdateSecret. It is made once per call, before the retry
// loop, so every retry carries the same token and a lost response can never create a second
// version.
function withClientRequestToken<T extends { ClientRequestToken?: string | undefined }>(
  input: T
): T {
  if (input.ClientRequestToken != null) return input
  return { ...input, ClientRequestToken: crypto.randomUUID() }
}

function versionInput(SecretId: string, opts: GetSecretOptions): GetSecretValueRequest {
  return { SecretId, VersionId: opts.VersionId, VersionStage: opts.VersionStage }
}

// SigV4 basic-format timestamp: 20261123T120000Z.
function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, '')
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
