// The msw wiring shared by the Node client tests: one server per test file, and the one place
// that routes the Secrets Manager endpoint to the emulator's fetch handler.
import { type HttpHandler, HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest'
import { createEmulator } from '../../src/emulator/index.js'

/** The region the tests use. */
export const REGION = 'us-east-1'
/** The standard endpoint of {@link REGION}. */
export const ENDPOINT = `https://secretsmanager.${REGION}.amazonaws.com/`
/** The documentation key pair (also the AWS-CONTRACT.md signing vector's). */
export const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
}

/** Anything with the emulator's fetch handler. */
export interface FetchHandler {
  fetch(request: Request): Promise<Response>
}

/**
 * Starts an msw server for the calling test file: it listens before all tests (unhandled requests
 * are errors), drops per-test handlers after each test and closes after all.
 *
 * @param handlers The default handlers, restored after each test.
 * @returns The server, for `server.use(...)` overrides in single tests.
 */
export function setupMockServer(...handlers: HttpHandler[]) {
  const server = setupServer(...handlers)
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  afterEach(() => server.resetHandlers())
  afterAll(() => server.close())
  return server
}

/**
 * Routes `endpoint` to an emulator. When the emulator's handler rejects with a TypeError (its
 * `drop-response` fault: the operation committed, the response is lost), the client sees a
 * network error. A `Date` header is added when missing, as an HTTP server would; the client
 * corrects clock skew from it.
 *
 * @param emulator The emulator (or any fetch handler).
 * @param endpoint The URL to route.
 * @returns The msw handler.
 */
export function emulatorHandler(emulator: FetchHandler, endpoint: string = ENDPOINT): HttpHandler {
  return http.all(endpoint, async ({ request }) => {
    try {
      const response = await emulator.fetch(request)
      if (!response.headers.has('date')) response.headers.set('date', new Date().toUTCString())
      return response
    } catch (e) {
      if (e instanceof TypeError) return HttpResponse.error()
      throw e
    }
  })
}

/**
 * The emulator behind msw for a client test file, verifying every signature with
 * {@link CREDENTIALS}, and the requests that reached it: their operation and headers, cleared
 * before each test. Faults and fake timers are cleared after each test.
 *
 * @returns The emulator, the server, and the `targets` and `received` lists.
 */
export function setupEmulatorServer() {
  const emulator = createEmulator({ credentials: [CREDENTIALS] })
  const server = setupMockServer(emulatorHandler(emulator))
  const targets: string[] = []
  const received: Headers[] = []
  server.events.on('request:start', ({ request }) => {
    targets.push(request.headers.get('x-amz-target')?.replace('secretsmanager.', '') ?? '')
    received.push(request.headers)
  })
  beforeEach(() => {
    targets.length = 0
    received.length = 0
  })
  afterEach(() => {
    emulator.clearFaults()
    vi.useRealTimers()
  })
  return { emulator, server, targets, received }
}
