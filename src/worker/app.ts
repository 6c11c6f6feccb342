import { type Context, Hono } from 'hono'
import { cors } from 'hono/cors'
import { HTTPException } from 'hono/http-exception'
import { isSecretsManagerError } from '../client/errors.js'
import { requireGrant } from './access.js'
import type { AppEnv, RequestLog } from './env.js'
import { WorkerError, type WorkerErrorCode } from './errors.js'
import { agentRoutes } from './routes/agent.js'
import { awsRoutes } from './routes/aws.js'
import { secretsRoutes } from './routes/secrets.js'
import { type SecretsAppOptions, WorkerState } from './state.js'

/**
 * The one status table of the REST and Agent routes. The worker's own errors first, then
 * Secrets Manager's as they reach the caller: a failure of the worker's own AWS keys or of the
 * service is the upstream's (502), never the caller's 401 or 403.
 */
const STATUS: {
  worker: Record<WorkerErrorCode, number>
  upstream: Record<string, number>
  upstreamDefault: number
} = {
  worker: {
    SerializationException: 400,
    ValidationException: 400,
    MissingAuthenticationTokenException: 401,
    InvalidTokenException: 401,
    ExpiredTokenException: 401,
    AccessDeniedException: 403,
    NotFoundException: 404,
    MethodNotAllowedException: 405,
    PayloadTooLargeException: 413,
    TooManyRequestsException: 429,
    ServiceUnavailableException: 503,
  },
  upstream: {
    InvalidParameterException: 400,
    InvalidRequestException: 400,
    InvalidNextTokenException: 400,
    MalformedPolicyDocumentException: 400,
    PreconditionNotMetException: 400,
    ValidationException: 400,
    SerializationException: 400,
    // The caller's KmsKeyId cannot be used to encrypt.
    EncryptionFailure: 400,
    // A Secrets Manager quota (versions per secret, secrets per account): not a rate.
    LimitExceededException: 400,
    ResourceNotFoundException: 404,
    ResourceExistsException: 409,
    ThrottlingException: 429,
    TooManyRequestsException: 429,
    RequestLimitExceeded: 429,
    TimeoutError: 504,
  },
  upstreamDefault: 502,
}
// An upstream throttle's Retry-After: the client has already retried with backoff.
const UPSTREAM_RETRY_AFTER_SECONDS = 1

/**
 * Creates the edge-secrets worker: Secrets Manager over HTTP for callers that hold a scoped
 * bearer token instead of AWS keys. Deploy it as it is (`export default createSecretsApp(…)`)
 * or mount its routes in your own Hono app.
 *
 * @param options Grants, upstream, cache, limits and logging; see {@link SecretsAppOptions}.
 * @returns A Hono app; its `fetch` is a Worker's fetch handler.
 * @throws {TypeError} When an option is invalid.
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { createSecretsApp } from 'edge-secrets/worker'
 * import grants from './grants.json'
 *
 * const app = new Hono()
 * app.route('/secrets', createSecretsApp({ grants }))
 * export default app
 * ```
 */
export function createSecretsApp(options: SecretsAppOptions = {}): Hono<AppEnv> {
  const state = new WorkerState(options)
  const app = new Hono<AppEnv>()

  // Outermost: every response, errors and preflights included, is no-store and logged once.
  app.use('*', async (c, next) => {
    const started = state.now()
    const log: RequestLog = {
      requestId: crypto.randomUUID(),
      method: c.req.method,
      path: new URL(c.req.url).pathname,
    }
    c.set('log', log)
    await next()
    c.res.headers.set('Cache-Control', 'no-store')
    c.res.headers.set('X-Content-Type-Options', 'nosniff')
    c.res.headers.set('X-Request-Id', log.requestId)
    log.status = c.res.status
    log.durationMs = state.now() - started
    state.log(log)
  })

  // Only requests with an Origin are CORS requests (a preflight always has one). Hono's cors
  // builds and rebuilds the response even without one: a quarter of a cached read's CPU.
  const corsHeaders = cors({
    origin: (origin, c: Context<AppEnv>) =>
      allowedOrigins(state, c).includes(origin) ? origin : null,
    allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    // The REST routes' headers, then those the AWS SDKs send to `POST /` from a browser.
    allowHeaders: [
      'Authorization',
      'Content-Type',
      'X-Aws-Parameters-Secrets-Token',
      'X-Amz-Target',
      'X-Amz-Date',
      'X-Amz-Content-Sha256',
      'X-Amz-Security-Token',
      'X-Amz-User-Agent',
      'Amz-Sdk-Invocation-Id',
      'Amz-Sdk-Request',
    ],
    exposeHeaders: [
      'Retry-After',
      'X-Request-Id',
      'X-Edge-Secrets-Cache',
      'x-amzn-RequestId',
      'x-amzn-ErrorType',
      'Date',
    ],
    maxAge: 600,
  })
  app.use('*', (c, next) => (c.req.header('origin') === undefined ? next() : corsHeaders(c, next)))

  // The Agent's health check: no token, as the Agent.
  app.get('/ping', (c) => c.text('healthy'))

  // The AWS wire protocol (SigV4 with worker-issued keys), for any AWS SDK or the CLI.
  app.route('/', awsRoutes(state))

  app.use('/v1/*', requireGrant(state))
  app.use('/secretsmanager/*', requireGrant(state))
  app.route('/', secretsRoutes(state))
  app.route('/', agentRoutes(state))

  // Unknown paths under the worker's own prefixes, also when it is mounted in another app
  // (whose notFound would answer otherwise); and everything else when it runs on its own.
  const noRoute = (c: Context<AppEnv>) =>
    errorResponse(c, 'NotFoundException', 'No such route', STATUS.worker.NotFoundException)
  app.all('/v1/*', noRoute)
  app.all('/secretsmanager/*', noRoute)
  app.notFound(noRoute)

  app.onError((error, c) => {
    const log = c.get('log')
    if (error instanceof WorkerError) {
      if (error.retryAfterSeconds !== undefined)
        c.header('Retry-After', String(error.retryAfterSeconds))
      return errorResponse(c, error.code, error.message, STATUS.worker[error.code])
    }
    if (isSecretsManagerError(error)) {
      // Own members only: an upstream __type such as `toString` is not in the table.
      const status = Object.hasOwn(STATUS.upstream, error.code)
        ? (STATUS.upstream[error.code] as number)
        : STATUS.upstreamDefault
      if (status === 429) c.header('Retry-After', String(UPSTREAM_RETRY_AFTER_SECONDS))
      // The client's message names the operation and the service's text, never a value.
      return errorResponse(c, error.code, error.message, status)
    }
    if (error instanceof HTTPException) {
      const status = STATUS.worker.ValidationException
      return errorResponse(c, 'ValidationException', 'The request could not be read', status)
    }
    // Anything else is a bug: its name is logged, never its message (which may quote a value).
    if (log !== undefined) log.error = `InternalFailure (${error.name})`
    return errorResponse(c, 'InternalFailure', 'The worker failed to answer this request', 500)
  })
  return app
}

function errorResponse(c: Context<AppEnv>, type: string, message: string, status: number) {
  const log = c.get('log')
  if (log !== undefined && log.error === undefined) log.error = type
  return c.json({ __type: type, message }, status as 400)
}

function allowedOrigins(state: WorkerState, c: Context<AppEnv>): readonly string[] {
  const configured = (c.env?.CORS_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '')
  return [...state.corsOrigins, ...configured]
}
