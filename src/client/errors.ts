import { isRetryable } from './retry.js'
import type { Operation } from './types.js'

/**
 * Error codes this client knows by name: the service's modeled errors, common AWS errors, and
 * the client's own codes for failures without a service answer. Any other code the service
 * sends is kept as a plain string.
 */
export type SecretsManagerErrorCode =
  // Modeled by Secrets Manager.
  | 'DecryptionFailure'
  | 'EncryptionFailure'
  | 'InternalServiceError'
  | 'InvalidNextTokenException'
  | 'InvalidParameterException'
  | 'InvalidRequestException'
  | 'LimitExceededException'
  | 'MalformedPolicyDocumentException'
  | 'PreconditionNotMetException'
  | 'ResourceExistsException'
  | 'ResourceNotFoundException'
  // Common AWS errors.
  | 'AccessDeniedException'
  | 'IncompleteSignature'
  | 'InvalidClientTokenId'
  | 'InvalidSignatureException'
  | 'MissingAuthenticationToken'
  | 'RequestExpired'
  | 'ServiceUnavailable'
  | 'ThrottlingException'
  | 'UnrecognizedClientException'
  | 'ValidationException'
  // The client's own: no (usable) answer from the service.
  | 'CredentialsProviderError'
  | 'InvalidJsonError'
  | 'InvalidResponseError'
  | 'NetworkError'
  | 'TimeoutError'
  | 'UnexpectedSecretTypeError'
  | 'UnknownError'
  | (string & {})

/** Constructor fields of {@link SecretsManagerError}. */
export interface SecretsManagerErrorInit {
  /** The operation (or client method) that failed. */
  operation: Operation | (string & {})
  code: SecretsManagerErrorCode
  /** Detail appended to the message. Never put a secret value here. */
  detail?: string | undefined
  status?: number | undefined
  requestId?: string | undefined
  /** Defaults to what {@link isRetryable} says for `code` and `status`. */
  retryable?: boolean | undefined
  cause?: unknown
}

/**
 * The one error type of the client: a service error (its sanitised `__type`), or a failure
 * without a usable answer (`NetworkError`, `TimeoutError`, `InvalidResponseError`, …).
 *
 * The message names the operation and the code, never a secret value, and so does `cause`: a
 * `NetworkError`'s `cause` is a plain `{ name, code? }`, the class of what `fetch` rejected with
 * (`TypeError`) and its error code (`ECONNRESET`) when it has one, never its message, which a
 * custom fetch may build from the request body. A `CredentialsProviderError` keeps the
 * provider's error as it was thrown.
 *
 * @example
 * ```ts
 * try {
 *   await sm.getSecretValue({ SecretId: 'prod/db' })
 * } catch (e) {
 *   if (isSecretsManagerError(e, 'ResourceNotFoundException')) return undefined
 *   throw e
 * }
 * ```
 */
export class SecretsManagerError extends Error {
  override readonly name = 'SecretsManagerError'
  /** The operation (or client method) that failed, e.g. `GetSecretValue`. */
  readonly operation: string
  /** The sanitised error type, e.g. `ResourceNotFoundException`. */
  readonly code: SecretsManagerErrorCode
  /** The HTTP status, or `undefined` when no response arrived. */
  readonly status: number | undefined
  /** The `x-amzn-RequestId` response header, when present (browsers may hide it). */
  readonly requestId: string | undefined
  /** Whether this kind of failure is retried (throttling, transient and network errors). */
  readonly retryable: boolean

  /**
   * @param init The operation, code and optional status, request id, detail and cause.
   * @example
   * ```ts
   * new SecretsManagerError({ operation: 'GetSecretValue', code: 'TimeoutError', detail: 'no response within 10000 ms' })
   * ```
   */
  constructor(init: SecretsManagerErrorInit) {
    const detail = init.detail ? `: ${init.detail}` : ''
    super(
      `${init.operation} failed with ${init.code}${detail}`,
      init.cause === undefined ? undefined : { cause: init.cause }
    )
    this.operation = init.operation
    this.code = init.code
    this.status = init.status
    this.requestId = init.requestId
    this.retryable =
      init.retryable ?? isRetryable({ code: init.code, status: init.status, message: this.message })
  }
}

/**
 * Whether `error` is a {@link SecretsManagerError}, optionally with the given `code`. It also
 * recognises errors from another realm or another copy of this package by `name` and `code`.
 *
 * @param error Anything caught.
 * @param code When given, the code the error must have.
 * @returns `true` when `error` is a SecretsManagerError (with that code).
 * @example
 * ```ts
 * if (isSecretsManagerError(e, 'ResourceNotFoundException')) return undefined
 * ```
 */
export function isSecretsManagerError(
  error: unknown,
  code?: SecretsManagerErrorCode
): error is SecretsManagerError {
  const candidate = error as { name?: unknown; code?: unknown } | null
  const matches =
    error instanceof SecretsManagerError ||
    (typeof candidate === 'object' &&
      candidate !== null &&
      candidate.name === 'SecretsManagerError' &&
      typeof candidate.code === 'string')
  return matches && (code === undefined || candidate?.code === code)
}

/**
 * Reduces a raw error type to its bare name, as the smithy awsJson1_1 rules do: cut at the first
 * `,` and `:`, then keep what follows a `#`.
 * `com.amazon.coral.service#ThrottlingException` and `ThrottlingException:http://internal…` both
 * become `ThrottlingException`.
 *
 * @param raw The `x-amzn-ErrorType` header or the body's `code`/`__type`.
 * @returns The bare type name.
 * @example
 * ```ts
 * sanitizeErrorCode('aws.example#FooError:http://x') // 'FooError'
 * ```
 */
export function sanitizeErrorCode(raw: string): string {
  let code = raw
  for (const separator of [',', ':']) {
    const at = code.indexOf(separator)
    if (at >= 0) code = code.slice(0, at)
  }
  const hash = code.indexOf('#')
  if (hash >= 0) code = code.slice(hash + 1)
  return code.trim()
}

/**
 * Turns a non-2xx response into a {@link SecretsManagerError}. The type comes from the
 * `x-amzn-ErrorType` header, else the body's `code`, else its `__type` (browsers may hide the
 * header); the text from `message` or `Message`. A body that is not JSON is tolerated: the code
 * is then `UnknownError`, and the status still decides whether it is retried.
 *
 * @param operation The operation that was called.
 * @param response The status and headers of the response.
 * @param body The response body text, already read.
 * @returns The error to throw; it holds no part of the request.
 * @example
 * ```ts
 * const error = parseErrorResponse('GetSecretValue', response, await response.text())
 * ```
 */
export function parseErrorResponse(
  operation: Operation,
  response: { status: number; headers: Headers },
  body: string
): SecretsManagerError {
  let parsed: Record<string, unknown> = {}
  try {
    const value: unknown = body.trim() === '' ? {} : JSON.parse(body)
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      parsed = value as Record<string, unknown>
    }
  } catch {
    // Not JSON (a proxy's HTML page, a truncated body): classify by status below.
  }
  const raw = firstString(response.headers.get('x-amzn-errortype'), parsed.code, parsed.__type)
  const code = (raw === undefined ? '' : sanitizeErrorCode(raw)) || 'UnknownError'
  // The service's own text is kept: AWS error messages never echo sensitive members (the value),
  // and this holds nothing of the request. Truncated, because a long one is not the service's.
  const message = firstString(parsed.message, parsed.Message)
  return new SecretsManagerError({
    operation,
    code,
    detail: message === undefined ? `HTTP ${response.status}` : truncate(message),
    status: response.status,
    requestId: response.headers.get('x-amzn-requestid') ?? undefined,
  })
}

// Takes the first argument that is a non-empty string.
function firstString(...values: unknown[]): string | undefined {
  for (const value of values) if (typeof value === 'string' && value !== '') return value
  return undefined
}

// Service messages are short; a long one is some proxy's page and would bury the code.
function truncate(text: string): string {
  return text.length > 500 ? `${text.slice(0, 500)}…` : text
}
