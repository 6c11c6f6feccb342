import { AwsServiceError } from '../protocol/errors.js'

export { AwsServiceError }

export const invalidParameter = (message: string) =>
  new AwsServiceError('InvalidParameterException', message)
export const invalidRequest = (message: string) =>
  new AwsServiceError('InvalidRequestException', message)
export const resourceNotFound = (message = "Secrets Manager can't find the specified secret.") =>
  new AwsServiceError('ResourceNotFoundException', message)
export const resourceExists = (message: string) =>
  new AwsServiceError('ResourceExistsException', message)
