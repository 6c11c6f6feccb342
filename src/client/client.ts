import { isSecretsManagerError, SecretsManagerError } from './errors.js'
import { encodeRequest } from './serde.js'
import { createTransport, type Transport } from './transport.js'
import type {
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
  // Signing, retries, time limits, credentials and the clock, shared with createSecretReader.
  readonly #transport: Transport

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
    this.#transport = createTransport(options)
    this.region = this.#transport.region
    this.endpoint = this.#transport.endpoint
    this.timeoutMs = this.#transport.timeoutMs
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

  // Every operation: check the input, then the transport's one retry loop.
  async #send<T>(target: Operation, input: object, opts: RequestOptions = {}): Promise<T> {
    opts.signal?.throwIfAborted()
    return this.#transport.send(target, encodeRequest(target, input), opts)
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
