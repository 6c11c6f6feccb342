import { type Context, Hono } from 'hono'
import { routePath } from 'hono/route'
import type { GetSecretValueResponse } from '../../client/types.js'
import { authorizeId, outOfScope, requireAction, requireCoveredName } from '../access.js'
import type { AppEnv, CacheOutcome } from '../env.js'
import { WorkerError } from '../errors.js'
import { coversName, type Grant, type GrantAction } from '../grants.js'
import { isCanonicalName } from '../secret-id.js'
import { type WorkerState, waitUntilOf } from '../state.js'
import { checkMembers, type MemberSpec, readJsonBody, toWire } from '../wire.js'

/** What a read asks for: a stage or a version, and whether to refresh from upstream first. */
export interface ReadRequest {
  VersionId?: string | undefined
  VersionStage?: string | undefined
  refresh: boolean
}

const CREATE_MEMBERS: MemberSpec = {
  Name: 'string',
  ClientRequestToken: 'string',
  Description: 'string',
  KmsKeyId: 'string',
  SecretString: 'string',
  SecretBinary: 'blob',
  Tags: 'tags',
}
const PUT_MEMBERS: MemberSpec = {
  ClientRequestToken: 'string',
  SecretString: 'string',
  SecretBinary: 'blob',
  VersionStages: 'strings',
}
const UPDATE_MEMBERS: MemberSpec = {
  ClientRequestToken: 'string',
  Description: 'string',
  KmsKeyId: 'string',
  SecretString: 'string',
  SecretBinary: 'blob',
}
/** GetRandomPassword's members, on both the REST route and POST /. */
export const PASSWORD_MEMBERS: MemberSpec = {
  PasswordLength: 'integer',
  ExcludeCharacters: 'string',
  ExcludeNumbers: 'boolean',
  ExcludePunctuation: 'boolean',
  ExcludeUppercase: 'boolean',
  ExcludeLowercase: 'boolean',
  IncludeSpace: 'boolean',
  RequireEachIncludedType: 'boolean',
}
const BATCH_MEMBERS: MemberSpec = { SecretIdList: 'strings' }
// BatchGetSecretValue's own limit of ids per call.
const MAX_BATCH_IDS = 20
// ListSecrets takes at most this many values in one filter.
const MAX_FILTER_VALUES = 10
// Filter values: the characters of names, and no more than a name's length.
const PREFIX_CHARS = /^[A-Za-z0-9/_+=.@-]{1,512}$/

/**
 * The REST routes under `/v1`: secrets by id, metadata, restore, list, batch reads and random
 * passwords. Every route needs a grant (checked before these run) with the route's action.
 *
 * @param state The isolate's state.
 */
export function secretsRoutes(state: WorkerState): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  // Known paths, other methods.
  const allow = (methods: string) => (c: Context<AppEnv>) => {
    c.header('Allow', methods)
    throw new WorkerError('MethodNotAllowedException', `Use ${methods} on this path`)
  }

  app.get('/v1/secrets', async (c) => {
    const grant = requireAction(c, 'list')
    const query = queryOf(c, ['prefix', 'maxResults', 'nextToken'])
    if (query.prefix !== undefined && !PREFIX_CHARS.test(query.prefix)) {
      throw new WorkerError(
        'ValidationException',
        'prefix must be 1-512 characters of a secret name'
      )
    }
    const maxResults =
      query.maxResults === undefined
        ? undefined
        : integerParam('maxResults', query.maxResults, 1, 100)
    await state.limit(c, 'read')
    const prefixes = listPrefixes(grant, query.prefix)
    // Nothing the grant covers starts with the prefix: no need to ask.
    if (prefixes !== undefined && prefixes.length === 0) return c.json({ SecretList: [] })
    const { client } = state.upstream(c.env ?? {})
    const page = await timed(
      c,
      state,
      client.listSecrets({
        ...(maxResults === undefined ? {} : { MaxResults: maxResults }),
        ...(query.nextToken === undefined ? {} : { NextToken: query.nextToken }),
        ...(prefixes === undefined ? {} : { Filters: [{ Key: 'name', Values: prefixes }] }),
      })
    )
    // Only names inside the grant, and only the name and ARN (the rest is DescribeSecret's,
    // which needs read). A page may come back shorter, or empty with a NextToken.
    const SecretList = (page.SecretList ?? [])
      .filter((entry) => entry.Name !== undefined && coversName(grant, entry.Name))
      .map(({ ARN, Name }) => ({ ARN, Name }))
    return c.json(toWire({ SecretList, NextToken: page.NextToken }) as object)
  })

  app.get('/v1/secrets/*', async (c) => {
    const query = queryOf(c, ['versionId', 'versionStage', 'refresh'])
    const read = await readSecret(c, state, rawIdOf(c), {
      VersionId: query.versionId,
      VersionStage: query.versionStage,
      refresh: query.refresh === undefined ? false : booleanParam('refresh', query.refresh),
    })
    return c.json(toWire(read) as object)
  })

  app.post('/v1/secrets', async (c) => {
    queryOf(c, [])
    const grant = requireAction(c, 'write')
    const input = checkMembers(await readJsonBody(c.req.raw, state.maxBodyBytes), CREATE_MEMBERS)
    if (typeof input.Name !== 'string') {
      throw new WorkerError('ValidationException', 'Member Name is required')
    }
    const out = await createInGrant(c, state, grant, input, input.Name)
    return c.json(toWire(out) as object, 201)
  })
  // Before the `/v1/secrets/*` routes, which match the bare path too (with an empty id).
  app.all('/v1/secrets', allow('GET, POST'))

  app.put('/v1/secrets/*', async (c) => {
    queryOf(c, [])
    const input = checkMembers(await readJsonBody(c.req.raw, state.maxBodyBytes), PUT_MEMBERS)
    return c.json(
      toWire(
        await changeSecret(c, state, 'write', rawIdOf(c), (client, SecretId) =>
          client.putSecretValue({ ...input, SecretId })
        )
      ) as object
    )
  })

  app.patch('/v1/secrets/*', async (c) => {
    queryOf(c, [])
    const input = checkMembers(await readJsonBody(c.req.raw, state.maxBodyBytes), UPDATE_MEMBERS)
    return c.json(
      toWire(
        await changeSecret(c, state, 'write', rawIdOf(c), (client, SecretId) =>
          client.updateSecret({ ...input, SecretId })
        )
      ) as object
    )
  })

  app.delete('/v1/secrets/*', async (c) => {
    const query = queryOf(c, ['recoveryWindowInDays', 'force'])
    const force = query.force === undefined ? false : booleanParam('force', query.force)
    const days =
      query.recoveryWindowInDays === undefined
        ? undefined
        : integerParam('recoveryWindowInDays', query.recoveryWindowInDays, 7, 30)
    if (force && days !== undefined) {
      throw new WorkerError(
        'ValidationException',
        'Give either force=true or recoveryWindowInDays, not both'
      )
    }
    return c.json(
      toWire(
        await changeSecret(c, state, 'delete', rawIdOf(c), (client, SecretId) =>
          client.deleteSecret({
            SecretId,
            ...(force ? { ForceDeleteWithoutRecovery: true } : {}),
            ...(days === undefined ? {} : { RecoveryWindowInDays: days }),
          })
        )
      ) as object
    )
  })

  app.post('/v1/restore/*', async (c) => {
    queryOf(c, [])
    return c.json(
      toWire(
        await changeSecret(c, state, 'delete', rawIdOf(c), (client, SecretId) =>
          client.restoreSecret({ SecretId })
        )
      ) as object
    )
  })

  app.get('/v1/metadata/*', async (c) => {
    queryOf(c, [])
    const raw = rawIdOf(c)
    c.get('log').secretId = raw
    const grant = requireAction(c, 'read')
    const { resolved } = authorizeId(c, grant, raw)
    c.get('log').secretId = resolved.id
    await state.limit(c, 'read')
    const { client } = state.upstream(c.env ?? {})
    const metadata = await timed(c, state, client.describeSecret({ SecretId: resolved.id }))
    requireCoveredName(grant, metadata.Name)
    return c.json(toWire(metadata) as object)
  })

  app.post('/v1/batch-get', async (c) => {
    queryOf(c, [])
    const grant = requireAction(c, 'read')
    const input = checkMembers(await readJsonBody(c.req.raw, state.maxBodyBytes), BATCH_MEMBERS)
    const ids = input.SecretIdList
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_BATCH_IDS) {
      throw new WorkerError('ValidationException', `SecretIdList must hold 1-${MAX_BATCH_IDS} ids`)
    }
    c.get('log').secretId = ids as string[]
    await state.limit(c, 'read')
    return c.json(await readBatch(c, state, grant, ids as string[]))
  })

  app.post('/v1/random-password', async (c) => {
    queryOf(c, [])
    requireAction(c, 'random-password')
    const input = checkMembers(
      await readJsonBody(c.req.raw, state.maxBodyBytes, true),
      PASSWORD_MEMBERS
    )
    await state.limit(c, 'read')
    const { client } = state.upstream(c.env ?? {})
    return c.json(toWire(await timed(c, state, client.getRandomPassword(input))) as object)
  })

  app.all('/v1/secrets/*', allow('GET, PUT, PATCH, DELETE'))
  app.all('/v1/restore/*', allow('POST'))
  app.all('/v1/metadata/*', allow('GET'))
  app.all('/v1/batch-get', allow('POST'))
  app.all('/v1/random-password', allow('POST'))
  return app
}

/**
 * Reads a secret through the cache for the caller's grant: the id checked, the rate limit
 * counted, a refresh forced when asked, and the answer's `Name` checked before it is returned.
 *
 * @returns The value, as the client gives it.
 * @throws {WorkerError | SecretsManagerError}
 */
export async function readSecret(
  c: Context<AppEnv>,
  state: WorkerState,
  rawId: string,
  request: ReadRequest
): Promise<GetSecretValueResponse> {
  const log = c.get('log')
  log.secretId = rawId
  const grant = requireAction(c, 'read')
  const { resolved } = authorizeId(c, grant, rawId)
  log.secretId = resolved.id
  await state.limit(c, 'read')
  const { cache } = state.upstream(c.env ?? {})
  const waitUntil = waitUntilOf(c)
  const opts = {
    ...(request.VersionId === undefined ? {} : { VersionId: request.VersionId }),
    ...(request.VersionStage === undefined ? {} : { VersionStage: request.VersionStage }),
    ...(waitUntil === undefined ? {} : { waitUntil }),
  }
  const started = state.now()
  // A forced refresh answers with the fresh value or the upstream's error, as the Agent does.
  const found = await cache.lookup(resolved.id, { ...opts, refresh: request.refresh })
  const outcome: CacheOutcome = found.stale
    ? 'stale'
    : found.source === 'store'
      ? 'kv'
      : found.source
  log.cache = outcome
  if (outcome === 'upstream') log.upstreamMs = state.now() - started
  // The upstream's own answer decides: an ARN that stood for two names, or any surprise. Only
  // then is the cache outcome told, so a refusal says nothing of the cache.
  requireCoveredName(grant, found.value.Name)
  c.header('X-Edge-Secrets-Cache', outcome)
  return found.value
}

/** One refused or failed id of a batch read, as BatchGetSecretValue's `Errors` holds it. */
export interface BatchError {
  SecretId: string
  ErrorCode: string
  Message: string
}

/**
 * Reads several secrets through the cache for the caller's grant (the rate limit already
 * counted): each id checked on its own, and each answer's `Name` checked before its value is
 * returned. A refused id is in `Errors`, never its value.
 *
 * @returns The values in wire form, and the errors by the id as the caller wrote it.
 */
export async function readBatch(
  c: Context<AppEnv>,
  state: WorkerState,
  grant: Grant,
  ids: readonly string[]
): Promise<{ SecretValues: unknown[]; Errors: BatchError[] }> {
  const errors = new Map<string, BatchError>()
  const wanted = new Map<string, string>() // resolved id → the id as the caller wrote it
  for (const raw of ids) {
    try {
      wanted.set(authorizeId(c, grant, raw).resolved.id, raw)
    } catch (error) {
      if (!(error instanceof WorkerError)) throw error
      errors.set(raw, { SecretId: raw, ErrorCode: error.code, Message: error.message })
    }
  }
  const values: unknown[] = []
  if (wanted.size > 0) {
    const { cache } = state.upstream(c.env ?? {})
    const waitUntil = waitUntilOf(c)
    const started = state.now()
    const batch = await cache.getSecretValues([...wanted.keys()], waitUntil ? { waitUntil } : {})
    c.get('log').upstreamMs = state.now() - started
    for (const entry of batch.SecretValues) {
      const { SecretId, ...value } = entry
      if (value.Name !== undefined && coversName(grant, value.Name)) {
        values.push(toWire(value))
      } else {
        const raw = wanted.get(SecretId) ?? SecretId
        const denied = outOfScope(grant)
        errors.set(raw, { SecretId: raw, ErrorCode: denied.code, Message: denied.message })
      }
    }
    for (const error of batch.Errors) {
      const raw = wanted.get(error.SecretId) ?? error.SecretId
      errors.set(raw, { ...error, SecretId: raw })
    }
  }
  return { SecretValues: values, Errors: [...errors.values()] }
}

/**
 * CreateSecret for the caller's grant: the name checked (canonical, never an ARN, inside the
 * grant), the write limit counted, the caller's `ClientRequestToken` passed through (so its
 * retries stay idempotent), and the cache invalidated.
 *
 * @returns The upstream's answer.
 */
export async function createInGrant(
  c: Context<AppEnv>,
  state: WorkerState,
  grant: Grant,
  input: Record<string, unknown>,
  name: string
): Promise<{
  ARN?: string | undefined
  Name?: string | undefined
  VersionId?: string | undefined
}> {
  c.get('log').secretId = name
  // A new secret is named, never addressed by ARN (which is no name: it holds `:`).
  if (!isCanonicalName(name)) {
    throw new WorkerError(
      'ValidationException',
      'Name must be a secret name (ASCII letters, digits and /_+=.@-, with no empty, "." or ".." segments), not an ARN'
    )
  }
  if (!coversName(grant, name)) throw outOfScope(grant)
  await state.limit(c, 'write')
  const { client, cache } = state.upstream(c.env ?? {})
  const out = await timed(c, state, client.createSecret({ ...input, Name: name }))
  await invalidate(cache, [name, out.ARN, out.Name])
  return out
}

/**
 * A write, delete or restore of one secret: checked, limited, made, and the cache invalidated.
 *
 * @returns The upstream's answer.
 */
export async function changeSecret<
  T extends { ARN?: string | undefined; Name?: string | undefined },
>(
  c: Context<AppEnv>,
  state: WorkerState,
  action: GrantAction,
  rawId: string,
  call: (client: ReturnType<WorkerState['upstream']>['client'], SecretId: string) => Promise<T>
): Promise<T> {
  c.get('log').secretId = rawId
  const grant = requireAction(c, action)
  const { resolved, coverage } = authorizeId(c, grant, rawId)
  c.get('log').secretId = resolved.id
  await state.limit(c, 'write')
  const { client, cache } = state.upstream(c.env ?? {})
  let SecretId = resolved.id
  if (coverage === 'some') {
    // A full ARN that may stand for a name outside the grant: ask which secret it is before
    // changing anything, then change exactly that one (its full ARN).
    const metadata = await timed(c, state, client.describeSecret({ SecretId }))
    requireCoveredName(grant, metadata.Name)
    SecretId = metadata.ARN ?? SecretId
  }
  const out = await timed(c, state, call(client, SecretId))
  await invalidate(cache, [resolved.id, SecretId, ...resolved.names, out.ARN, out.Name])
  return out
}

/** Forgets every entry a change may have made stale, by each id a read may have used. */
export async function invalidate(
  cache: ReturnType<WorkerState['upstream']>['cache'],
  ids: (string | undefined)[]
): Promise<void> {
  const unique = new Set(ids.filter((id): id is string => id !== undefined))
  await Promise.all([...unique].map((id) => cache.invalidate(id)))
}

/** Awaits an upstream call, adding its time to the log line. */
export async function timed<T>(
  c: Context<AppEnv>,
  state: WorkerState,
  call: Promise<T>
): Promise<T> {
  const started = state.now()
  try {
    return await call
  } finally {
    const log = c.get('log')
    log.upstreamMs = (log.upstreamMs ?? 0) + (state.now() - started)
  }
}

/**
 * The secret id from the rest of the path: everything after the route's fixed segments (however
 * deep the app is mounted), percent-decoded exactly once, so `%2F` is a `/` and `%252F` stays
 * `%2F` (and is then refused as a name).
 */
export function rawIdOf(c: Context<AppEnv>): string {
  const fixed = routePath(c).split('/').length - 1
  const raw = new URL(c.req.url).pathname.split('/').slice(fixed).join('/')
  try {
    return decodeURIComponent(raw)
  } catch {
    throw new WorkerError('ValidationException', 'The secret id is not valid percent-encoding')
  }
}

/**
 * The query parameters, each at most once and each one of `allowed`.
 *
 * @throws {WorkerError} `ValidationException` naming an unknown or repeated parameter.
 */
export function queryOf(c: Context<AppEnv>, allowed: readonly string[]): Record<string, string> {
  const query: Record<string, string> = {}
  for (const [key, value] of new URL(c.req.url).searchParams) {
    if (!allowed.includes(key)) {
      throw new WorkerError('ValidationException', `Unknown query parameter: ${key.slice(0, 64)}`)
    }
    if (Object.hasOwn(query, key)) {
      throw new WorkerError('ValidationException', `Repeated query parameter: ${key}`)
    }
    query[key] = value
  }
  return query
}

// The name prefixes a list asks Secrets Manager for: the grant's patterns, narrowed by the
// caller's prefix, so that a page holds names the grant may show (and says nothing of how many
// others there are). `undefined` when there are more than a filter takes (10): the caller's
// prefix alone, and the answer is filtered here.
export function listPrefixes(grant: Grant, prefix: string | undefined): string[] | undefined {
  const values = new Set<string>()
  for (const pattern of grant.secrets) {
    const wildcard = pattern.endsWith('/*')
    const start = wildcard ? pattern.slice(0, -1) : pattern
    if (prefix === undefined || start.startsWith(prefix)) values.add(start)
    else if (wildcard && prefix.startsWith(start)) values.add(prefix)
  }
  if (values.size <= MAX_FILTER_VALUES) return [...values]
  return prefix === undefined ? undefined : [prefix]
}

function booleanParam(name: string, value: string): boolean {
  if (value === 'true') return true
  if (value === 'false') return false
  throw new WorkerError('ValidationException', `${name} must be true or false`)
}

function integerParam(name: string, value: string, min: number, max: number): number {
  const n = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN
  if (!(n >= min && n <= max)) {
    throw new WorkerError('ValidationException', `${name} must be an integer from ${min} to ${max}`)
  }
  return n
}
