/**
 * The emulator's one error type: everything the handler refuses becomes an AWS-style JSON error
 * (`{"__type","message"}` with `x-amzn-ErrorType`), never an exception that escapes as a 500 page.
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

export const invalidParameter = (message: string) =>
  new AwsServiceError('InvalidParameterException', message)
export const invalidRequest = (message: string) =>
  new AwsServiceError('InvalidRequestException', message)
export const resourceNotFound = (message = "Secrets Manager can't find the specified secret.") =>
  new AwsServiceError('ResourceNotFoundException', message)
export const resourceExists = (message: string) =>
  new AwsServiceError('ResourceExistsException', message)
