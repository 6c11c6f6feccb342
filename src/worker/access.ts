import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from './env.js'
import { WorkerError } from './errors.js'
import { authenticate, coversName, type Grant, type GrantAction, isExpired } from './grants.js'
import { type ResolvedId, resolveSecretId } from './secret-id.js'
import type { WorkerState } from './state.js'

/** How far a grant covers an id: every name it may stand for, or only some (see ResolvedId). */
export type Coverage = 'all' | 'some'

/**
 * Middleware: finds the caller's grant from `Authorization: Bearer <token>` or, as the Secrets
 * Manager Agent takes it, `X-Aws-Parameters-Secrets-Token`. Refuses a missing, unknown or expired
 * token, and every token when no valid grants are configured.
 *
 * @param state The isolate's state.
 */
export function requireGrant(state: WorkerState): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const set = state.grants(c.env ?? {})
    const token = tokenOf(c)
    if (token === undefined) {
      throw new WorkerError(
        'MissingAuthenticationTokenException',
        'Send a token: Authorization: Bearer esk_…'
      )
    }
    const grant = await authenticate(set, token)
    if (grant === undefined)
      throw new WorkerError('InvalidTokenException', 'The token is not valid')
    c.get('log').grant = grant.name
    if (isExpired(grant, state.now())) {
      throw new WorkerError('ExpiredTokenException', `Grant "${grant.name}" has expired`)
    }
    c.set('grant', grant)
    await next()
  }
}

/**
 * Checks that the caller's grant has `action`, and records it in the log line.
 *
 * @throws {WorkerError} `AccessDeniedException`.
 */
export function requireAction(c: Context<AppEnv>, action: GrantAction): Grant {
  const grant = c.get('grant')
  c.get('log').action = action
  if (!grant.actions.includes(action)) {
    throw new WorkerError('AccessDeniedException', `Grant "${grant.name}" does not allow ${action}`)
  }
  return grant
}

/**
 * Checks a secret id, as the caller wrote it, against the grant: resolved (name, partial or full
 * ARN of this worker's account) and then matched by name.
 *
 * @returns The resolved id and how far the grant covers it.
 * @throws {WorkerError} `ValidationException` for a malformed id, `AccessDeniedException` when
 *   the grant covers none of the names it may stand for.
 */
export function authorizeId(
  c: Context<AppEnv>,
  grant: Grant,
  raw: string
): { resolved: ResolvedId; coverage: Coverage } {
  const env = c.env ?? {}
  const resolved = resolveSecretId(raw, { region: env.AWS_REGION, accountId: env.AWS_ACCOUNT_ID })
  const covered = resolved.names.filter((name) => coversName(grant, name))
  if (covered.length === 0) throw outOfScope(grant)
  return { resolved, coverage: covered.length === resolved.names.length ? 'all' : 'some' }
}

/**
 * Checks the `Name` in an upstream answer against the grant before anything of it is returned.
 *
 * @throws {WorkerError} `AccessDeniedException`.
 */
export function requireCoveredName(grant: Grant, name: string | undefined): void {
  if (name === undefined || !coversName(grant, name)) throw outOfScope(grant)
}

/** The error for a secret outside the grant. It names the grant, not the secret's value. */
export function outOfScope(grant: Grant): WorkerError {
  return new WorkerError('AccessDeniedException', `The secret is outside grant "${grant.name}"`)
}

function tokenOf(c: Context<AppEnv>): string | undefined {
  const authorization = c.req.header('authorization')
  // A Bearer token wins; another scheme (a proxy's Basic) leaves the Agent's header in play.
  if (authorization !== undefined && /^Bearer(\s|$)/i.test(authorization)) {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization)
    return match?.[1] ?? ''
  }
  return (
    c.req.header('x-aws-parameters-secrets-token')?.trim() ??
    (authorization === undefined ? undefined : '')
  )
}
