// One worker under test inside workerd: createSecretsApp on the real KV and rate-limit bindings
// of the workers project, with an in-process emulator as its upstream (so faults can be
// injected and upstream calls counted). Storage is shared by every test of a file: use
// uniqueName() for secrets, and the harness suffixes grant names so limiter counts never mix.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { Hono } from 'hono'
import { SecretsManagerClient } from '../../../src/client/index.js'
import { createEmulator, type Emulator } from '../../../src/emulator/index.js'
import {
  createSecretsApp,
  type Grant,
  hashToken,
  type RequestLog,
  type SecretsAppOptions,
  type WorkerBindings,
  type WorkerNotice,
} from '../../../src/worker/index.js'

/** A grant as a test writes it: a plain token instead of its hash (or none: AWS keys only). */
export interface TestGrant extends Omit<Grant, 'tokenSha256'> {
  token?: string
}

export interface HarnessOptions {
  grants: TestGrant[]
  /** Bindings over the defaults (region, account, the test encryption key, KV, limiters). */
  env?: Partial<WorkerBindings> & Record<string, unknown>
  /** App options besides grants and the upstream. */
  options?: Omit<SecretsAppOptions, 'grants' | 'clientOptions'>
  /**
   * The upstream: another harness's emulator, so two apps (two isolates) share one Secrets
   * Manager as well as the KV namespace. @default a new emulator
   */
  emulator?: Emulator
  /** The upstream client's time limit per attempt (`timeoutMs`). @default the client's */
  clientTimeoutMs?: number
  /**
   * Mounts the app in an outer Hono app at this path (`new Hono().route(mountPath, app)`), as a
   * user would. `send` then goes through the outer app, with paths written in full.
   */
  mountPath?: string
}

export interface Harness {
  app: ReturnType<typeof createSecretsApp>
  emulator: Emulator
  env: WorkerBindings & Record<string, unknown>
  /** Every log line, requests and notices. */
  logs: (RequestLog | WorkerNotice)[]
  /** Upstream calls made so far, by operation (`GetSecretValue`: 2). */
  calls: Map<string, number>
  /** The total of `calls` for these operations (all when none are given). */
  upstreamCalls(...operations: string[]): number
  /** The grant name as stored (the test's name plus this harness's suffix). */
  grantName(name: string): string
  /**
   * Sends one request with `token` as `Authorization: Bearer`, waits for its background work
   * (waitUntil), and returns status, headers, the raw text and the parsed JSON (or undefined).
   */
  send(path: string, init?: RequestInit & { token?: string }): Promise<Sent>
}

export interface Sent {
  status: number
  headers: Headers
  text: string
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary members
  json: any
}

export const ACCOUNT_ID = '123456789012'
export const REGION = 'us-east-1'
// base64 of 32 bytes: a test-only cache key.
export const TEST_CACHE_KEY = btoa('0123456789abcdef0123456789abcdef')

let counter = 0

/** A secret name no other test in the file uses, under `prefix`. */
export function uniqueName(prefix: string): string {
  return `${prefix}/${++counter}-${crypto.randomUUID().slice(0, 8)}`
}

/** A token in the worker's format. */
export function testToken(label = 'test'): string {
  return `esk_${label}_${crypto.randomUUID().replaceAll('-', '')}`
}

export async function createHarness(options: HarnessOptions): Promise<Harness> {
  const suffix = `-${++counter}-${crypto.randomUUID().slice(0, 6)}`
  const grants: Grant[] = await Promise.all(
    options.grants.map(async ({ token, ...grant }) => ({
      ...grant,
      name: grant.name + suffix,
      ...(token === undefined ? {} : { tokenSha256: [await hashToken(token)] }),
    }))
  )
  const emulator = options.emulator ?? createEmulator({ accountId: ACCOUNT_ID })
  const calls = new Map<string, number>()
  const logs: (RequestLog | WorkerNotice)[] = []
  const bindings = {
    AWS_REGION: REGION,
    AWS_ACCOUNT_ID: ACCOUNT_ID,
    CACHE_ENCRYPTION_KEY: TEST_CACHE_KEY,
    SECRETS_CACHE: env.SECRETS_CACHE,
    READ_LIMITER: env.READ_LIMITER,
    WRITE_LIMITER: env.WRITE_LIMITER,
    ...options.env,
  } as WorkerBindings & Record<string, unknown>
  const app = createSecretsApp({
    log: (line) => logs.push(line),
    ...options.options,
    grants,
    clientOptions: (bound) => ({
      region: bound.AWS_REGION ?? REGION,
      credentials: { accessKeyId: 'AKIDWORKERTEST', secretAccessKey: 'worker-test' },
      endpoint: 'http://emulator.test',
      maxAttempts: 2,
      ...(options.clientTimeoutMs === undefined ? {} : { timeoutMs: options.clientTimeoutMs }),
      fetch: async (input, init) => {
        const request = new Request(input, init)
        const operation = (request.headers.get('x-amz-target') ?? '').replace('secretsmanager.', '')
        calls.set(operation, (calls.get(operation) ?? 0) + 1)
        return emulator.fetch(request)
      },
    }),
  })
  const outer = options.mountPath === undefined ? app : new Hono().route(options.mountPath, app)
  return {
    app,
    emulator,
    env: bindings,
    logs,
    calls,
    upstreamCalls: (...operations) =>
      [...calls.entries()]
        .filter(([operation]) => operations.length === 0 || operations.includes(operation))
        .reduce((sum, [, n]) => sum + n, 0),
    grantName: (name) => name + suffix,
    send: (path, init = {}) => sendTo(outer, bindings, path, init),
  }
}

/**
 * Sends one request to any fetch handler (an app, an entry's default export) with `token` as
 * `Authorization: Bearer`, waits for its background work (waitUntil), and returns status,
 * headers, the raw text and the parsed JSON (or undefined).
 */
export async function sendTo(
  handler: {
    fetch(request: Request, env: object, ctx: ExecutionContext): Response | Promise<Response>
  },
  bindings: object,
  path: string,
  init: RequestInit & { token?: string } = {}
): Promise<Sent> {
  const { token, ...rest } = init
  const headers = new Headers(rest.headers)
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`)
  const ctx = createExecutionContext()
  const url = path.startsWith('http') ? path : `https://worker.test${path}`
  const response = await handler.fetch(new Request(url, { ...rest, headers }), bindings, ctx)
  // Decoded by hand: workerd warns on .text() for a type it does not take for text.
  const text = new TextDecoder().decode(await response.arrayBuffer())
  await waitOnExecutionContext(ctx)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}

/**
 * A client straight to a harness's emulator, not through the worker: a change made with it is
 * one the worker's cache has not seen (another writer, the console, a rotation).
 */
export function clientBehindWorker(h: Pick<Harness, 'emulator'>): SecretsManagerClient {
  return new SecretsManagerClient({
    region: REGION,
    credentials: { accessKeyId: 'AKIDBEHINDWORKER', secretAccessKey: 'behind-worker' },
    endpoint: 'http://emulator.test',
    fetch: (input, init) => h.emulator.fetch(new Request(input, init)),
  })
}
