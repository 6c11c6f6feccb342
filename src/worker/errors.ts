/**
 * An error the worker answers with. `code` is the `__type` of the JSON body; the status it is
 * answered with comes from the one table in `app.ts`. The message never holds a secret value.
 */
export class WorkerError extends Error {
  override readonly name = 'WorkerError'
  /** Seconds, for a `Retry-After` header. */
  readonly retryAfterSeconds: number | undefined

  /**
   * @param code The error type, a key of the status table.
   * @param message What went wrong, for the caller.
   * @param retryAfterSeconds When the caller may try again (429).
   */
  constructor(
    readonly code: WorkerErrorCode,
    message: string,
    retryAfterSeconds?: number
  ) {
    super(message)
    this.retryAfterSeconds = retryAfterSeconds
  }
}

/** The worker's own error types. Upstream errors keep Secrets Manager's. */
export type WorkerErrorCode =
  | 'SerializationException'
  | 'ValidationException'
  | 'MissingAuthenticationTokenException'
  | 'InvalidTokenException'
  | 'ExpiredTokenException'
  | 'AccessDeniedException'
  | 'NotFoundException'
  | 'MethodNotAllowedException'
  | 'PayloadTooLargeException'
  | 'TooManyRequestsException'
  | 'ServiceUnavailableException'
