import {
  AwsServiceError,
  invalidParameter,
  invalidRequest,
  resourceExists,
  resourceNotFound,
} from './errors.js'
import { generatePassword } from './password.js'
import type { EmulatorStore, StoredSecret, StoredTag, StoredVersion } from './types.js'
import { type Input, InputReader, objectItem, stringItem } from './validate.js'

/** What one operation call sees of the emulator. */
export interface OperationContext {
  store: EmulatorStore
  region: string
  accountId: string
  /** The request's time, epoch ms. */
  now: number
  /** Random 6-character ARN suffixes. */
  randomSuffix: () => string
}

export type Output = Record<string, unknown>
type Operation = (ctx: OperationContext, input: Input) => Promise<Output>

const DAY_MS = 86_400_000
const CURRENT = 'AWSCURRENT'
const PREVIOUS = 'AWSPREVIOUS'
// Versions kept beyond the labelled ones: "Secrets Manager removes outdated versions when there
// are more than 100, but it does not remove versions created less than 24 hours ago."
const MAX_VERSIONS = 100
// `!` is allowed because service-linked secrets (`rds!cluster-…`) use it, and the service's own
// message lists it.
const NAME_PATTERN = /^[A-Za-z0-9/_+=.@!-]+$/
const INVALID_NAME =
  'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!'
const MARKED_DELETED =
  "You can't perform this operation on the secret because it was marked for deletion."
const FILTER_KEYS = [
  'description',
  'name',
  'tag-key',
  'tag-value',
  'primary-region',
  'owning-service',
  'all',
]
const FILTER_VALUE_PATTERN = /^!?[a-zA-Z0-9 :_@/+=.\-!]*$/
const SORT_BY = ['created-date', 'last-accessed-date', 'last-changed-date', 'name']

/** Epoch ms to the wire's epoch seconds (with milliseconds as a fraction). */
const seconds = (ms: number) => ms / 1000

/** Drops `undefined` members: the service omits fields that have no value, never sends null. */
const compact = (output: Output): Output =>
  Object.fromEntries(Object.entries(output).filter(([, value]) => value !== undefined))

const storeKey = (region: string, name: string) => `${region}:${name}`

async function load(ctx: OperationContext, name: string): Promise<StoredSecret | undefined> {
  const key = storeKey(ctx.region, name)
  const secret = await ctx.store.get(key)
  // A secret whose recovery window has passed is gone for good; purge it lazily on first sight.
  if (secret?.DeletedDate !== undefined && secret.DeletedDate <= ctx.now) {
    await ctx.store.delete(key)
    return undefined
  }
  return secret
}

const save = (ctx: OperationContext, secret: StoredSecret) =>
  ctx.store.put(storeKey(secret.Region, secret.Name), secret)

/**
 * Finds a secret by name, full ARN or partial ARN (the ARN without its random suffix).
 * An ARN of another region or account names no secret here.
 */
async function find(ctx: OperationContext, secretId: string): Promise<StoredSecret | undefined> {
  if (!secretId.startsWith('arn:')) {
    // The service validates a name-shaped SecretId as a name (ValidationException).
    checkName(secretId)
    return load(ctx, secretId)
  }
  const [, arnPartition, service, region, account, type, ...rest] = secretId.split(':')
  if (service !== 'secretsmanager' || type !== 'secret' || rest.length === 0) return undefined
  if (arnPartition !== partition(ctx.region)) return undefined
  if (region !== ctx.region || account !== ctx.accountId) return undefined
  const resource = rest.join(':')
  const full = /^(.+)-[A-Za-z0-9]{6}$/.exec(resource)
  if (full?.[1]) {
    const secret = await load(ctx, full[1])
    if (secret?.ARN === secretId) return secret
  }
  return load(ctx, resource)
}

async function mustFind(ctx: OperationContext, secretId: string): Promise<StoredSecret> {
  const secret = await find(ctx, secretId)
  if (!secret) throw resourceNotFound()
  return secret
}

function notDeleted(secret: StoredSecret): StoredSecret {
  if (secret.DeletedDate !== undefined) throw invalidRequest(MARKED_DELETED)
  return secret
}

function partition(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn'
  if (region.startsWith('us-gov-')) return 'aws-us-gov'
  return 'aws'
}

function readSecretId(reader: InputReader): string {
  const id = reader.string('SecretId', { required: true, min: 1, max: 2048 }) ?? ''
  reader.done()
  return id
}

function checkName(name: string) {
  if (!NAME_PATTERN.test(name)) throw new AwsServiceError('ValidationException', INVALID_NAME)
}

interface SecretValue {
  SecretString?: string
  SecretBinary?: string
}

/** Reads SecretString/SecretBinary; the size limits are the model's (bytes for binary). */
function readValue(reader: InputReader): SecretValue | undefined {
  const SecretString = reader.string('SecretString', { min: 1, max: 65_536, sensitive: true })
  const binary = reader.blob('SecretBinary', { min: 1, max: 65_536 })
  if (SecretString !== undefined && binary !== undefined) {
    throw invalidParameter(
      "You can't specify both a binary secret value and a string secret value in the same secret."
    )
  }
  if (SecretString !== undefined) return { SecretString }
  if (binary !== undefined) return { SecretBinary: binary.base64 }
  return undefined
}

function requireToken(token: string | undefined): string {
  // SDKs fill the token in; over raw HTTP the service insists on it whenever a value is sent.
  if (token === undefined) {
    throw invalidRequest(
      'You must provide a ClientRequestToken value. We recommend a UUID-type value.'
    )
  }
  return token
}

const sameValue = (version: StoredVersion, value: SecretValue) =>
  version.SecretString === value.SecretString && version.SecretBinary === value.SecretBinary

/**
 * The idempotency rule for every write that carries a ClientRequestToken: an unknown token makes
 * a new version; a known token with the same value is a no-op; with another value it fails,
 * because versions are immutable.
 */
function replayedVersion(
  secret: StoredSecret,
  token: string,
  value: SecretValue
): StoredVersion | undefined {
  const existing = secret.Versions.find((version) => version.VersionId === token)
  if (!existing) return undefined
  if (sameValue(existing, value)) return existing
  throw resourceExists("You can't modify an existing version, you can only create a new version.")
}

/**
 * Attaches `stages` to `version`, taking each label off whichever version had it. When AWSCURRENT
 * moves, the version it left becomes AWSPREVIOUS.
 */
function attachStages(secret: StoredSecret, version: StoredVersion, stages: string[]) {
  const leftCurrent = stages.includes(CURRENT)
    ? secret.Versions.find((v) => v !== version && v.VersionStages.includes(CURRENT))
    : undefined
  for (const other of secret.Versions) {
    if (other !== version)
      other.VersionStages = other.VersionStages.filter((s) => !stages.includes(s))
  }
  version.VersionStages = [...new Set([...version.VersionStages, ...stages])]
  if (leftCurrent) {
    for (const other of secret.Versions) {
      other.VersionStages = other.VersionStages.filter((s) => s !== PREVIOUS)
    }
    leftCurrent.VersionStages.push(PREVIOUS)
  }
}

function addVersion(
  ctx: OperationContext,
  secret: StoredSecret,
  token: string,
  value: SecretValue,
  stages: string[]
): StoredVersion {
  const version: StoredVersion = {
    VersionId: token,
    ...value,
    VersionStages: [],
    CreatedDate: ctx.now,
  }
  secret.Versions.push(version)
  attachStages(secret, version, stages)
  secret.LastChangedDate = ctx.now
  // Unlabelled versions are deprecated; drop the oldest beyond the quota once they are a day old.
  let excess = secret.Versions.length - MAX_VERSIONS
  secret.Versions = secret.Versions.filter((v) => {
    const drop = excess > 0 && v.VersionStages.length === 0 && ctx.now - v.CreatedDate >= DAY_MS
    if (drop) excess--
    return !drop
  })
  // Versions younger than a day are kept, so sustained writes reach the quota. The caller has
  // changed only its own copy of the secret, so refusing here leaves nothing half-written.
  if (excess > 0) {
    throw new AwsServiceError(
      'LimitExceededException',
      `The secret has reached its quota of ${MAX_VERSIONS} versions; versions younger than 24 hours are not removed.`
    )
  }
  return version
}

// A key appears once; a repeated key keeps its last value, as TagResource overwrites.
function readTags(reader: InputReader): StoredTag[] | undefined {
  const tags = readTagList(reader)
  return tags && [...new Map(tags.map((tag) => [tag.Key, tag])).values()]
}

function readTagList(reader: InputReader): StoredTag[] | undefined {
  return reader.list('Tags', { max: 50 }, (raw) => {
    const tag = objectItem('Tags')(raw)
    const Key = tag.Key
    const Value = tag.Value ?? ''
    if (typeof Key !== 'string' || typeof Value !== 'string') {
      throw new AwsServiceError('SerializationException', 'Tags must be {Key, Value} strings.')
    }
    if (Key.length < 1 || Key.length > 128 || Value.length > 256) {
      throw new AwsServiceError(
        'ValidationException',
        "1 validation error detected: Value at 'tags' failed to satisfy constraint: Tag keys must be 1-128 characters and values 0-256 characters"
      )
    }
    return { Key, Value }
  })
}

async function createSecret(ctx: OperationContext, input: Input): Promise<Output> {
  const reader = new InputReader(input)
  const name = reader.string('Name', { required: true, min: 1, max: 512 }) ?? ''
  const token = reader.string('ClientRequestToken', { min: 32, max: 64 })
  const description = reader.string('Description', { max: 2048 })
  const kmsKeyId = reader.string('KmsKeyId', { max: 2048 })
  const type = reader.string('Type', { max: 256 })
  const tags = readTags(reader)
  const replicas = reader.list('AddReplicaRegions', { min: 1 }, objectItem('AddReplicaRegions'))
  reader.boolean('ForceOverwriteReplicaSecret')
  const value = readValue(reader)
  reader.done()
  checkName(name)
  if (replicas) {
    throw invalidRequest('The edge-secrets emulator does not support replication to other Regions.')
  }
  const versionId = value && requireToken(token)

  const existing = await load(ctx, name)
  if (existing) {
    if (existing.DeletedDate !== undefined) {
      throw invalidRequest(
        "You can't create this secret because a secret with this name is already scheduled for deletion."
      )
    }
    // A retried create succeeds without creating anything: with a value, the token names the
    // version it made; without one, the token it was created with is on the secret.
    const replayed = value && versionId ? replayedVersion(existing, versionId, value) : undefined
    if (replayed) return { ARN: existing.ARN, Name: existing.Name, VersionId: replayed.VersionId }
    if (!value && token !== undefined && existing.ClientRequestToken === token) {
      return { ARN: existing.ARN, Name: existing.Name }
    }
    throw resourceExists(`The operation failed because the secret ${name} already exists.`)
  }

  const secret: StoredSecret = {
    Region: ctx.region,
    ARN: `arn:${partition(ctx.region)}:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${name}-${ctx.randomSuffix()}`,
    Name: name,
    ...(description !== undefined && { Description: description }),
    ...(kmsKeyId !== undefined && kmsKeyId !== '' && { KmsKeyId: kmsKeyId }),
    ...(type !== undefined && { Type: type }),
    ...(tags !== undefined && tags.length > 0 && { Tags: tags }),
    ...(!value && token !== undefined && { ClientRequestToken: token }),
    CreatedDate: ctx.now,
    LastChangedDate: ctx.now,
    Versions: [],
  }
  const version =
    value && versionId ? addVersion(ctx, secret, versionId, value, [CURRENT]) : undefined
  await save(ctx, secret)
  return compact({ ARN: secret.ARN, Name: secret.Name, VersionId: version?.VersionId })
}

/** Picks the version a read asks for: by VersionId, by stage, both (which must agree), or AWSCURRENT. */
function selectVersion(
  secret: StoredSecret,
  versionId: string | undefined,
  versionStage: string | undefined
): StoredVersion {
  if (versionId !== undefined) {
    const version = secret.Versions.find((v) => v.VersionId === versionId)
    if (!version) {
      throw resourceNotFound(
        `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`
      )
    }
    if (versionStage !== undefined && !version.VersionStages.includes(versionStage)) {
      throw invalidRequest(
        'You provided a VersionStage that is not associated to the provided VersionId.'
      )
    }
    return version
  }
  const stage = versionStage ?? CURRENT
  const version = secret.Versions.find((v) => v.VersionStages.includes(stage))
  if (!version) {
    throw resourceNotFound(
      `Secrets Manager can't find the specified secret value for staging label: ${stage}`
    )
  }
  return version
}

/** Reads one value and records the access day, as the service's LastAccessedDate does. */
async function readValueOf(
  ctx: OperationContext,
  secret: StoredSecret,
  versionId?: string,
  versionStage?: string
): Promise<Output> {
  notDeleted(secret)
  const version = selectVersion(secret, versionId, versionStage)
  const today = ctx.now - (ctx.now % DAY_MS)
  if (secret.LastAccessedDate !== today) {
    secret.LastAccessedDate = today
    await save(ctx, secret)
  }
  return compact({
    ARN: secret.ARN,
    Name: secret.Name,
    VersionId: version.VersionId,
    SecretString: version.SecretString,
    SecretBinary: version.SecretBinary,
    VersionStages: version.VersionStages,
    CreatedDate: seconds(version.CreatedDate),
  })
}

async function getSecretValue(ctx: OperationContext, input: Input): Promise<Output> {
  const reader = new InputReader(input)
  const secretId = reader.string('SecretId', { required: true, min: 1, max: 2048 }) ?? ''
  const versionId = reader.string('VersionId', { min: 32, max: 64 })
  const versionStage = reader.string('VersionStage', { min: 1, max: 256 })
  reader.done()
  return readValueOf(ctx, await mustFind(ctx, secretId), versionId, versionStage)
}

async function putSecretValue(ctx: OperationContext, input: Input): Promise<Output> {
  const reader = new InputReader(input)
  const secretId = reader.string('SecretId', { required: true, min: 1, max: 2048 }) ?? ''
  const token = reader.string('ClientRequestToken', { min: 32, max: 64 })
  const stages = reader.list(
    'VersionStages',
    { min: 1, max: 20 },
    stringItem('VersionStages', 1, 256)
  )
  reader.string('RotationToken', { min: 36, max: 256, pattern: /^[a-zA-Z0-9-]+$/, sensitive: true })
  const value = readValue(reader)
  reader.done()
  if (!value) throw invalidRequest('You must provide either SecretString or SecretBinary.')
  const versionId = requireToken(token)
  const secret = notDeleted(await mustFind(ctx, secretId))
  // "If this operation creates the first version for the secret, then Secrets Manager
  // automatically attaches the staging label AWSCURRENT to it."
  const first = secret.Versions.length === 0 && stages && !stages.includes(CURRENT)
  const version =
    replayedVersion(secret, versionId, value) ??
    addVersion(ctx, secret, versionId, value, first ? [...stages, CURRENT] : (stages ?? [CURRENT]))
  await save(ctx, secret)
  return {
    ARN: secret.ARN,
    Name: secret.Name,
    VersionId: version.VersionId,
    VersionStages: version.VersionStages,
  }
}

async function updateSecret(ctx: OperationContext, input: Input): Promise<Output> {
  const reader = new InputReader(input)
  const secretId = reader.string('SecretId', { required: true, min: 1, max: 2048 }) ?? ''
  const token = reader.string('ClientRequestToken', { min: 32, max: 64 })
  const description = reader.string('Description', { max: 2048 })
  const kmsKeyId = reader.string('KmsKeyId', { max: 2048 })
  const type = reader.string('Type', { max: 256 })
  const value = readValue(reader)
  reader.done()
  // Without a value the token is ignored, even when it equals an existing VersionId: SDKs send
  // one with every UpdateSecret, and a metadata change creates no version for it to name.
  const versionId = value && requireToken(token)
  const secret = notDeleted(await mustFind(ctx, secretId))
  // We read the token rule as CreateSecret and PutSecretValue do (a retry with the same value is
  // ignored), so a client whose response was lost can retry without making a second version.
  // Checked before anything changes, so a refused replay changes nothing.
  const replayed = value && versionId ? replayedVersion(secret, versionId, value) : undefined
  if (replayed) return { ARN: secret.ARN, Name: secret.Name, VersionId: replayed.VersionId }
  if (description !== undefined) secret.Description = description
  // An empty KmsKeyId switches back to the AWS managed key, which DescribeSecret does not show.
  if (kmsKeyId === '') delete secret.KmsKeyId
  else if (kmsKeyId !== undefined) secret.KmsKeyId = kmsKeyId
  if (type !== undefined) secret.Type = type
  secret.LastChangedDate = ctx.now
  const version =
    value && versionId ? addVersion(ctx, secret, versionId, value, [CURRENT]) : undefined
  await save(ctx, secret)
  return compact({ ARN: secret.ARN, Name: secret.Name, VersionId: version?.VersionId })
}

async function deleteSecret(ctx: OperationContext, input: Input): Promise<Output> {
  const reader = new InputReader(input)
  const secretId = reader.string('SecretId', { required: true, min: 1, max: 2048 }) ?? ''
  const windowDays = reader.number('RecoveryWindowInDays')
  const force = reader.boolean('ForceDeleteWithoutRecovery') === true
  reader.done()
  if (force && windowDays !== undefined) {
    throw invalidParameter(
      "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
    )
  }
  if (windowDays !== undefined && (windowDays < 7 || windowDays > 30)) {
    throw invalidParameter(
      'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).'
    )
  }
  const secret = await find(ctx, secretId)
  if (!secret) {
    // "If you forcibly delete an already deleted or nonexistent secret, the operation does not
    // return ResourceNotFoundException."
    if (!force) throw resourceNotFound()
    const isArn = secretId.startsWith('arn:')
    return {
      ARN: isArn
        ? secretId
        : `arn:${partition(ctx.region)}:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${secretId}`,
      Name: isArn ? secretId.split(':').slice(6).join(':') : secretId,
      DeletionDate: seconds(ctx.now),
    }
  }
  if (force) {
    await ctx.store.delete(storeKey(secret.Region, secret.Name))
    return { ARN: secret.ARN, Name: secret.Name, DeletionDate: seconds(ctx.now) }
  }
  if (secret.DeletedDate !== undefined) {
    throw invalidRequest(
      "You tried to perform the operation on a secret that's currently marked deleted."
    )
  }
  secret.DeletedDate = ctx.now + (windowDays ?? 30) * DAY_MS
  await save(ctx, secret)
  return { ARN: secret.ARN, Name: secret.Name, DeletionDate: seconds(secret.DeletedDate) }
}

async function restoreSecret(ctx: OperationContext, input: Input): Promise<Output> {
  const secret = await mustFind(ctx, readSecretId(new InputReader(input)))
  if (secret.DeletedDate !== undefined) {
    delete secret.DeletedDate
    await save(ctx, secret)
  }
  return { ARN: secret.ARN, Name: secret.Name }
}

/** The stage map lists only versions that carry at least one label. */
function stageMap(secret: StoredSecret): Record<string, string[]> | undefined {
  const labelled = secret.Versions.filter((v) => v.VersionStages.length > 0)
  if (labelled.length === 0) return undefined
  return Object.fromEntries(labelled.map((v) => [v.VersionId, v.VersionStages]))
}

function describe(secret: StoredSecret, stagesMember: string): Output {
  return compact({
    ARN: secret.ARN,
    Name: secret.Name,
    Description: secret.Description,
    KmsKeyId: secret.KmsKeyId,
    LastChangedDate: seconds(secret.LastChangedDate),
    LastAccessedDate:
      secret.LastAccessedDate === undefined ? undefined : seconds(secret.LastAccessedDate),
    DeletedDate: secret.DeletedDate === undefined ? undefined : seconds(secret.DeletedDate),
    Tags: secret.Tags,
    [stagesMember]: stageMap(secret),
    CreatedDate: seconds(secret.CreatedDate),
    Type: secret.Type,
  })
}

async function describeSecret(ctx: OperationContext, input: Input): Promise<Output> {
  const secret = await mustFind(ctx, readSecretId(new InputReader(input)))
  return describe(secret, 'VersionIdsToStages')
}

async function getRandomPassword(_ctx: OperationContext, input: Input): Promise<Output> {
  const reader = new InputReader(input)
  const PasswordLength = reader.number('PasswordLength', { min: 1, max: 4096 })
  const ExcludeCharacters = reader.string('ExcludeCharacters', { max: 4096 })
  const flags = {
    ExcludeNumbers: reader.boolean('ExcludeNumbers'),
    ExcludePunctuation: reader.boolean('ExcludePunctuation'),
    ExcludeUppercase: reader.boolean('ExcludeUppercase'),
    ExcludeLowercase: reader.boolean('ExcludeLowercase'),
    IncludeSpace: reader.boolean('IncludeSpace'),
    RequireEachIncludedType: reader.boolean('RequireEachIncludedType'),
  }
  reader.done()
  const options = compact({ PasswordLength, ExcludeCharacters, ...flags })
  return { RandomPassword: generatePassword(options) }
}

interface Filter {
  Key: string
  Values: string[]
}

function readFilters(reader: InputReader): Filter[] | undefined {
  return reader.list('Filters', { max: 10 }, (raw) => {
    const filter = objectItem('Filters')(raw)
    const inner = new InputReader(filter)
    const Key = inner.string('Key', { required: true }) ?? ''
    const Values =
      inner.list('Values', { required: true, min: 1, max: 10 }, stringItem('Values', 0, 512)) ?? []
    inner.done()
    if (!FILTER_KEYS.includes(Key)) {
      throw new AwsServiceError(
        'ValidationException',
        `1 validation error detected: Value '${Key}' at 'filters.member.key' failed to satisfy constraint: Member must satisfy enum value set: [${FILTER_KEYS.join(', ')}]`
      )
    }
    for (const value of Values) {
      if (!FILTER_VALUE_PATTERN.test(value)) {
        throw new AwsServiceError(
          'ValidationException',
          `1 validation error detected: Value '${value}' at 'filters.member.values.member' failed to satisfy constraint: Member must satisfy regular expression pattern: ${FILTER_VALUE_PATTERN.source}`
        )
      }
    }
    return { Key, Values }
  })
}

/** The attribute texts a filter key searches, and whether the match is case-sensitive. */
function filterTargets(secret: StoredSecret, key: string): [string[], boolean] {
  const tags = secret.Tags ?? []
  switch (key) {
    case 'name':
      return [[secret.Name], true]
    case 'description':
      return [secret.Description === undefined ? [] : [secret.Description], false]
    case 'tag-key':
      return [tags.map((t) => t.Key), true]
    case 'tag-value':
      return [tags.map((t) => t.Value), true]
    case 'primary-region':
    case 'owning-service':
      // No replication and no service-owned secrets here, so nothing matches.
      return [[], true]
    default: {
      const texts = [
        secret.Name,
        secret.Description ?? '',
        ...tags.flatMap((t) => [t.Key, t.Value]),
      ]
      return [[...texts, ...texts.flatMap((t) => t.split(/[^A-Za-z0-9]+/))], false]
    }
  }
}

/**
 * Values of one filter are alternatives; filters must all match. A value is a prefix match; a
 * leading `!` negates it. `all` splits the value into words, each of which must match.
 */
function matches(secret: StoredSecret, filters: Filter[]): boolean {
  return filters.every(({ Key, Values }) => {
    const [targets, caseSensitive] = filterTargets(secret, Key)
    const norm = (text: string) => (caseSensitive ? text : text.toLowerCase())
    const hit = (prefix: string) => targets.some((t) => norm(t).startsWith(norm(prefix)))
    return Values.some((raw) => {
      const negated = raw.startsWith('!')
      const value = negated ? raw.slice(1) : raw
      const words = Key === 'all' ? value.split(/\s+/).filter(Boolean) : [value]
      const found = words.every(hit)
      return negated ? !found : found
    })
  })
}

// NextToken is opaque to callers; ours carries the offset and the query it belongs to, so a token
// replayed with other filters or sorting is refused as the service refuses a foreign token.
function encodeToken(offset: number, query: string): string {
  return btoa(JSON.stringify({ offset, query }))
}

function decodeToken(token: string | undefined, query: string): number {
  if (token === undefined) return 0
  try {
    const parsed = JSON.parse(atob(token)) as { offset?: unknown; query?: unknown }
    if (
      Number.isSafeInteger(parsed.offset) &&
      parsed.query === query &&
      Number(parsed.offset) >= 0
    ) {
      return Number(parsed.offset)
    }
  } catch {
    // fall through to the service's error
  }
  throw new AwsServiceError('InvalidNextTokenException', 'The NextToken value is invalid.')
}

function sortValue(secret: StoredSecret, sortBy: string): number | string {
  switch (sortBy) {
    case 'name':
      return secret.Name
    case 'last-accessed-date':
      return secret.LastAccessedDate ?? 0
    case 'last-changed-date':
      return secret.LastChangedDate
    default:
      return secret.CreatedDate
  }
}

interface Page {
  secrets: StoredSecret[]
  nextToken: string | undefined
}

async function listPage(
  ctx: OperationContext,
  options: {
    filters: Filter[]
    includePlannedDeletion: boolean
    sortBy: string
    sortOrder: string
    maxResults: number
    nextToken: string | undefined
  }
): Promise<Page> {
  const query = JSON.stringify([
    options.filters,
    options.includePlannedDeletion,
    options.sortBy,
    options.sortOrder,
  ])
  const offset = decodeToken(options.nextToken, query)
  const all = await ctx.store.list(storeKey(ctx.region, ''))
  const live = all.filter(
    (s) =>
      (s.DeletedDate === undefined ||
        (options.includePlannedDeletion && s.DeletedDate > ctx.now)) &&
      matches(s, options.filters)
  )
  const direction = options.sortOrder === 'desc' ? -1 : 1
  live.sort((a, b) => {
    const x = sortValue(a, options.sortBy)
    const y = sortValue(b, options.sortBy)
    if (x !== y) return (x < y ? -1 : 1) * direction
    return a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0
  })
  const end = offset + options.maxResults
  return {
    secrets: live.slice(offset, end),
    nextToken: end < live.length ? encodeToken(end, query) : undefined,
  }
}

async function listSecrets(ctx: OperationContext, input: Input): Promise<Output> {
  const reader = new InputReader(input)
  const maxResults = reader.number('MaxResults', { min: 1, max: 100 })
  const nextToken = reader.string('NextToken', { min: 1, max: 4096 })
  const filters = readFilters(reader)
  const includePlannedDeletion = reader.boolean('IncludePlannedDeletion') === true
  const sortOrder = reader.string('SortOrder')
  const sortBy = reader.string('SortBy')
  reader.done()
  checkEnum('sortOrder', sortOrder, ['asc', 'desc'])
  checkEnum('sortBy', sortBy, SORT_BY)
  const page = await listPage(ctx, {
    filters: filters ?? [],
    includePlannedDeletion,
    sortBy: sortBy ?? 'created-date',
    sortOrder: sortOrder ?? 'asc',
    maxResults: maxResults ?? 100,
    nextToken,
  })
  return compact({
    SecretList: page.secrets.map((s) => describe(s, 'SecretVersionsToStages')),
    NextToken: page.nextToken,
  })
}

function checkEnum(member: string, value: string | undefined, allowed: string[]) {
  if (value !== undefined && !allowed.includes(value)) {
    throw new AwsServiceError(
      'ValidationException',
      `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`
    )
  }
}

async function batchGetSecretValue(ctx: OperationContext, input: Input): Promise<Output> {
  const reader = new InputReader(input)
  const ids = reader.list('SecretIdList', { min: 1, max: 20 }, stringItem('SecretIdList', 1, 2048))
  const filters = readFilters(reader)
  const maxResults = reader.number('MaxResults', { min: 1, max: 20 })
  const nextToken = reader.string('NextToken', { min: 1, max: 4096 })
  reader.done()
  if ((ids === undefined) === (filters === undefined)) {
    throw invalidParameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.")
  }
  if (ids && maxResults !== undefined) {
    throw invalidParameter("'MaxResults' is only valid with 'Filters'.")
  }

  const SecretValues: Output[] = []
  const Errors: Output[] = []
  // One secret's failure goes into Errors and does not fail the call.
  const collect = async (secretId: string, read: () => Promise<Output>) => {
    try {
      SecretValues.push(await read())
    } catch (error) {
      if (!(error instanceof AwsServiceError)) throw error
      Errors.push({ SecretId: secretId, ErrorCode: error.type, Message: error.message })
    }
  }
  if (ids) {
    for (const id of ids) {
      await collect(id, async () => readValueOf(ctx, await mustFind(ctx, id)))
    }
    return { SecretValues, Errors }
  }
  const page = await listPage(ctx, {
    filters: filters ?? [],
    includePlannedDeletion: false,
    sortBy: 'created-date',
    sortOrder: 'asc',
    maxResults: maxResults ?? 20,
    nextToken,
  })
  for (const secret of page.secrets) {
    await collect(secret.Name, () => readValueOf(ctx, secret))
  }
  return compact({ SecretValues, Errors, NextToken: page.nextToken })
}

/** The operations the emulator implements, by their `X-Amz-Target` suffix. */
export const OPERATIONS: Record<string, Operation> = {
  BatchGetSecretValue: batchGetSecretValue,
  CreateSecret: createSecret,
  DeleteSecret: deleteSecret,
  DescribeSecret: describeSecret,
  GetRandomPassword: getRandomPassword,
  GetSecretValue: getSecretValue,
  ListSecrets: listSecrets,
  PutSecretValue: putSecretValue,
  RestoreSecret: restoreSecret,
  UpdateSecret: updateSecret,
}
