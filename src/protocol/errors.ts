/**
 * An AWS-style JSON error (`{"__type","message"}` with `x-amzn-ErrorType`): what the emulator and
 * the worker's AWS route answer with, never an exception that escapes as a 500 page.
 */
export class AwsServiceError extends Error {
  override readonly name = 'AwsServiceError'
  /**
   * @param type The bare error type, sent as `__type` and `x-amzn-ErrorType`.
   * @param message Human text. Never include a secret value.
   * @param status HTTP status. Secrets Manager sends its modeled client errors as 400.
   */
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400
  ) {
    super(message)
  }
}
