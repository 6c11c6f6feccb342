import { describe, expect, it } from 'vitest'
import {
  isSecretsManagerError,
  parseErrorResponse,
  SecretsManagerError,
  sanitizeErrorCode,
} from '../../../src/client/errors.js'

const response = (status: number, headers: Record<string, string> = {}) => ({
  status,
  headers: new Headers(headers),
})

describe('sanitizeErrorCode', () => {
  it.each([
    ['ResourceNotFoundException', 'ResourceNotFoundException'],
    ['com.amazon.AWSMimirService#ValidationException', 'ValidationException'],
    ['aws.example#FooError:http://internal.amazon.com/coral/', 'FooError'],
    [
      'ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/',
      'ThrottlingException',
    ],
    ['a#B:c', 'B'],
    ['FooError,BarError', 'FooError'],
  ])('%s → %s', (raw, code) => {
    expect(sanitizeErrorCode(raw)).toBe(code)
  })
})

describe('parseErrorResponse', () => {
  it('reads the code from the x-amzn-ErrorType header first', () => {
    const error = parseErrorResponse(
      'GetSecretValue',
      response(400, {
        'x-amzn-ErrorType': 'ResourceNotFoundException:http://internal.amazon.com/',
        'x-amzn-RequestId': '0b9d4e2f-8a1c-4d3b-b6e5-7f2a9c0d1e3f',
      }),
      '{"__type":"SomethingElse","message":"Secrets Manager can\'t find the specified secret."}'
    )
    expect(error).toBeInstanceOf(SecretsManagerError)
    expect(error.code).toBe('ResourceNotFoundException')
    expect(error.status).toBe(400)
    expect(error.requestId).toBe('0b9d4e2f-8a1c-4d3b-b6e5-7f2a9c0d1e3f')
    expect(error.retryable).toBe(false)
    expect(error.name).toBe('SecretsManagerError')
    expect(error.message).toBe(
      "GetSecretValue failed with ResourceNotFoundException: Secrets Manager can't find the specified secret."
    )
  })

  it('falls back to the body code, then __type (browsers hide the header)', () => {
    const fromCode = parseErrorResponse(
      'ListSecrets',
      response(400),
      '{"code":"A#Coded","__type":"B"}'
    )
    expect(fromCode.code).toBe('Coded')
    const fromType = parseErrorResponse(
      'ListSecrets',
      response(400),
      '{"__type":"com.amazonaws.secretsmanager#InvalidNextTokenException","Message":"bad token"}'
    )
    expect(fromType.code).toBe('InvalidNextTokenException')
    expect(fromType.message).toBe('ListSecrets failed with InvalidNextTokenException: bad token')
  })

  it('prefers message over Message', () => {
    const error = parseErrorResponse(
      'DeleteSecret',
      response(400),
      '{"__type":"InvalidParameterException","message":"lower","Message":"upper"}'
    )
    expect(error.message).toBe('DeleteSecret failed with InvalidParameterException: lower')
  })

  it('keeps unknown and unmodeled codes as they are', () => {
    const error = parseErrorResponse(
      'GetSecretValue',
      response(400),
      '{"__type":"SomeBrandNewException"}'
    )
    expect(error.code).toBe('SomeBrandNewException')
    expect(error.message).toBe('GetSecretValue failed with SomeBrandNewException: HTTP 400')
    const denied = parseErrorResponse(
      'GetSecretValue',
      response(400),
      '{"__type":"AccessDeniedException"}'
    )
    expect(isSecretsManagerError(denied, 'AccessDeniedException')).toBe(true)
  })

  it('classifies by type, not status: ThrottlingException as HTTP 400 is retryable', () => {
    const error = parseErrorResponse(
      'PutSecretValue',
      response(400),
      '{"__type":"ThrottlingException"}'
    )
    expect(error.retryable).toBe(true)
  })

  it.each([
    ['an empty body', ''],
    ['an HTML page', '<html><body>Bad Gateway</body></html>'],
    ['a JSON array', '[1,2]'],
    ['JSON null', 'null'],
  ])('survives %s, falling back to UnknownError and the status', (_, body) => {
    const error = parseErrorResponse('GetSecretValue', response(502), body)
    expect(error.code).toBe('UnknownError')
    expect(error.status).toBe(502)
    expect(error.retryable).toBe(true)
    expect(error.message).toBe('GetSecretValue failed with UnknownError: HTTP 502')
  })

  it('holds nothing of the request and no cause', () => {
    const error = parseErrorResponse('PutSecretValue', response(400), '{"__type":"X"}')
    expect(error.cause).toBeUndefined()
    expect('cause' in error).toBe(false)
  })
})

describe('isSecretsManagerError', () => {
  const error = new SecretsManagerError({ operation: 'GetSecretValue', code: 'DecryptionFailure' })

  it('recognises the class, optionally by code', () => {
    expect(isSecretsManagerError(error)).toBe(true)
    expect(isSecretsManagerError(error, 'DecryptionFailure')).toBe(true)
    expect(isSecretsManagerError(error, 'ResourceNotFoundException')).toBe(false)
  })

  it('recognises errors from another realm by name and code', () => {
    const foreign = Object.assign(new Error('x'), { name: 'SecretsManagerError', code: 'Y' })
    expect(isSecretsManagerError(foreign)).toBe(true)
    expect(isSecretsManagerError(foreign, 'Y')).toBe(true)
    expect(isSecretsManagerError(foreign, 'Z')).toBe(false)
  })

  it('rejects an error with a code but another name', () => {
    const other = Object.assign(new Error('x'), { code: 'ResourceNotFoundException' })
    expect(isSecretsManagerError(other)).toBe(false)
    expect(isSecretsManagerError(other, 'ResourceNotFoundException')).toBe(false)
    expect(isSecretsManagerError({ name: 'TypeError', code: 'ECONNRESET' })).toBe(false)
  })

  it('rejects anything else', () => {
    expect(isSecretsManagerError(new Error('x'))).toBe(false)
    expect(isSecretsManagerError(null)).toBe(false)
    expect(isSecretsManagerError('SecretsManagerError')).toBe(false)
    expect(isSecretsManagerError({ name: 'SecretsManagerError' })).toBe(false)
  })
})
