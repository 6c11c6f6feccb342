import { fromBase64, MAX_SECRET_SIZE, toBase64 } from '../client/serde.js'
import { WorkerError } from './errors.js'

/** The type of one request member, as the REST bodies carry it (the AWS wire form). */
/** (`json`: any JSON value, passed on for Secrets Manager to check.) */
export type MemberType = 'string' | 'boolean' | 'integer' | 'blob' | 'strings' | 'tags' | 'json'

/** The members a route accepts, by AWS name. Any other member is refused. */
export type MemberSpec = Readonly<Record<string, MemberType>>

/**
 * Reads a JSON object body of at most `maxBytes`, refusing a larger one before it is parsed
 * (from `Content-Length` when given, else while streaming).
 *
 * @param request The request.
 * @param maxBytes The largest body accepted.
 * @param optional Whether an empty body means `{}`.
 * @throws {WorkerError} `PayloadTooLargeException`, or `SerializationException` for a body that
 *   is not a JSON object.
 */
export async function readJsonBody(
  request: Request,
  maxBytes: number,
  optional = false
): Promise<Record<string, unknown>> {
  return parseJsonObject(await readBody(request, maxBytes), optional)
}

/**
 * Reads a body of at most `maxBytes`, refusing a larger one (from `Content-Length` when given,
 * else while streaming) without buffering it.
 *
 * @throws {WorkerError} `PayloadTooLargeException`.
 */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes)
  const chunks: Uint8Array[] = []
  let size = 0
  if (request.body !== null) {
    const reader = request.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        await reader.cancel().catch(() => {})
        throw tooLarge(maxBytes)
      }
      chunks.push(value)
    }
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/**
 * Parses UTF-8 bytes as a JSON object.
 *
 * @param optional Whether an empty body means `{}`.
 * @throws {WorkerError} `SerializationException` for anything but a JSON object. The message
 *   never quotes the body.
 */
export function parseJsonObject(bytes: Uint8Array, optional = false): Record<string, unknown> {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    throw new WorkerError('SerializationException', 'The request body is not UTF-8')
  }
  if (text.trim() === '' && optional) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    // JSON.parse's message quotes the body, which may hold a value: it is not passed on.
    throw new WorkerError('SerializationException', 'The request body is not valid JSON')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new WorkerError('SerializationException', 'The request body must be a JSON object')
  }
  return parsed as Record<string, unknown>
}

/**
 * Checks a body against the members a route accepts and converts it to the client's input:
 * `SecretBinary` from base64 to bytes. A value over Secrets Manager's 65,536 limit is refused
 * here, before any upstream call.
 *
 * @param body The parsed body.
 * @param spec The accepted members and their types.
 * @returns The input, with only the given members.
 * @throws {WorkerError} `ValidationException` naming the member (never its value), or
 *   `PayloadTooLargeException` for a value over the limit.
 */
export function checkMembers(
  body: Record<string, unknown>,
  spec: MemberSpec
): Record<string, unknown> {
  const input: Record<string, unknown> = {}
  for (const [member, value] of Object.entries(body)) {
    // Own members only: `constructor` or `__proto__` is an unknown member like any other.
    const type = Object.hasOwn(spec, member) ? spec[member] : undefined
    if (type === undefined) {
      const known = Object.keys(spec).join(', ')
      throw new WorkerError('ValidationException', `Unknown member ${member} (accepted: ${known})`)
    }
    if (value === null) continue
    input[member] = convert(member, type, value)
  }
  if (typeof input.SecretString === 'string' && codePoints(input.SecretString) > MAX_SECRET_SIZE) {
    throw valueTooLarge('SecretString')
  }
  if (input.SecretBinary instanceof Uint8Array && input.SecretBinary.byteLength > MAX_SECRET_SIZE) {
    throw valueTooLarge('SecretBinary')
  }
  return input
}

/**
 * Converts a client answer to the wire form: `Date` to epoch seconds, bytes to base64, at any
 * depth.
 *
 * @param value A client response.
 * @returns A JSON-ready value, as Secrets Manager itself would write it.
 */
export function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000
  if (value instanceof Uint8Array) return toBase64(value)
  if (Array.isArray(value)) return value.map(toWire)
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [key, member] of Object.entries(value)) {
      if (member !== undefined) out[key] = toWire(member)
    }
    return out
  }
  return value
}

function convert(member: string, type: MemberType, value: unknown): unknown {
  const fail = (what: string) =>
    new WorkerError('ValidationException', `Member ${member} must be ${what}`)
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw fail('a string')
      return value
    case 'boolean':
      if (typeof value !== 'boolean') throw fail('true or false')
      return value
    case 'integer':
      if (!Number.isSafeInteger(value)) throw fail('an integer')
      return value
    case 'blob': {
      if (
        typeof value !== 'string' ||
        !/^[A-Za-z0-9+/]*={0,2}$/.test(value) ||
        value.length % 4 !== 0
      ) {
        throw fail('standard base64 (the bytes, encoded once)')
      }
      return fromBase64(value)
    }
    case 'strings':
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
        throw fail('an array of strings')
      }
      return value
    case 'json':
      return value
    case 'tags':
      if (
        !Array.isArray(value) ||
        !value.every(
          (tag) =>
            typeof tag === 'object' &&
            tag !== null &&
            !Array.isArray(tag) &&
            typeof (tag as { Key?: unknown }).Key === 'string' &&
            Object.entries(tag).every(
              ([key, text]) => (key === 'Key' || key === 'Value') && typeof text === 'string'
            )
        )
      ) {
        throw fail('an array of { "Key", "Value"? } strings')
      }
      return value
  }
}

function codePoints(text: string): number {
  let count = 0
  for (const _ of text) count++
  return count
}

function tooLarge(maxBytes: number): WorkerError {
  return new WorkerError(
    'PayloadTooLargeException',
    `The request body is larger than ${maxBytes} bytes`
  )
}

function valueTooLarge(member: string): WorkerError {
  return new WorkerError(
    'PayloadTooLargeException',
    `${member} is larger than Secrets Manager's limit of ${MAX_SECRET_SIZE}`
  )
}
