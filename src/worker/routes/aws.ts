import { type Context, Hono } from 'hono'
import { isSecretsManagerError } from '../../client/errors.js'
import { AwsServiceError } from '../../protocol/errors.js'
import { verifySigV4 } from '../../protocol/sigv4.js'
import { authorizeId, requireAction, requireCoveredName } from '../access.js'
import type { AppEnv } from '../env.js'
import { WorkerError } from '../errors.js'
import { coversName, type Grant, type GrantAction, isExpired } from '../grants.js'
import { deriveSecretAccessKey } from '../keys.js'
import type { WorkerState } from '../state.js'
import { checkMembers, type MemberSpec, parseJsonObject, readBody, toWire } from '../wire.js'
import {
  changeSecret,
  createInGrant,
  PASSWORD_MEMBERS,
  readBatch,
  readSecret,
  timed,
} from './secrets.js'

const JSON_TYPE = 'application/x-amz-json-1.1'
const TARGET_PREFIX = 'secretsmanager.'
// BatchGetSecretValue's own limit of ids (and of MaxResults) per call.
const MAX_BATCH_IDS = 20
// ListSecrets takes at most this many values in one filter.
const MAX_FILTER_VALUES = 10

type Input = Record<string, unknown>
type Run = (c: Context<AppEnv>, state: WorkerState, grant: Grant, input: Input) => Promise<unknown>

interface Served {
  /** The grant action the operation needs. */
  action: GrantAction
  /** Its request members (the service model's), with how the worker reads each. */
  members: MemberSpec
  run: Run
}

const SECRET_VALUE = { SecretString: 'string', SecretBinary: 'blob' } as const

// The operations served, by target; their members are the model's (shared/aws-model).
const SERVED: Record<string, Served> = {
  GetSecretValue: {
    action: 'read',
    members: { SecretId: 'string', VersionId: 'string', VersionStage: 'string' },
    run: async (c, state, _grant, input) =>
      toWire(
        await readSecret(c, state, secretIdOf(input), {
          VersionId: input.VersionId as string | undefined,
          VersionStage: input.VersionStage as string | undefined,
          refresh: false,
        })
      ),
  },
  DescribeSecret: {
    action: 'read',
    members: { SecretId: 'string' },
    run: async (c, state, grant, input) => {
      const { resolved } = authorizeId(c, grant, secretIdOf(input))
      c.get('log').secretId = resolved.id
      await state.limit(c, 'read')
      const { client } = state.upstream(c.env ?? {})
      const metadata = await timed(c, state, client.describeSecret({ SecretId: resolved.id }))
      requireCoveredName(grant, metadata.Name)
      return toWire(metadata)
    },
  },
  BatchGetSecretValue: {
    action: 'read',
    members: {
      SecretIdList: 'strings',
      Filters: 'json',
      MaxResults: 'integer',
      NextToken: 'string',
    },
    run: async (c, state, grant, input) => {
      const ids = input.SecretIdList as string[] | undefined
      if ((ids === undefined) === (input.Filters === undefined)) {
        throw new AwsServiceError(
          'InvalidParameterException',
          'Specify either SecretIdList or Filters, not both.'
        )
      }
      if (ids !== undefined) {
        if (ids.length === 0 || ids.length > MAX_BATCH_IDS) {
          throw new WorkerError(
            'ValidationException',
            `SecretIdList must hold 1-${MAX_BATCH_IDS} ids`
          )
        }
        c.get('log').secretId = ids
        await state.limit(c, 'read')
        return readBatch(c, state, grant, ids)
      }
      // By filters: a list (which the grant must allow too, as IAM asks for ListSecrets), then
      // a read of each name inside the grant.
      requireAction(c, 'list')
      c.get('log').action = 'read'
      const max = input.MaxResults
      if (max !== undefined && !(typeof max === 'number' && max >= 1 && max <= MAX_BATCH_IDS)) {
        throw new WorkerError('ValidationException', `MaxResults must be 1-${MAX_BATCH_IDS}`)
      }
      await state.limit(c, 'read')
      const page = await listInGrant(c, state, grant, {
        Filters: input.Filters,
        ...(input.MaxResults === undefined ? {} : { MaxResults: input.MaxResults }),
        ...(input.NextToken === undefined ? {} : { NextToken: input.NextToken }),
      })
      const names = page.entries.map((entry) => entry.Name as string)
      const batch =
        names.length === 0
          ? { SecretValues: [], Errors: [] }
          : await readBatch(c, state, grant, names)
      return { ...batch, ...(page.NextToken === undefined ? {} : { NextToken: page.NextToken }) }
    },
  },
  ListSecrets: {
    action: 'list',
    members: {
      IncludePlannedDeletion: 'boolean',
      MaxResults: 'integer',
      NextToken: 'string',
      Filters: 'json',
      SortOrder: 'string',
      SortBy: 'string',
    },
    run: async (c, state, grant, input) => {
      await state.limit(c, 'read')
      const page = await listInGrant(c, state, grant, input)
      // The metadata is DescribeSecret's, which needs read: without it, the name and ARN only.
      const full = grant.actions.includes('read')
      const SecretList = page.entries.map((entry) =>
        full ? entry : { ARN: entry.ARN, Name: entry.Name }
      )
      return toWire({ SecretList, NextToken: page.NextToken })
    },
  },
  CreateSecret: {
    action: 'write',
    members: {
      Name: 'string',
      ClientRequestToken: 'string',
      Description: 'string',
      KmsKeyId: 'string',
      ...SECRET_VALUE,
      Tags: 'tags',
      // Not AddReplicaRegions or ForceOverwriteReplicaSecret: replicas live in other regions,
      // whose ARNs the worker refuses, as it refuses ReplicateSecretToRegions.
      Type: 'string',
    },
    run: async (c, state, grant, input) => {
      if (typeof input.Name !== 'string') throw missing('name')
      return toWire(await createInGrant(c, state, grant, input, input.Name))
    },
  },
  PutSecretValue: change(
    'write',
    {
      ClientRequestToken: 'string',
      ...SECRET_VALUE,
      VersionStages: 'strings',
      RotationToken: 'string',
    },
    (client, input) => client.putSecretValue(input as never)
  ),
  UpdateSecret: change(
    'write',
    {
      ClientRequestToken: 'string',
      Description: 'string',
      KmsKeyId: 'string',
      ...SECRET_VALUE,
      Type: 'string',
    },
    (client, input) => client.updateSecret(input as never)
  ),
  DeleteSecret: change(
    'delete',
    {
      RecoveryWindowInDays: 'integer',
      ForceDeleteWithoutRecovery: 'boolean',
    },
    (client, input) => client.deleteSecret(input as never)
  ),
  RestoreSecret: change('delete', {}, (client, input) => client.restoreSecret(input as never)),
  GetRandomPassword: {
    action: 'random-password',
    members: PASSWORD_MEMBERS,
    run: async (c, state, _grant, input) => {
      await state.limit(c, 'read')
      const { client } = state.upstream(c.env ?? {})
      return toWire(await timed(c, state, client.getRandomPassword(input)))
    },
  },
}

// Every other operation of the service (the model's): refused as IAM refuses an action no
// policy allows. A target that is none of these is unknown, as the service says.
const REFUSED = new Set([
  'CancelRotateSecret',
  'DeleteResourcePolicy',
  'GetResourcePolicy',
  'ListSecretVersionIds',
  'PutResourcePolicy',
  'RemoveRegionsFromReplication',
  'ReplicateSecretToRegions',
  'RotateSecret',
  'StopReplicationToReplica',
  'TagResource',
  'UntagResource',
  'UpdateSecretVersionStage',
  'ValidateResourcePolicy',
])

// The error types by which Secrets Manager refuses the worker's own keys: the caller's request
// was fine, so they are the worker's failure (500), never the caller's auth error.
const UPSTREAM_AUTH = new Set([
  'AccessDeniedException',
  'AuthFailure',
  'ExpiredToken',
  'ExpiredTokenException',
  'IncompleteSignature',
  'IncompleteSignatureException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'NotAuthorized',
  'RequestExpired',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
])

/**
 * The AWS wire protocol on `POST /`: the Secrets Manager JSON 1.1 protocol, so any AWS SDK or
 * the CLI works through the worker with worker-issued keys. SigV4 is verified against the URL
 * as the caller signed it; reads go through the cache, writes upstream with the worker's own
 * keys. Answers as the service does: its members, statuses and `{"__type","message"}` errors.
 *
 * @param state The isolate's state.
 */
export function awsRoutes(state: WorkerState): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.post('/', async (c) => {
    try {
      const output = await handle(c, state)
      return respond(c, state, 200, output)
    } catch (error) {
      const { type, message, status } = asServiceError(c, error)
      const log = c.get('log')
      if (log.error === undefined) log.error = type
      return respond(c, state, status, { __type: type, message }, type)
    }
  })
  return app
}

async function handle(c: Context<AppEnv>, state: WorkerState): Promise<unknown> {
  const env = c.env ?? {}
  const log = c.get('log')
  let body: Uint8Array
  try {
    body = await readBody(c.req.raw, state.maxBodyBytes)
  } catch {
    throw new AwsServiceError(
      'RequestEntityTooLargeException',
      `The request body exceeds ${state.maxBodyBytes} bytes.`,
      413
    )
  }
  // No grants (or a list that does not parse): every request is refused, signed or not.
  const grants = state.grants(env)
  const master = state.masterKeys(env)
  let grant: Grant | undefined
  // Another scheme (a bearer token sent here by mistake) is refused without quoting it: the
  // verifier, like AWS, quotes a malformed Authorization header in its message.
  const authorization = c.req.header('authorization')?.trim() ?? ''
  if (authorization !== '' && !authorization.startsWith('AWS4-')) {
    throw new AwsServiceError(
      'IncompleteSignatureException',
      'The Authorization header must be an AWS4-HMAC-SHA256 signature (bearer tokens go to the /v1 routes).'
    )
  }
  const verified = await verifySigV4(c.req.raw, body, {
    now: state.now,
    ...(env.AWS_REGION === undefined ? {} : { region: env.AWS_REGION }),
    credentials: async (accessKeyId) => {
      const found = grants.keyIds.get(accessKeyId)
      if (found === undefined || master === undefined) return undefined
      const secret = await deriveSecretAccessKey(master, accessKeyId)
      if (secret !== undefined) grant = found
      return secret
    },
  })
  if (grant === undefined)
    throw new AwsServiceError(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.'
    )
  log.grant = grant.name
  log.accessKeyId = verified.accessKeyId
  if (isExpired(grant, state.now())) {
    throw new AwsServiceError(
      'ExpiredTokenException',
      'The security token included in the request is expired'
    )
  }
  c.set('grant', grant)

  const target = c.req.header('x-amz-target') ?? ''
  const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : ''
  if (operation !== '') log.operation = operation
  const served = Object.hasOwn(SERVED, operation) ? SERVED[operation] : undefined
  if (served === undefined) {
    if (REFUSED.has(operation)) {
      log.action = operation
      throw new AwsServiceError(
        'AccessDeniedException',
        `Grant "${grant.name}" is not authorized to perform: secretsmanager:${operation}`
      )
    }
    throw new AwsServiceError(
      'UnknownOperationException',
      'The requested operation is not supported.'
    )
  }
  requireAction(c, served.action)
  const input = checkMembers(parseJsonObject(body, true), served.members)
  return served.run(c, state, grant, input)
}

// PutSecretValue, UpdateSecret, DeleteSecret, RestoreSecret: one secret, by SecretId.
function change(
  action: GrantAction,
  members: MemberSpec,
  call: (
    client: ReturnType<WorkerState['upstream']>['client'],
    input: Input
  ) => Promise<{ ARN?: string | undefined; Name?: string | undefined }>
): Served {
  return {
    action,
    members: { SecretId: 'string', ...members },
    run: async (c, state, _grant, input) =>
      toWire(
        await changeSecret(c, state, action, secretIdOf(input), (client, SecretId) =>
          call(client, { ...input, SecretId })
        )
      ),
  }
}

// One ListSecrets page with only names inside the grant. Upstream is always asked for name
// prefixes inside the grant (the caller's own name filter narrowed to them), so that neither the
// entries nor the NextToken of a page say anything about secrets outside it; every entry is
// checked here as well, so a page may come back shorter (as the service's may).
async function listInGrant(
  c: Context<AppEnv>,
  state: WorkerState,
  grant: Grant,
  input: Input
): Promise<{ entries: Record<string, unknown>[]; NextToken: string | undefined }> {
  const filters = filtersOf(input.Filters)
  const others = filters.filter((filter) => filter.Key !== 'name')
  // A description, tag or "all" filter tests what a secret holds beyond its name: DescribeSecret's.
  if (others.length > 0 && !grant.actions.includes('read')) {
    throw new AwsServiceError(
      'AccessDeniedException',
      `Grant "${grant.name}" may filter only by name without read`
    )
  }
  const named = filters.filter((filter) => filter.Key === 'name').flatMap((f) => f.Values)
  if (named.some((value) => value.startsWith('!'))) {
    throw new AwsServiceError(
      'InvalidParameterException',
      'Negated name filters (!) are not accepted through the worker.'
    )
  }
  const prefixes = prefixesInGrant(grant, named.length === 0 ? undefined : named)
  if (prefixes.length === 0) return { entries: [], NextToken: undefined }
  // Up to 10 values in one filter; beyond that upstream is asked without a name filter, and only
  // the entries are filtered (the README says what a NextToken may then tell).
  const nameFilter = prefixes.length <= MAX_FILTER_VALUES ? [{ Key: 'name', Values: prefixes }] : []
  if (nameFilter.length === 0 && (others.length > 0 || named.length > 0)) {
    throw new AwsServiceError(
      'InvalidParameterException',
      `Grant "${grant.name}" has more patterns than one filter takes: list it without Filters.`
    )
  }
  const upstreamFilters = [...others, ...nameFilter]
  const { client } = state.upstream(c.env ?? {})
  const page = await timed(
    c,
    state,
    client.listSecrets({
      ...input,
      ...(upstreamFilters.length === 0 ? { Filters: undefined } : { Filters: upstreamFilters }),
    } as never)
  )
  const entries = (page.SecretList ?? []).filter(
    (entry) => entry.Name !== undefined && coversName(grant, entry.Name)
  ) as Record<string, unknown>[]
  return { entries, NextToken: page.NextToken }
}

// The name prefixes inside the grant that match the caller's (all the grant's without any): a
// `prefix/*` pattern narrowed to a longer caller prefix, or a pattern under a caller prefix.
function prefixesInGrant(grant: Grant, wanted: string[] | undefined): string[] {
  const out = new Set<string>()
  for (const value of wanted ?? [undefined]) {
    for (const pattern of grant.secrets) {
      const wildcard = pattern.endsWith('/*')
      const start = wildcard ? pattern.slice(0, -1) : pattern
      if (value === undefined || start.startsWith(value)) out.add(start)
      else if (wildcard && value.startsWith(start)) out.add(value)
    }
  }
  return [...out]
}

function filtersOf(value: unknown): { Key: string; Values: string[] }[] {
  if (value === undefined) return []
  const valid =
    Array.isArray(value) &&
    value.every(
      (filter) =>
        typeof filter === 'object' &&
        filter !== null &&
        typeof filter.Key === 'string' &&
        Array.isArray(filter.Values) &&
        filter.Values.every((v: unknown) => typeof v === 'string') &&
        Object.keys(filter).every((key) => key === 'Key' || key === 'Values')
    )
  if (!valid) {
    throw new AwsServiceError(
      'SerializationException',
      'Filters must be a list of { "Key", "Values" } with string values.'
    )
  }
  return value.map((filter) => ({ Key: filter.Key, Values: [...filter.Values] }))
}

function secretIdOf(input: Input): string {
  if (typeof input.SecretId !== 'string') throw missing('secretId')
  return input.SecretId
}

// The service's words for a required member left out.
function missing(member: string): AwsServiceError {
  return new AwsServiceError(
    'ValidationException',
    `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`
  )
}

function respond(
  c: Context<AppEnv>,
  state: WorkerState,
  status: number,
  body: unknown,
  type?: string
): Response {
  c.header('Content-Type', JSON_TYPE)
  c.header('x-amzn-RequestId', c.get('log').requestId)
  // SDKs correct their clock from Date, as they do against the service.
  c.header('Date', new Date(state.now()).toUTCString())
  if (type !== undefined) c.header('x-amzn-ErrorType', type)
  return c.body(JSON.stringify(body), status as 200)
}

// Every failure as the service would answer it. The worker's own refusals take the service's
// types and statuses (400 for AccessDeniedException and ThrottlingException).
function asServiceError(
  c: Context<AppEnv>,
  error: unknown
): { type: string; message: string; status: number } {
  if (error instanceof AwsServiceError) {
    return { type: error.type, message: error.message, status: error.status }
  }
  if (error instanceof WorkerError) {
    switch (error.code) {
      case 'AccessDeniedException':
      case 'ValidationException':
      case 'SerializationException':
        return { type: error.code, message: error.message, status: 400 }
      case 'PayloadTooLargeException':
        return { type: 'ValidationException', message: error.message, status: 400 }
      case 'TooManyRequestsException':
        return { type: 'ThrottlingException', message: 'Rate exceeded', status: 400 }
      case 'ServiceUnavailableException':
        return { type: 'ServiceUnavailable', message: error.message, status: 503 }
    }
  }
  if (isSecretsManagerError(error)) {
    if (UPSTREAM_AUTH.has(error.code)) {
      return {
        type: 'InternalServiceError',
        message: "The worker's own credentials were refused by Secrets Manager.",
        status: 500,
      }
    }
    // The service's own text, without the client's "Operation failed with Code: " prefix.
    const prefix = `${error.operation} failed with ${error.code}: `
    const message = error.message.startsWith(prefix)
      ? error.message.slice(prefix.length)
      : error.message
    if (error.status === undefined) {
      if (error.code === 'TimeoutError' || error.code === 'NetworkError') {
        // No answer from upstream: the SDK's retry will try again.
        return {
          type: 'ServiceUnavailable',
          message: 'Secrets Manager did not answer.',
          status: 503,
        }
      }
      if (error.code === 'CredentialsProviderError') {
        return {
          type: 'InternalServiceError',
          message: "The worker's own credentials could not be loaded.",
          status: 500,
        }
      }
      // The client's own check of the input, before any call: the caller's mistake, as the
      // service would answer it.
      return { type: error.code, message, status: 400 }
    }
    return { type: error.code, message, status: error.status }
  }
  // A bug: its name is logged, never its message (which may quote a value).
  const log = c.get('log')
  if (error instanceof Error) log.error = `InternalFailure (${error.name})`
  return {
    type: 'InternalServiceError',
    message: 'An error occurred on the server side.',
    status: 500,
  }
}
