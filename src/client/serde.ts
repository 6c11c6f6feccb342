// Request and response bodies of the awsJson1_1 protocol: AWS member names unchanged, blobs as
// standard base64 (encoded and decoded exactly once, here), timestamps as epoch seconds.
// Also the pre-flight checks that refuse requests the service would certainly reject.

import { SecretsManagerError } from './errors.js'
import type { Operation } from './types.js'

/** Largest SecretString (Unicode code points) and SecretBinary (bytes) the service accepts. */
export const MAX_SECRET_SIZE = 65_536

// Members holding timestamps (epoch seconds on the wire), wherever they appear.
const TIMESTAMP_MEMBERS: ReadonlySet<string> = new Set([
  'CreatedDate',
  'DeletedDate',
  'DeletionDate',
  'LastAccessedDate',
  'LastChangedDate',
  'LastRotatedDate',
  'NextRotationDate',
])

// Map members: their keys are VersionIds, not member names, so they are not walked.
const MAP_MEMBERS: ReadonlySet<string> = new Set(['VersionIdsToStages', 'SecretVersionsToStages'])

// btoa takes a "binary string"; build it in slices, because spreading 64 KiB of arguments into
// String.fromCharCode can overflow the stack on some engines.
const CHUNK_BYTES = 0x2000

/**
 * Checks `input` as the service would, then serialises it (SecretBinary → base64).
 *
 * @param operation The operation being called.
 * @param input The request, with AWS member names.
 * @returns The JSON request body.
 * @throws {SecretsManagerError} With the service's code (InvalidParameterException,
 *   ValidationException) for a request the service would certainly reject; nothing is sent.
 * @throws {TypeError} When SecretBinary is not a Uint8Array or ArrayBuffer.
 * @example
 * ```ts
 * encodeRequest('PutSecretValue', { SecretId: 'a', SecretBinary: new Uint8Array([104, 105]) })
 * // '{"SecretId":"a","SecretBinary":"aGk="}'
 * ```
 */
export function encodeRequest(operation: Operation, input: object): string {
  const fields = input as Record<string, unknown>
  const binary = fields.SecretBinary == null ? undefined : toBytes(fields.SecretBinary)
  const string = fields.SecretString
  if (binary !== undefined && string != null) {
    throw refuse(
      operation,
      'InvalidParameterException',
      "You can't specify both a binary secret value and a string secret value in the same secret."
    )
  }
  if (typeof string === 'string') checkLength(operation, 'secretString', codePointLength(string))
  if (binary !== undefined) checkLength(operation, 'secretBinary', binary.byteLength)
  if (operation === 'DeleteSecret') checkDelete(fields)
  if (operation === 'GetRandomPassword') checkPasswordLength(fields.PasswordLength)
  return JSON.stringify(binary === undefined ? input : { ...input, SecretBinary: toBase64(binary) })
}

/**
 * Parses a 2xx response body whatever its content type: empty means `{}`; `null` members are
 * dropped; timestamps become `Date`; SecretBinary becomes `Uint8Array`.
 *
 * @param operation The operation that was called.
 * @param response The status and headers, for the error.
 * @param body The response body text.
 * @returns The output object.
 * @throws {SecretsManagerError} `InvalidResponseError` when the body is not a JSON object or a
 *   member cannot be decoded. The error never quotes the body.
 * @example
 * ```ts
 * decodeResponse('DeleteSecret', response, '{"Name":"a","DeletionDate":1700000000,"ARN":null}')
 * // { Name: 'a', DeletionDate: new Date(1_700_000_000_000) }
 * ```
 */
export function decodeResponse(
  operation: Operation,
  response: { status: number; headers: Headers },
  body: string
): Record<string, unknown> {
  const fail = (detail: string) =>
    new SecretsManagerError({
      operation,
      code: 'InvalidResponseError',
      detail,
      status: response.status,
      requestId: response.headers.get('x-amzn-requestid') ?? undefined,
      retryable: false,
    })
  if (body.trim() === '') return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    // No cause: a SyntaxError quotes the body, which may hold a secret value.
    throw fail(`the HTTP ${response.status} response body is not JSON`)
  }
  if (!isRecord(parsed))
    throw fail(`the HTTP ${response.status} response body is not a JSON object`)
  return decodeMembers(parsed, fail)
}

/**
 * Standard base64 (with padding) of some bytes.
 *
 * @param bytes The bytes to encode.
 * @returns The base64 text.
 * @example
 * ```ts
 * toBase64(new Uint8Array([104, 105])) // 'aGk='
 * ```
 */
export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK_BYTES))
  }
  return btoa(binary)
}

/**
 * Decodes standard base64.
 *
 * @param text The base64 text.
 * @returns The bytes.
 * @throws {DOMException} When `text` is not valid base64.
 * @example
 * ```ts
 * fromBase64('aGk=') // Uint8Array [104, 105]
 * ```
 */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/**
 * Views a binary input as bytes without copying.
 *
 * @param value A Uint8Array (or other ArrayBufferView) or an ArrayBuffer.
 * @returns The bytes.
 * @throws {TypeError} For anything else, a base64 string included (it would be encoded twice).
 * @example
 * ```ts
 * toBytes(new Uint16Array([1]).buffer) // Uint8Array [1, 0]
 * ```
 */
export function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (ArrayBuffer.isView(value))
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  // Tag check instead of instanceof, so buffers from another realm pass too.
  if (Object.prototype.toString.call(value) === '[object ArrayBuffer]') {
    return new Uint8Array(value as ArrayBuffer)
  }
  throw new TypeError('SecretBinary must be a Uint8Array or an ArrayBuffer (raw bytes, not base64)')
}

function decodeMembers(
  object: Record<string, unknown>,
  fail: (detail: string) => SecretsManagerError
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(object)) {
    if (value === null || value === undefined) continue
    if (TIMESTAMP_MEMBERS.has(key)) out[key] = toDate(value, key, fail)
    else if (key === 'SecretBinary') out[key] = decodeBinary(value, fail)
    else if (MAP_MEMBERS.has(key) && isRecord(value)) out[key] = withoutNulls(value)
    else if (Array.isArray(value)) {
      out[key] = value.map((item) => (isRecord(item) ? decodeMembers(item, fail) : item))
    } else if (isRecord(value)) out[key] = decodeMembers(value, fail)
    else out[key] = value
  }
  return out
}

// Epoch seconds, possibly fractional; a numeric string or a date string is tolerated too.
function toDate(
  value: unknown,
  member: string,
  fail: (detail: string) => SecretsManagerError
): Date {
  let ms = Number.NaN
  if (typeof value === 'number') ms = value * 1000
  else if (typeof value === 'string') {
    ms = /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value)
  }
  if (!Number.isFinite(ms)) throw fail(`${member} is not a timestamp`)
  return new Date(ms)
}

function decodeBinary(value: unknown, fail: (detail: string) => SecretsManagerError): Uint8Array {
  if (typeof value !== 'string') throw fail('SecretBinary is not a base64 string')
  try {
    return fromBase64(value)
  } catch {
    // No cause: the decoder's error is not worth keeping next to secret material.
    throw fail('SecretBinary is not valid base64')
  }
}

function withoutNulls(map: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).filter(([, value]) => value != null))
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function refuse(operation: Operation, code: string, detail: string): SecretsManagerError {
  return new SecretsManagerError({ operation, code, detail, retryable: false })
}

// The model's string lengths count Unicode code points, not UTF-16 units: '🔑' is 1, not 2. A
// plain loop, because spreading a 65k-character string into an array just to count it is waste.
function codePointLength(text: string): number {
  let length = text.length
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0xd800 || unit > 0xdbff) continue
    const next = text.charCodeAt(i + 1)
    if (next >= 0xdc00 && next <= 0xdfff) {
      length-- // a surrogate pair
      i++
    }
  }
  return length
}

// Length constraints of the model fail with ValidationException, worded like the service's.
// Never quote the value.
function checkLength(operation: Operation, member: string, length: number): void {
  const constraint =
    length < 1
      ? 'Member must have length greater than or equal to 1'
      : length > MAX_SECRET_SIZE
        ? `Member must have length less than or equal to ${MAX_SECRET_SIZE}`
        : undefined
  if (constraint === undefined) return
  throw refuse(
    operation,
    'ValidationException',
    `1 validation error detected: Value at '${member}' failed to satisfy constraint: ${constraint}`
  )
}

function checkDelete(fields: Record<string, unknown>): void {
  const days = fields.RecoveryWindowInDays
  if (days == null) return
  if (fields.ForceDeleteWithoutRecovery === true) {
    throw refuse(
      'DeleteSecret',
      'InvalidParameterException',
      "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
    )
  }
  if (typeof days === 'number' && !(days >= 7 && days <= 30)) {
    throw refuse(
      'DeleteSecret',
      'InvalidParameterException',
      'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).'
    )
  }
}

function checkPasswordLength(length: unknown): void {
  if (typeof length !== 'number' || (length >= 1 && length <= 4096)) return
  const constraint =
    length < 1
      ? 'Member must have value greater than or equal to 1'
      : 'Member must have value less than or equal to 4096'
  throw refuse(
    'GetRandomPassword',
    'ValidationException',
    `1 validation error detected: Value '${length}' at 'passwordLength' failed to satisfy constraint: ${constraint}`
  )
}
