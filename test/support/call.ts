// Signs and sends one raw Secrets Manager JSON 1.1 call to an emulator's fetch handler. Works in
// Node and in workerd. aws4fetch does the signing, so these tests exercise the emulator's
// verifier with a signer it does not share code with.
import { AwsClient } from 'aws4fetch'
import type { Emulator } from '../../src/emulator/index.js'

export const TEST_CREDENTIALS = {
  accessKeyId: 'AKIDTESTEXAMPLE',
  secretAccessKey: 'test-secret-key',
}

export interface CallOptions {
  region?: string
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  /** Raw body text instead of JSON.stringify(input). */
  rawBody?: string
  /** Extra headers, signed too. */
  headers?: Record<string, string>
  datetime?: string
}

export interface CallResult {
  status: number
  headers: Headers
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary AWS members
  body: any
}

/** Builds the signed request without sending it. */
export async function signedRequest(
  operation: string,
  input: unknown,
  options: CallOptions = {}
): Promise<Request> {
  const region = options.region ?? 'us-east-1'
  const aws = new AwsClient({
    ...(options.credentials ?? TEST_CREDENTIALS),
    service: 'secretsmanager',
    region,
    retries: 0,
  })
  return aws.sign(`https://secretsmanager.${region}.amazonaws.com/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `secretsmanager.${operation}`,
      ...options.headers,
    },
    body: options.rawBody ?? JSON.stringify(input),
    ...(options.datetime !== undefined && { aws: { datetime: options.datetime } }),
  })
}

/** Calls `operation` and returns status, headers and the parsed JSON body. */
export async function call(
  emulator: Emulator,
  operation: string,
  input: unknown = {},
  options: CallOptions = {}
): Promise<CallResult> {
  return readResult(await emulator.fetch(await signedRequest(operation, input, options)))
}

/**
 * Reads a JSON 1.1 response into status, headers and the parsed body (`{}` when empty). Decoded
 * by hand: workerd warns when `.text()` or `.json()` meets a non-text content type like
 * x-amz-json-1.1.
 */
export async function readResult(response: Response): Promise<CallResult> {
  const text = new TextDecoder().decode(await response.arrayBuffer())
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} }
}

/** Calls `operation`, expecting success; returns the body. */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary AWS members
export async function ok(emulator: Emulator, operation: string, input: unknown = {}): Promise<any> {
  const result = await call(emulator, operation, input)
  if (result.status !== 200) {
    throw new Error(`${operation} failed: ${result.status} ${JSON.stringify(result.body)}`)
  }
  return result.body
}

/** `YYYYMMDDTHHMMSSZ`, the form SigV4 signs with, for signing at an injected clock. */
export const amzDate = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '')

/** A fresh 36-character token, as SDKs send. */
export const token = () => crypto.randomUUID()
