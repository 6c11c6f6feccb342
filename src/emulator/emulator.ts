import { type CredentialsOption, verifySigV4 } from '../protocol/sigv4.js'
import { AwsServiceError } from './errors.js'
import { createLock } from './lock.js'
import { EmulatorMemoryStore } from './memory-store.js'
import { OPERATIONS, type Output } from './operations.js'
import type { EmulatorStore } from './types.js'
import type { Input } from './validate.js'

/** Options of {@link createEmulator}. */
export interface EmulatorOptions {
  /**
   * The account id in ARNs.
   * @default '123456789012'
   */
  accountId?: string
  /**
   * Which key pairs are accepted. By default any access key is (as moto does): the signature's
   * form, scope and date are still checked, but not its HMAC, since the secret key is unknown.
   * Give key pairs, or a lookup from access key id to secret key, to verify every signature.
   * @default undefined
   */
  credentials?: CredentialsOption
  /**
   * Where secrets live. {@link EmulatorKvStore} keeps them in Workers KV.
   * @default new EmulatorMemoryStore()
   */
  store?: EmulatorStore
  /**
   * The clock, epoch milliseconds. Inject one to test recovery windows and signature expiry.
   * @default Date.now
   */
  now?: () => number
  /**
   * Request bodies above this size get HTTP 413. The largest valid request (a 64 KiB binary in
   * base64) is about 88 KB.
   * @default 1_048_576
   */
  maxBodyBytes?: number
  /**
   * Operations run one at a time. A request waits this long while one other request keeps that
   * turn, then goes ahead anyway: in workerd a request cancelled mid-operation (its client went
   * away) never finishes, and must not leave every later request waiting.
   * @default 5_000
   */
  lockWaitMs?: number
}

/**
 * A fault to inject. Faults queue in the order added; each request that passes SigV4 takes at
 * most one, the oldest whose `operations` match, and a fault lasts for `count` requests.
 */
export interface Fault {
  /**
   * - `latency`: wait `ms` before handling the request.
   * - `throttle`: answer ThrottlingException (HTTP 400) without running the operation.
   * - `server-error`: answer InternalServiceError with `status` (default 500) without running it.
   * - `drop-response`: run and commit the operation, then reject instead of answering, like a
   *   connection lost after the service did the work. The handler's promise rejects with a
   *   `TypeError`; the Node server closes the socket.
   */
  kind: 'latency' | 'throttle' | 'server-error' | 'drop-response'
  /** Operation names (`'PutSecretValue'`) the fault applies to. @default every operation */
  operations?: string[]
  /** How many requests it applies to. @default 1 */
  count?: number
  /** For `latency`. @default 0 */
  ms?: number
  /** For `server-error`. @default 500 */
  status?: number
}

/** A running emulator: a fetch handler plus fault injection. */
export interface Emulator {
  /** Handles one Secrets Manager request. Bound, so it can be passed around as a function. */
  fetch(request: Request): Promise<Response>
  /** Adds a fault; faults apply in the order they were added. */
  injectFault(fault: Fault): void
  /** Removes every pending fault. */
  clearFaults(): void
}

const DEFAULT_OPTIONS = {
  accountId: '123456789012',
  now: () => Date.now(),
  maxBodyBytes: 1_048_576,
  lockWaitMs: 5_000,
}
const JSON_TYPE = 'application/x-amz-json-1.1'
const TARGET_PREFIX = 'secretsmanager.'
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
// Headers a browser may read from our responses (CORS); the service exposes the same ones.
const EXPOSED_HEADERS = 'x-amzn-RequestId, x-amzn-ErrorType, Date'

/**
 * Creates a local AWS Secrets Manager that speaks the service's JSON 1.1 protocol. Point any AWS
 * SDK (via `endpoint`), aws4fetch or edge-secrets' own client at it.
 *
 * @param options See {@link EmulatorOptions}.
 * @returns An {@link Emulator} whose `fetch` answers like the service.
 *
 * @example
 * ```ts
 * const emulator = createEmulator()
 * export default { fetch: emulator.fetch }
 * ```
 */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const { accountId, now, maxBodyBytes, lockWaitMs } = { ...DEFAULT_OPTIONS, ...options }
  const store = options.store ?? new EmulatorMemoryStore()
  const credentials = options.credentials
  const faults: { fault: Fault; remaining: number }[] = []
  // Operations run one at a time, so a read-modify-write of a secret (an idempotency check,
  // moving AWSCURRENT) is atomic, as it is in the service.
  const exclusive = createLock(lockWaitMs)

  // Each request takes at most one fault, the oldest that matches, so queued faults hit
  // successive requests: throttle then drop-response fails the first call and loses the second.
  const takeFault = (operation: string): Fault | undefined => {
    const index = faults.findIndex(
      ({ fault }) => !fault.operations || fault.operations.includes(operation)
    )
    const entry = faults[index]
    if (!entry) return undefined
    if (--entry.remaining === 0) faults.splice(index, 1)
    return entry.fault
  }

  async function handle(request: Request, requestId: string): Promise<Response> {
    if (request.method !== 'POST' || new URL(request.url).pathname !== '/') {
      throw new AwsServiceError('UnknownOperationException', 'Only POST / is supported.', 404)
    }
    const body = await readBody(request, maxBodyBytes)
    const { region } = await verifySigV4(request, body, {
      now,
      ...(credentials !== undefined && { credentials }),
    })
    const target = request.headers.get('x-amz-target') ?? ''
    const operationName = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : ''
    const operation = Object.hasOwn(OPERATIONS, operationName)
      ? OPERATIONS[operationName]
      : undefined
    if (!operation) {
      throw new AwsServiceError('UnknownOperationException', `Unknown operation ${target}.`)
    }
    const input = parseInput(body)

    const fault = takeFault(operationName)
    if (fault?.kind === 'latency') await sleep(fault.ms ?? 0)
    if (fault?.kind === 'throttle')
      throw new AwsServiceError('ThrottlingException', 'Rate exceeded')
    if (fault?.kind === 'server-error') {
      const status = fault.status ?? 500
      const type = status === 503 ? 'ServiceUnavailable' : 'InternalServiceError'
      throw new AwsServiceError(type, 'An error occurred on the server side.', status)
    }

    const output = await exclusive(() =>
      operation(
        { store, region, accountId, now: now(), randomSuffix: () => randomString(6) },
        input
      )
    )
    if (fault?.kind === 'drop-response') throw new DroppedResponse(operationName, requestId)
    return jsonResponse(200, output, requestId)
  }

  async function fetch(request: Request): Promise<Response> {
    const requestId = crypto.randomUUID()
    const origin = request.headers.get('origin')
    if (request.method === 'OPTIONS') return preflight(request, origin)
    let response: Response
    try {
      response = await handle(request, requestId)
    } catch (error) {
      if (error instanceof DroppedResponse) throw error
      response = errorResponse(error, requestId)
    }
    // The service sends Date, and clients correct clock skew from it, so it follows our clock.
    response.headers.set('date', new Date(now()).toUTCString())
    if (origin !== null) {
      response.headers.set('access-control-allow-origin', origin)
      response.headers.set('access-control-expose-headers', EXPOSED_HEADERS)
      response.headers.append('vary', 'Origin')
    }
    return response
  }

  return {
    fetch,
    injectFault(fault) {
      const remaining = fault.count ?? 1
      if (remaining > 0) faults.push({ fault, remaining })
    },
    clearFaults() {
      faults.length = 0
    },
  }
}

// A TypeError, because that is what `fetch` rejects with when a connection is lost.
class DroppedResponse extends TypeError {
  constructor(operation: string, requestId: string) {
    super(`The emulator dropped the ${operation} response (${requestId}) after committing it.`)
  }
}

function jsonResponse(status: number, body: Output, requestId: string, type?: string): Response {
  const headers = new Headers({ 'content-type': JSON_TYPE, 'x-amzn-requestid': requestId })
  if (type !== undefined) headers.set('x-amzn-errortype', type)
  return new Response(JSON.stringify(body), { status, headers })
}

function errorResponse(error: unknown, requestId: string): Response {
  if (error instanceof AwsServiceError) {
    return jsonResponse(
      error.status,
      { __type: error.type, message: error.message },
      requestId,
      error.type
    )
  }
  // A bug of ours must still look like the service's own server error, never an HTML page, and
  // must not echo anything from the request.
  return jsonResponse(
    500,
    { __type: 'InternalServiceError', message: 'An error occurred on the server side.' },
    requestId,
    'InternalServiceError'
  )
}

// The service answers CORS preflights without checking a signature.
function preflight(request: Request, origin: string | null): Response {
  const headers = new Headers({
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-max-age': '86400',
    vary: 'Origin',
  })
  if (origin !== null) headers.set('access-control-allow-origin', origin)
  const requested = request.headers.get('access-control-request-headers')
  if (requested !== null) headers.set('access-control-allow-headers', requested)
  return new Response(null, { status: 200, headers })
}

async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new AwsServiceError(
      'RequestEntityTooLargeException',
      `The request body exceeds ${limit} bytes.`,
      413
    )
  const declared = Number(request.headers.get('content-length') ?? '0')
  if (declared > limit) throw tooLarge()
  if (!request.body) return new Uint8Array()
  // Count while reading, since Content-Length can be absent or wrong.
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = request.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel()
      throw tooLarge()
    }
    chunks.push(value)
  }
  const body = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}

function parseInput(body: Uint8Array): Input {
  const text = new TextDecoder().decode(body).trim()
  if (text === '') return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new AwsServiceError('SerializationException', 'The request body is not valid JSON.')
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AwsServiceError('SerializationException', 'The request body must be a JSON object.')
  }
  return parsed as Input
}

/** Random characters from A–Z, a–z, 0–9 without modulo bias (rejection sampling on bytes). */
function randomString(length: number): string {
  let result = ''
  while (result.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      // 248 = 4 × 62: bytes at or above it would favour the first characters.
      if (byte < 248 && result.length < length) result += SUFFIX_ALPHABET[byte % 62]
    }
  }
  return result
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
