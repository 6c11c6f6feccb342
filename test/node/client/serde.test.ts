import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isSecretsManagerError } from '../../../src/client/errors.js'
import {
  decodeResponse,
  encodeRequest,
  fromBase64,
  toBase64,
  toBytes,
} from '../../../src/client/serde.js'

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i)
// Byte equality without the cost of a deep-equality diff over large arrays.
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b))
const ok = { status: 200, headers: new Headers({ 'x-amzn-RequestId': 'req-1' }) }

// Catches what `fn` throws, for assertions on the error object.
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('expected a throw')
}

describe('base64', () => {
  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), (bytes) => {
        expect(sameBytes(fromBase64(toBase64(bytes)), bytes)).toBe(true)
      })
    )
  })

  it('is standard base64 with padding (the same as Node Buffer)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), (bytes) => {
        expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'))
      })
    )
  })

  it('decodes what any standard encoder produced', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), (bytes) => {
        expect(sameBytes(fromBase64(Buffer.from(bytes).toString('base64')), bytes)).toBe(true)
      })
    )
  })

  it('handles all 256 byte values', () => {
    expect(toBase64(ALL_BYTES)).toBe(Buffer.from(ALL_BYTES).toString('base64'))
    expect(fromBase64(toBase64(ALL_BYTES))).toEqual(ALL_BYTES)
  })

  it('handles 65,536 bytes and much more without overflowing the stack', () => {
    for (const size of [65_536, 1024 * 1024]) {
      const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff)
      const text = toBase64(bytes)
      expect(text).toBe(Buffer.from(bytes).toString('base64'))
      expect(sameBytes(fromBase64(text), bytes)).toBe(true)
    }
  })
})

describe('toBytes', () => {
  it('accepts Uint8Array, ArrayBuffer and other views without copying', () => {
    const bytes = new Uint8Array([1, 2, 3, 4])
    expect(toBytes(bytes)).toBe(bytes)
    expect(toBytes(bytes.buffer)).toEqual(bytes)
    expect(toBytes(new DataView(bytes.buffer, 1, 2))).toEqual(new Uint8Array([2, 3]))
  })

  it('refuses strings, which would be base64 encoded twice', () => {
    expect(() => toBytes('AQID')).toThrow(TypeError)
  })
})

describe('encodeRequest', () => {
  it('keeps the AWS member names and encodes SecretBinary exactly once', () => {
    const body = encodeRequest('PutSecretValue', {
      SecretId: 'a',
      SecretBinary: ALL_BYTES.buffer,
      VersionStages: ['AWSCURRENT'],
    })
    expect(JSON.parse(body)).toEqual({
      SecretId: 'a',
      SecretBinary: Buffer.from(ALL_BYTES).toString('base64'),
      VersionStages: ['AWSCURRENT'],
    })
  })

  it.each([
    [
      'both SecretString and SecretBinary',
      'CreateSecret',
      { Name: 'a', SecretString: 's', SecretBinary: new Uint8Array([1]) },
      'InvalidParameterException',
    ],
    [
      'an empty SecretString',
      'PutSecretValue',
      { SecretId: 'a', SecretString: '' },
      'ValidationException',
    ],
    [
      'a SecretString over 65,536 characters',
      'UpdateSecret',
      { SecretId: 'a', SecretString: 'x'.repeat(65_537) },
      'ValidationException',
    ],
    [
      "a SecretString over 65,536 code points (65,537 '🔑')",
      'CreateSecret',
      { Name: 'a', SecretString: '🔑'.repeat(65_537) },
      'ValidationException',
    ],
    [
      'a SecretString over 65,536 code points, lone surrogates counting one each',
      'PutSecretValue',
      { SecretId: 'a', SecretString: '\ud83d'.repeat(65_537) },
      'ValidationException',
    ],
    [
      'a SecretBinary over 65,536 bytes',
      'PutSecretValue',
      { SecretId: 'a', SecretBinary: new Uint8Array(65_537) },
      'ValidationException',
    ],
    [
      'an empty SecretBinary',
      'CreateSecret',
      { Name: 'a', SecretBinary: new ArrayBuffer(0) },
      'ValidationException',
    ],
    [
      'a recovery window of 6 days',
      'DeleteSecret',
      { SecretId: 'a', RecoveryWindowInDays: 6 },
      'InvalidParameterException',
    ],
    [
      'a recovery window of 31 days',
      'DeleteSecret',
      { SecretId: 'a', RecoveryWindowInDays: 31 },
      'InvalidParameterException',
    ],
    [
      'a recovery window with ForceDeleteWithoutRecovery',
      'DeleteSecret',
      { SecretId: 'a', RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true },
      'InvalidParameterException',
    ],
    ['PasswordLength 0', 'GetRandomPassword', { PasswordLength: 0 }, 'ValidationException'],
    ['PasswordLength 4097', 'GetRandomPassword', { PasswordLength: 4097 }, 'ValidationException'],
  ] as const)('refuses %s with %s', (_, operation, input, code) => {
    const error = thrown(() => encodeRequest(operation, input))
    expect(isSecretsManagerError(error, code)).toBe(true)
    expect(isSecretsManagerError(error) && error.retryable).toBe(false)
  })

  it.each([
    [
      'the limits themselves',
      'PutSecretValue',
      { SecretId: 'a', SecretString: 'x'.repeat(65_536) },
    ],
    ['65,536 bytes', 'PutSecretValue', { SecretId: 'a', SecretBinary: new Uint8Array(65_536) }],
    [
      "40,000 '🔑' (80,000 UTF-16 units)",
      'PutSecretValue',
      { SecretId: 'a', SecretString: '🔑'.repeat(40_000) },
    ],
    ["65,536 '🔑'", 'UpdateSecret', { SecretId: 'a', SecretString: '🔑'.repeat(65_536) }],
    [
      "65,535 'x' and a '🔑'",
      'CreateSecret',
      { Name: 'a', SecretString: `${'x'.repeat(65_535)}🔑` },
    ],
    ['7 days', 'DeleteSecret', { SecretId: 'a', RecoveryWindowInDays: 7 }],
    ['30 days', 'DeleteSecret', { SecretId: 'a', RecoveryWindowInDays: 30 }],
    ['force with no window', 'DeleteSecret', { SecretId: 'a', ForceDeleteWithoutRecovery: true }],
    [
      'no force with a window',
      'DeleteSecret',
      { SecretId: 'a', RecoveryWindowInDays: 9, ForceDeleteWithoutRecovery: false },
    ],
    ['PasswordLength 1', 'GetRandomPassword', { PasswordLength: 1 }],
    ['PasswordLength 4096', 'GetRandomPassword', { PasswordLength: 4096 }],
  ] as const)('accepts %s', (_, operation, input) => {
    expect(() => encodeRequest(operation, input)).not.toThrow()
  })

  it('never quotes the secret value in a refusal', () => {
    const secret = `TOP-SECRET-${'y'.repeat(65_536)}`
    const error = thrown(() =>
      encodeRequest('PutSecretValue', { SecretId: 'a', SecretString: secret })
    )
    expect(String(error)).not.toContain('TOP-SECRET')
    expect(JSON.stringify(error)).not.toContain('TOP-SECRET')
  })
})

describe('decodeResponse', () => {
  it('treats an empty body as empty output, whatever the content type', () => {
    expect(decodeResponse('RestoreSecret', ok, '')).toEqual({})
    expect(decodeResponse('RestoreSecret', ok, '{}')).toEqual({})
  })

  it('drops null members and converts timestamps and blobs everywhere', () => {
    const output = decodeResponse(
      'BatchGetSecretValue',
      ok,
      JSON.stringify({
        SecretValues: [
          { Name: 'a', SecretString: 's', SecretBinary: null, CreatedDate: 1523477145.713 },
          { Name: 'b', SecretBinary: 'AAEC/w==', CreatedDate: '1523477145' },
        ],
        Errors: [{ SecretId: 'c', ErrorCode: 'ResourceNotFoundException', Message: null }],
        NextToken: null,
      })
    )
    expect(output).toEqual({
      SecretValues: [
        { Name: 'a', SecretString: 's', CreatedDate: new Date(1523477145713) },
        {
          Name: 'b',
          SecretBinary: new Uint8Array([0, 1, 2, 255]),
          CreatedDate: new Date(1523477145000),
        },
      ],
      Errors: [{ SecretId: 'c', ErrorCode: 'ResourceNotFoundException' }],
    })
  })

  it('keeps version maps as they are', () => {
    const output = decodeResponse(
      'DescribeSecret',
      ok,
      JSON.stringify({
        VersionIdsToStages: { 'v-1': ['AWSCURRENT'], 'v-2': ['AWSPREVIOUS'], 'v-3': null },
        DeletedDate: 1700000000,
        ReplicationStatus: [{ Region: 'eu-west-1', LastAccessedDate: 1700000000 }],
      })
    )
    expect(output).toEqual({
      VersionIdsToStages: { 'v-1': ['AWSCURRENT'], 'v-2': ['AWSPREVIOUS'] },
      DeletedDate: new Date(1_700_000_000_000),
      ReplicationStatus: [{ Region: 'eu-west-1', LastAccessedDate: new Date(1_700_000_000_000) }],
    })
  })

  it.each([
    ['HTML', '<html>oops</html>'],
    ['a truncated object', '{"SecretString":"hunter2-secret'],
    ['a JSON array', '["hunter2-secret"]'],
    ['JSON null', 'null'],
    ['a JSON string', '"hunter2-secret"'],
    ['an invalid timestamp', '{"CreatedDate":"hunter2-secret"}'],
    ['invalid base64', '{"SecretBinary":"hunter2-secret!!"}'],
    ['a non-string blob', '{"SecretBinary":12}'],
  ])('turns %s into InvalidResponseError without quoting the body', (_, body) => {
    const error = thrown(() => decodeResponse('GetSecretValue', ok, body))
    expect(isSecretsManagerError(error, 'InvalidResponseError')).toBe(true)
    expect(error).not.toBeInstanceOf(TypeError)
    expect(isSecretsManagerError(error) && error.status).toBe(200)
    expect(isSecretsManagerError(error) && error.requestId).toBe('req-1')
    expect(isSecretsManagerError(error) && error.cause).toBeUndefined()
    expect(String(error)).not.toContain('hunter2')
  })
})
