// Random requests to POST /, the AWS wire protocol, against a worker with a healthy upstream:
// whatever the target, the headers (signed, signed and then changed, unsigned, garbled) and the
// body, the answer is never a 5xx nor a stack trace; every error is the service's
// `{"__type","message"}` with a matching x-amzn-ErrorType and an x-amzn-RequestId; and no value,
// description, tag or full ARN of a secret outside the signing key's grant ever comes back.
// The REST routes' own property is fuzz.test.ts, whose style this follows.
import { AwsClient } from 'aws4fetch'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { toBase64 } from '../../../src/client/serde.js'
import type { RateLimiterLike, RequestLog } from '../../../src/worker/index.js'
import { createAccessKey, createMasterKey, parseMasterKeys } from '../../../src/worker/keys.js'
import { namesIn, refuse } from './fuzz-support.js'
import {
  ACCOUNT_ID,
  clientBehindWorker,
  createHarness,
  type Harness,
  REGION,
  type Sent,
  sendTo,
  testToken,
} from './harness.js'

const JSON_TYPE = 'application/x-amz-json-1.1'
const MASTER = createMasterKey(1)
const FOREIGN_ACCOUNT = '210987654321'

// Who may read a secret: the `in` key's grant (everything on fw/a/*), the `out` key's (read on
// fw/b/exact only), or nobody.
type Reader = 'in' | 'out' | 'nobody'

interface Seed {
  name: string
  reader: Reader
  binary?: boolean
}

const SEEDS: Seed[] = [
  { name: 'fw/a/one', reader: 'in' },
  { name: 'fw/a/two/deep', reader: 'in' },
  { name: 'fw/a/bin', reader: 'in', binary: true },
  { name: 'fw/b/exact', reader: 'out' },
  // A full ARN ending in `fw/b/exact-Decoy1` may stand for fw/b/exact or for this secret.
  { name: 'fw/b/exact-Decoy1', reader: 'nobody' },
  { name: 'fw/c/one', reader: 'nobody' },
  { name: 'fw/c/deep/x', reader: 'nobody' },
  { name: 'fw/c/bin', reader: 'nobody', binary: true },
  // Look-alikes of the `in` grant's prefix that it does not cover.
  { name: 'fw/a', reader: 'nobody' },
  { name: 'fw/a-other/x', reader: 'nobody' },
]
const SEEDED_NAMES = SEEDS.map((seed) => seed.name)
const NEW_NAMES = ['fw/a/new-1', 'fw/a/new/2', 'fw/c/new', 'fw/b/new']

// The targets the worker serves, with their request members (the model's, as routes/aws.ts).
const SERVED: Record<string, readonly string[]> = {
  GetSecretValue: ['SecretId', 'VersionId', 'VersionStage'],
  DescribeSecret: ['SecretId'],
  BatchGetSecretValue: ['SecretIdList', 'Filters', 'MaxResults', 'NextToken'],
  ListSecrets: [
    'IncludePlannedDeletion',
    'MaxResults',
    'NextToken',
    'Filters',
    'SortOrder',
    'SortBy',
  ],
  CreateSecret: [
    'Name',
    'ClientRequestToken',
    'Description',
    'KmsKeyId',
    'SecretString',
    'SecretBinary',
    'Tags',
    'AddReplicaRegions',
    'ForceOverwriteReplicaSecret',
    'Type',
  ],
  PutSecretValue: [
    'SecretId',
    'ClientRequestToken',
    'SecretString',
    'SecretBinary',
    'VersionStages',
    'RotationToken',
  ],
  UpdateSecret: [
    'SecretId',
    'ClientRequestToken',
    'Description',
    'KmsKeyId',
    'SecretString',
    'SecretBinary',
    'Type',
  ],
  DeleteSecret: ['SecretId', 'RecoveryWindowInDays', 'ForceDeleteWithoutRecovery'],
  RestoreSecret: ['SecretId'],
  GetRandomPassword: [
    'PasswordLength',
    'ExcludeCharacters',
    'ExcludeNumbers',
    'ExcludePunctuation',
    'ExcludeUppercase',
    'ExcludeLowercase',
    'IncludeSpace',
    'RequireEachIncludedType',
  ],
}
const SERVED_TARGETS = Object.keys(SERVED)
// Operations of the service the worker refuses as IAM refuses an action no policy allows.
const REFUSED_TARGETS = [
  'RotateSecret',
  'TagResource',
  'UntagResource',
  'CancelRotateSecret',
  'GetResourcePolicy',
  'PutResourcePolicy',
  'DeleteResourcePolicy',
  'ListSecretVersionIds',
  'UpdateSecretVersionStage',
  'ReplicateSecretToRegions',
]
// The reads: only their answers may carry a secret's value, description or tags.
const READS = new Set(['GetSecretValue', 'DescribeSecret', 'BatchGetSecretValue', 'ListSecrets'])
const WRITES = new Set(['CreateSecret', 'PutSecretValue', 'UpdateSecret', 'DeleteSecret'])
// Any member of the model, for bodies that send a target another's members.
const ALL_MEMBERS = [...new Set(Object.values(SERVED).flat())]
// Text that shows an error escaped with its stack or source location.
const STACK_TRACE = [/\n {4}at /, / {4}at /, /^\w*Error:/m, /file:\/\/\//, /\.ts:/]

// --- the world the requests are sent to ------------------------------------------------------

interface Marker {
  secret: string
  what: string
  reader: Reader
}

type Key = { accessKeyId: string; secretAccessKey: string }

interface World {
  h: Harness
  keys: Record<KeyRef, Key>
  /** The `in` grant's REST token: a Bearer token must not open POST /. */
  restToken: string
  /** Marker text → the secret it belongs to, and who may read it. */
  markers: Map<string, Marker>
  /** Values the fuzz writes with the `in` key (so only `in` may read them back). */
  writeValues: string[]
  writeBinaries: string[]
  /** Each seeded secret's full ARN. */
  arns: Map<string, string>
  limiter: { mode: LimiterMode }
}

type LimiterMode = 'ok' | 'over' | 'throws'

// The keys a request may be signed with: the two grants' own, and near misses.
type KeyRef = 'in' | 'out' | 'revoked' | 'unknown' | 'wrong-secret' | 'other-master' | 'real-aws'

async function createWorld(): Promise<World> {
  const master = parseMasterKeys(MASTER)
  const keyIn = await createAccessKey(master)
  const keyOut = await createAccessKey(master)
  const otherMaster = await createAccessKey(parseMasterKeys(createMasterKey(1)))
  const keys: Record<KeyRef, Key> = {
    in: keyIn,
    out: keyOut,
    // Derived under the master in force, but in no grant.
    revoked: await createAccessKey(master),
    unknown: { accessKeyId: 'ESKA01AAAAAAAAAAAAAAAA', secretAccessKey: keyIn.secretAccessKey },
    'wrong-secret': { accessKeyId: keyIn.accessKeyId, secretAccessKey: keyOut.secretAccessKey },
    // The `in` key's id with the secret another master key would give it.
    'other-master': {
      accessKeyId: keyIn.accessKeyId,
      secretAccessKey: otherMaster.secretAccessKey,
    },
    'real-aws': {
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    },
  }
  const restToken = testToken('in')
  const limiter = { mode: 'ok' as LimiterMode }
  // The real bindings count per grant (20 writes in 10 s): the fuzz decides instead.
  const fakeLimiter: RateLimiterLike = {
    limit: async () => {
      if (limiter.mode === 'throws') throw new Error('limiter down')
      return { success: limiter.mode === 'ok' }
    },
  }
  const h = await createHarness({
    grants: [
      {
        name: 'in',
        token: restToken,
        accessKeyIds: [keyIn.accessKeyId],
        actions: ['read', 'write', 'delete', 'list', 'random-password'],
        secrets: ['fw/a/*'],
      },
      {
        name: 'out',
        accessKeyIds: [keyOut.accessKeyId],
        actions: ['read'],
        secrets: ['fw/b/exact'],
      },
    ],
    env: { ACCESS_KEY_MASTER: MASTER, READ_LIMITER: fakeLimiter, WRITE_LIMITER: fakeLimiter },
  })
  const markers = new Map<string, Marker>()
  const arns = new Map<string, string>()
  const mark = (text: string, secret: string, what: string, reader: Reader) => {
    markers.set(text, { secret, what, reader })
    return text
  }
  const behind = clientBehindWorker(h)
  for (const seed of SEEDS) {
    const id = crypto.randomUUID()
    const description = mark(`DESC-${id}`, seed.name, 'Description', seed.reader)
    const tag = mark(`TAG-${id}`, seed.name, 'tag', seed.reader)
    const value: { SecretString?: string; SecretBinary?: Uint8Array } = {}
    if (seed.binary) {
      const text = mark(`BIN-${id}`, seed.name, 'SecretBinary (decoded)', seed.reader)
      const bytes = new Uint8Array([0xff, 0x00, ...new TextEncoder().encode(text), 0xfe])
      mark(toBase64(bytes), seed.name, 'SecretBinary', seed.reader)
      value.SecretBinary = bytes
    } else {
      value.SecretString = mark(`VALUE-${id}`, seed.name, 'SecretString', seed.reader)
    }
    const created = await behind.createSecret({
      Name: seed.name,
      Description: description,
      Tags: [{ Key: 'marker', Value: tag }],
      ...value,
    })
    arns.set(seed.name, created.ARN as string)
  }
  // The full ARN (with its random suffix) of a secret nobody may read says it exists: it is
  // a marker too, as only the service knows the suffix.
  for (const seed of SEEDS) {
    mark(arns.get(seed.name) as string, seed.name, 'full ARN', seed.reader)
  }
  const writeValues = [1, 2, 3].map((n) =>
    mark(`WRITE-${crypto.randomUUID()}`, `a write (${n})`, 'written value', 'in')
  )
  const writeBinaries = writeValues.map((text) =>
    mark(toBase64(new TextEncoder().encode(`B${text}`)), 'a write', 'written binary', 'in')
  )
  return { h, keys, restToken, markers, writeValues, writeBinaries, arns, limiter }
}

// --- requests ----------------------------------------------------------------------------------

// What happens to a signed request before it is sent.
type Mutation =
  | 'none'
  | 'body'
  // Signed with x-amz-content-sha256 (the body's hash, as the SDK sends it), then another body.
  | 'body-under-hash'
  | 'target'
  | 'date'
  | 'drop-date'
  | 'signature'
  | 'key-id'
  | 'query'
  | 'drop-signed-headers'
  | 'lowercase-scheme'
  | 'content-type'
  | 'unsigned-header'
  | 'drop-authorization'

// Mutations after which a request signed with a grant's own key must still be accepted.
const HARMLESS: ReadonlySet<Mutation> = new Set<Mutation>([
  'none',
  'content-type',
  'unsigned-header',
])
// The refusals of the signature check (and of the door before it).
const SIGNATURE_REFUSALS = new Set([
  'MissingAuthenticationTokenException',
  'IncompleteSignatureException',
  'InvalidSignatureException',
  'UnrecognizedClientException',
])
// Mutations after which the request must be refused: what was signed is not what was sent.
const BREAKING: ReadonlySet<Mutation> = new Set<Mutation>([
  'body',
  'body-under-hash',
  'target',
  'date',
  'drop-date',
  'signature',
  'key-id',
  'query',
  'drop-authorization',
])

type Signing =
  | {
      kind: 'signed'
      key: KeyRef
      service: string
      region: string
      /** Minutes the signing clock is off by: 0, or far outside the allowed skew. */
      skewMinutes: number
      mutation: Mutation
      /** Signed with a query string in the URL. */
      query: boolean
      /** Sends (and signs) x-amz-content-sha256 with the body's hash, as the SDK does. */
      declareHash: boolean
    }
  | { kind: 'unsigned'; authorization: string | undefined }

type Body =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  // Shown by size, not content, so a counterexample stays readable.
  | { kind: 'huge'; bytes: number }

interface Req {
  /** The x-amz-target header, or none. */
  target: string | undefined
  /** The Content-Type header, or none. */
  contentType: string | undefined
  /** Extra headers: set before signing (so signed), or after it by the unsigned-header mutation. */
  headers: [string, string][]
  body: Body
  signing: Signing
  limiter: LimiterMode
}

function arbitraries(world: World) {
  const safeChar = fc.constantFrom(...'abcxyzABC019_+=.@-'.split(''))
  const segment = fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: safeChar, minLength: 1, maxLength: 8 }) },
    fc.constantFrom('', '.', '..', '%2e', '%2F', '%', '%00'),
    fc.constantFrom('ｆｗ', 'fw\u2215a', 'f\u200bw', '\u0430', 'FW', '\uff0fa', 'é')
  )
  const randomId = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/'))
  const knownName = fc.constantFrom(...SEEDED_NAMES, ...NEW_NAMES)
  // One way to write a known name that a grant must not be fooled by (or that still names it).
  const variant = fc.constantFrom(
    (n: string) => n,
    (n: string) => encodeURIComponent(n),
    (n: string) => n.toUpperCase(),
    (n: string) => `${n}/`,
    (n: string) => `/${n}`,
    (n: string) => n.replaceAll('/', '//'),
    (n: string) => n.replace('fw/', 'fw/./'),
    (n: string) => n.replace('fw/', 'fw/x/../'),
    (n: string) => n.replace('fw/c/', 'fw/a/../c/'),
    (n: string) => n.replace('fw/c/', 'fw/a/%2e%2e/c/'),
    (n: string) => n.replace('fw/c/', 'fw/a/..\\c/'),
    (n: string) => n.replace('a', '\u0430'),
    (n: string) => n.replace('/', '\uff0f'),
    (n: string) => `${n}\u0000`,
    (n: string) => `${n} `,
    (n: string) => `${n}-AbC123`,
    (n: string) => `${n}*`
  )
  const arn = fc
    .record({
      partition: fc.constantFrom('aws', 'aws', 'aws', 'aws-cn', 'aws-us-gov'),
      region: fc.constantFrom(REGION, REGION, REGION, 'eu-west-1', ''),
      account: fc.constantFrom(ACCOUNT_ID, ACCOUNT_ID, ACCOUNT_ID, FOREIGN_ACCOUNT, ''),
      name: knownName,
      suffix: fc.constantFrom('none', 'real', 'real', 'made-up'),
    })
    .map(({ partition, region, account, name, suffix }) => {
      const real = world.arns.get(name)?.slice(-7) ?? '-Zz9Zz9'
      const tail = suffix === 'real' ? real : suffix === 'made-up' ? '-Zz9Zz9' : ''
      return `arn:${partition}:secretsmanager:${region}:${account}:secret:${name}${tail}`
    })
  const own = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:${name}`
  // Escapes that are known to be worth trying, so they come up often.
  const curated = fc.constantFrom(
    own('fw/b/exact-Decoy1'),
    own(`fw/b/exact${world.arns.get('fw/b/exact')?.slice(-7)}`),
    own(`fw/c/one${world.arns.get('fw/c/one')?.slice(-7)}`),
    own('fw/c/one'),
    own('fw/a/../c/one'),
    own('fw/a'),
    `arn:aws:secretsmanager:${REGION}:${FOREIGN_ACCOUNT}:secret:fw/a/one`,
    `arn:aws:secretsmanager:${REGION}:${FOREIGN_ACCOUNT}:secret:fw/c/one`,
    `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret`,
    `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:fw/a/one:extra`,
    `ARN:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:fw/c/one`,
    encodeURIComponent(own('fw/c/one')),
    world.arns.get('fw/c/one') as string,
    world.arns.get('fw/b/exact-Decoy1') as string,
    'fw/a/../c/one',
    'fw/a/..%2Fc/one',
    'fw%2Fa%2F..%2Fc%2Fone',
    'fw/a',
    'fw/a/',
    'fw/a/..',
    'fw/a-other/x',
    'Fw/A/one',
    'fw/b/exact/',
    'fw/b/exact-Decoy1',
    'fw/b/EXACT',
    'fw/c/*',
    '*'
  )
  const id = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('fw/a/one', 'fw/a/bin', 'fw/a/new-1', 'fw/b/exact') },
    { weight: 3, arbitrary: knownName },
    { weight: 3, arbitrary: fc.tuple(knownName, variant).map(([n, f]) => f(n)) },
    { weight: 3, arbitrary: curated },
    { weight: 3, arbitrary: arn },
    { weight: 2, arbitrary: randomId },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 300, max: 3000 }).map((n) => `fw/a/${'x'.repeat(n)}`),
    }
  )

  // Body members: the model's names with values of the types the routes take, or anything.
  const anyJson = fc.jsonValue({ maxDepth: 2 })
  const text = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...world.writeValues) },
    { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(65_536), 'x'.repeat(65_537), '') }
  )
  const filterKey = fc.constantFrom(
    'name',
    'name',
    'description',
    'tag-key',
    'tag-value',
    'primary-region',
    'owning-service',
    'all',
    'Name',
    '__proto__'
  )
  const filterValue = fc.oneof(
    fc.constantFrom('fw/', 'fw/a', 'fw/a/', 'fw/b', 'fw/c', 'fw', '', '!fw/a', 'fw/a/../c', '*'),
    fc.constantFrom('marker', 'DESC', 'VALUE', 'TAG'),
    id
  )
  const filters = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.array(
        fc.record({ Key: filterKey, Values: fc.array(filterValue, { maxLength: 3 }) }),
        { maxLength: 3 }
      ),
    },
    { weight: 1, arbitrary: anyJson },
    {
      weight: 1,
      arbitrary: fc.constantFrom([{ Key: 'name' }], [{ Values: ['fw'] }], [{ Key: 1, Values: [] }]),
    }
  )
  const valueFor = (member: string): fc.Arbitrary<unknown> => {
    switch (member) {
      case 'Name':
      case 'SecretId':
        return id
      case 'SecretString':
      case 'Description':
        return text
      case 'SecretBinary':
        return fc.oneof(
          fc.constantFrom(...world.writeBinaries),
          fc.base64String({ maxLength: 16 }),
          fc.constantFrom('not base64', 'QQ', '====', 'QQ==QQ==')
        )
      case 'SecretIdList':
        return fc.oneof(
          { weight: 4, arbitrary: fc.array(id, { minLength: 1, maxLength: 4 }) },
          { weight: 1, arbitrary: fc.array(id, { minLength: 19, maxLength: 22 }) },
          { weight: 1, arbitrary: fc.array(anyJson, { maxLength: 3 }) }
        )
      case 'Filters':
        return filters
      case 'MaxResults':
        return fc.oneof(fc.integer({ min: -2, max: 200 }), fc.double(), fc.string({ maxLength: 3 }))
      case 'NextToken':
        return fc.oneof(fc.string({ maxLength: 20 }), fc.base64String({ maxLength: 40 }))
      case 'VersionStages':
        return fc.array(fc.constantFrom('AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING', 'mine', ''), {
          maxLength: 3,
        })
      case 'VersionId':
      case 'ClientRequestToken':
        return fc.oneof(fc.uuid(), fc.string({ maxLength: 70 }))
      case 'VersionStage':
        return fc.constantFrom('AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING', 'nope', '')
      case 'Tags':
        return fc.array(
          fc.record({ Key: fc.string({ maxLength: 5 }), Value: fc.string({ maxLength: 5 }) }),
          { maxLength: 2 }
        )
      case 'RecoveryWindowInDays':
        return fc.oneof(fc.integer({ min: 0, max: 40 }), fc.string({ maxLength: 3 }))
      case 'PasswordLength':
        return fc.oneof(fc.integer({ min: -5, max: 5000 }), fc.double())
      case 'ExcludeCharacters':
        return fc.string({ maxLength: 100 })
      case 'SortOrder':
        return fc.constantFrom('asc', 'desc', 'sideways')
      case 'SortBy':
        return fc.constantFrom('created-date', 'name', 'last-accessed-date', 'x')
      default:
        return fc.oneof(fc.boolean(), fc.integer(), anyJson)
    }
  }
  const member = (names: readonly string[]) =>
    fc.oneof(...names.map((name) => fc.tuple(fc.constant(name), valueFor(name))))
  const jsonBody = (preferred: readonly string[]) =>
    fc
      .array(
        fc.oneof(
          { weight: 16, arbitrary: member(preferred.length > 0 ? preferred : ['SecretId']) },
          { weight: 2, arbitrary: member(ALL_MEMBERS) },
          {
            weight: 1,
            arbitrary: fc.tuple(
              fc.constantFrom('__proto__', 'constructor', 'secretId', 'toString', '', 'Extra'),
              anyJson
            ),
          }
        ),
        { maxLength: 4 }
      )
      .map((entries): Body => {
        const value: Record<string, unknown> = {}
        // defineProperty, so that `__proto__` is an own member, as JSON.parse makes it.
        for (const [key, v] of entries) {
          Object.defineProperty(value, key, { value: v, enumerable: true, writable: true })
        }
        return { kind: 'json', value }
      })
  const body = (preferred: readonly string[]): fc.Arbitrary<Body> =>
    fc.oneof(
      { weight: 12, arbitrary: jsonBody(preferred) },
      { weight: 1, arbitrary: anyJson.map((value): Body => ({ kind: 'json', value })) },
      {
        weight: 1,
        arbitrary: fc
          .oneof(
            fc.string({ maxLength: 30 }),
            fc.constantFrom(
              '',
              '{',
              '{"SecretId":',
              '\uFEFF{}',
              'null',
              '[]',
              ' ',
              '{}{}',
              "{'a':1}"
            )
          )
          .map((text): Body => ({ kind: 'text', text })),
      },
      {
        weight: 1,
        arbitrary: fc
          .uint8Array({ maxLength: 40 })
          .map((bytes): Body => ({ kind: 'bytes', bytes })),
      },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(131_072, 131_073, 200_000)
          .map((bytes): Body => ({ kind: 'huge', bytes })),
      }
    )

  // Garbage targets: near misses of real ones, prototype names, other services, anything.
  const garbageTarget = fc.oneof(
    fc.constantFrom(
      '',
      'secretsmanager.',
      'secretsmanager.getsecretvalue',
      'SecretsManager.GetSecretValue',
      'secretsmanager.GETSECRETVALUE',
      'secretsmanager.__proto__',
      'secretsmanager.constructor',
      'secretsmanager.toString',
      'secretsmanager.hasOwnProperty',
      'secretsmanager.GetSecretValue.x',
      'secretsmanager..GetSecretValue',
      'secretsmanager.Nonsense',
      'GetSecretValue',
      'kms.Decrypt',
      'kms.GetSecretValue',
      'ssm.GetParameter',
      'secretsmanager.GetSecretValue,secretsmanager.ListSecrets'
    ),
    fc.string({ unit: safeChar, maxLength: 20 }),
    fc.string({ unit: safeChar, maxLength: 20 }).map((s) => `secretsmanager.${s}`)
  )

  const headerValue = fc.string({ unit: fc.constantFrom(...' abcXYZ019/;=,*-_.:"'.split('')) })
  const contentType = fc.oneof(
    { weight: 8, arbitrary: fc.constant(JSON_TYPE) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        undefined,
        'application/x-amz-json-1.0',
        'application/json',
        'application/x-amz-json-1.1; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        ''
      ),
    },
    { weight: 1, arbitrary: headerValue }
  )
  const header: fc.Arbitrary<[string, string]> = fc.oneof(
    fc.tuple(
      fc.constantFrom(
        'x-amz-security-token',
        'x-amz-content-sha256',
        'x-amz-user-agent',
        'amz-sdk-invocation-id',
        'amz-sdk-request',
        'x-amz-date',
        'x-amz-target',
        'x-forwarded-for',
        'cf-connecting-ip',
        'origin',
        'x-http-method-override'
      ),
      headerValue
    ),
    fc.tuple(fc.constantFrom('x-amz-content-sha256'), fc.constantFrom('UNSIGNED-PAYLOAD', '0')),
    fc.tuple(
      fc.string({ unit: fc.constantFrom(...'abcxyz-'.split('')), minLength: 1, maxLength: 12 }),
      headerValue
    )
  )
  const garbledAuthorization = fc.oneof(
    fc.constantFrom(
      undefined,
      '',
      'AWS4-HMAC-SHA256',
      'AWS4-HMAC-SHA256 Credential',
      'AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=',
      `AWS4-HMAC-SHA256 Credential=${world.keys.in.accessKeyId}/20200101/${REGION}/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
      `AWS4-HMAC-SHA256 Credential=${world.keys.in.accessKeyId}/x/y/z, SignedHeaders=host, Signature=zz`,
      `AWS4-HMAC-SHA512 Credential=${world.keys.in.accessKeyId}/20200101/${REGION}/secretsmanager/aws4_request, SignedHeaders=host, Signature=00`,
      'AWS3-HTTPS AWSAccessKeyId=x,Algorithm=HmacSHA256,Signature=x',
      `Bearer ${world.restToken}`,
      `bearer ${world.restToken}`,
      world.restToken,
      'Basic dXNlcjpwYXNz'
    ),
    headerValue
  )
  const signing: fc.Arbitrary<Signing> = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        kind: fc.constant('signed' as const),
        key: fc.constantFrom<KeyRef>('in', 'in', 'in', 'out'),
        service: fc.constant('secretsmanager'),
        region: fc.constant(REGION),
        skewMinutes: fc.constant(0),
        mutation: fc.constant<Mutation>('none'),
        query: fc.constant(false),
        declareHash: fc.boolean(),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('signed' as const),
        key: fc.constantFrom<KeyRef>(
          'in',
          'in',
          'out',
          'revoked',
          'unknown',
          'wrong-secret',
          'other-master',
          'real-aws'
        ),
        service: fc.constantFrom('secretsmanager', 'secretsmanager', 'secretsmanager', 'kms', ''),
        region: fc.constantFrom(REGION, REGION, REGION, 'eu-west-1'),
        skewMinutes: fc.constantFrom(0, 0, 0, 0, -60, 60),
        mutation: fc.constantFrom<Mutation>(
          'none',
          'body',
          'body-under-hash',
          'target',
          'date',
          'drop-date',
          'signature',
          'key-id',
          'query',
          'drop-signed-headers',
          'lowercase-scheme',
          'content-type',
          'unsigned-header',
          'drop-authorization'
        ),
        query: fc.boolean(),
        declareHash: fc.boolean(),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('unsigned' as const),
        authorization: garbledAuthorization,
      }),
    }
  )
  const limiter = fc.oneof(
    { weight: 10, arbitrary: fc.constant<LimiterMode>('ok') },
    { weight: 1, arbitrary: fc.constant<LimiterMode>('over') },
    { weight: 1, arbitrary: fc.constant<LimiterMode>('throws') }
  )
  const common = {
    contentType,
    headers: fc.oneof(
      { weight: 3, arbitrary: fc.constant<[string, string][]>([]) },
      { weight: 1, arbitrary: fc.array(header, { minLength: 1, maxLength: 3 }) }
    ),
    signing,
    limiter,
  }
  // A served target with (mostly) its own members.
  const served = fc.constantFrom(...SERVED_TARGETS).chain((operation) =>
    fc.record({
      target: fc.constant(`secretsmanager.${operation}`),
      body: body(SERVED[operation] as readonly string[]),
      ...common,
    })
  )
  const refused = fc.record({
    target: fc.constantFrom(...REFUSED_TARGETS).map((operation) => `secretsmanager.${operation}`),
    body: body(['SecretId']),
    ...common,
  })
  const garbage = fc.record({
    target: fc.option(garbageTarget, { nil: undefined, freq: 5 }),
    body: body(ALL_MEMBERS),
    ...common,
  })
  // What a well-behaved client sends with a grant's own key, in and out of its grant: these
  // reach the upstream, so values, Names and writes are there to be checked.
  const client: fc.Arbitrary<Req> = fc
    .record({
      key: fc.constantFrom<KeyRef>('in', 'in', 'out'),
      operation: fc.constantFrom(...SERVED_TARGETS),
      id: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...SEEDED_NAMES, ...NEW_NAMES) },
        { weight: 2, arbitrary: curated },
        { weight: 1, arbitrary: arn }
      ),
      value: fc.constantFrom(...world.writeValues),
      limiter,
    })
    .map(({ key, operation, id, value, limiter }): Req => {
      const input: Record<string, unknown> = (() => {
        switch (operation) {
          case 'BatchGetSecretValue':
            return {
              SecretIdList: [id, 'fw/c/one', 'fw/b/exact', 'fw/a/one', own('fw/b/exact-Decoy1')],
            }
          case 'ListSecrets':
            return {}
          case 'CreateSecret':
            return { Name: id, SecretString: value }
          case 'PutSecretValue':
            return { SecretId: id, SecretString: value }
          case 'UpdateSecret':
            return { SecretId: id, Description: value }
          case 'GetRandomPassword':
            return {}
          default:
            return { SecretId: id }
        }
      })()
      return {
        target: `secretsmanager.${operation}`,
        contentType: JSON_TYPE,
        headers: [],
        body: { kind: 'json', value: input },
        signing: {
          kind: 'signed',
          key,
          service: 'secretsmanager',
          region: REGION,
          skewMinutes: 0,
          mutation: 'none',
          query: false,
          declareHash: false,
        },
        limiter,
      }
    })
  // Writes by the `in` key inside its grant, which succeed, so what they answer is checked.
  const writes: fc.Arbitrary<Req> = fc
    .record({
      operation: fc.constantFrom(
        'CreateSecret',
        'PutSecretValue',
        'UpdateSecret',
        'DeleteSecret',
        'RestoreSecret'
      ),
      name: fc.constantFrom('fw/a/one', 'fw/a/two/deep', 'fw/a/bin', 'fw/a/new-1', 'fw/a/new/2'),
      made: fc.integer({ min: 0, max: 1_000_000 }),
      value: fc.constantFrom(...world.writeValues),
      binary: fc.constantFrom(...world.writeBinaries),
      useBinary: fc.boolean(),
    })
    .map(({ operation, name, made, value, binary, useBinary }): Req => {
      const secret = useBinary ? { SecretBinary: binary } : { SecretString: value }
      const input: Record<string, unknown> = (() => {
        switch (operation) {
          case 'CreateSecret':
            return { Name: `fw/a/made/${made}`, Description: value, ...secret }
          case 'PutSecretValue':
            return { SecretId: name, ...secret }
          case 'UpdateSecret':
            return { SecretId: name, Description: value }
          case 'DeleteSecret':
            return { SecretId: name, RecoveryWindowInDays: 7 }
          default:
            return { SecretId: name }
        }
      })()
      return {
        target: `secretsmanager.${operation}`,
        contentType: JSON_TYPE,
        headers: [],
        body: { kind: 'json', value: input },
        signing: {
          kind: 'signed',
          key: 'in',
          service: 'secretsmanager',
          region: REGION,
          skewMinutes: 0,
          mutation: 'none',
          query: false,
          declareHash: false,
        },
        limiter: 'ok',
      }
    })
  // Lists and filtered batches with a grant's own key: what they must leave out.
  const lists: fc.Arbitrary<Req> = fc
    .record({
      key: fc.constantFrom<KeyRef>('in', 'in', 'out'),
      operation: fc.constantFrom('ListSecrets', 'BatchGetSecretValue'),
      filters: fc.array(
        fc.record({
          Key: fc.constantFrom('name', 'name', 'description', 'tag-key', 'tag-value', 'all'),
          Values: fc.array(filterValue, { minLength: 1, maxLength: 2 }),
        }),
        { maxLength: 2 }
      ),
      extra: fc.constantFrom({}, { IncludePlannedDeletion: true }, { MaxResults: 1 }),
    })
    .map(({ key, operation, filters, extra }): Req => {
      const value =
        operation === 'ListSecrets'
          ? { Filters: filters, ...extra }
          : { Filters: filters, ...('MaxResults' in extra ? extra : {}) }
      return {
        target: `secretsmanager.${operation}`,
        contentType: JSON_TYPE,
        headers: [],
        body: { kind: 'json', value },
        signing: {
          kind: 'signed',
          key,
          service: 'secretsmanager',
          region: REGION,
          skewMinutes: 0,
          mutation: 'none',
          query: false,
          declareHash: false,
        },
        limiter: 'ok',
      }
    })
  return fc.oneof(
    { weight: 6, arbitrary: client },
    { weight: 2, arbitrary: lists },
    { weight: 2, arbitrary: writes },
    { weight: 8, arbitrary: served },
    { weight: 1, arbitrary: refused },
    { weight: 2, arbitrary: garbage }
  )
}

// --- sending and judging ---------------------------------------------------------------------

const amzDate = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '')

function bodyBytes(body: Body): string | Uint8Array {
  switch (body.kind) {
    case 'json':
      return JSON.stringify(body.value) ?? ''
    case 'text':
      return body.text
    case 'bytes':
      return body.bytes
    case 'huge':
      return `{"SecretId":"${'x'.repeat(body.bytes - 15)}"}`
  }
}

// The request as sent: signed (and then changed) or not, with its headers and body.
async function requestOf(world: World, req: Req): Promise<Request> {
  const headers = new Headers()
  if (req.contentType !== undefined) headers.set('content-type', req.contentType)
  if (req.target !== undefined) headers.set('x-amz-target', req.target)
  const { signing } = req
  const unsignedExtras = signing.kind === 'signed' && signing.mutation === 'unsigned-header'
  if (!unsignedExtras) for (const [name, value] of req.headers) headers.set(name, value)
  const payload = bodyBytes(req.body)
  if (signing.kind === 'unsigned') {
    if (signing.authorization !== undefined) headers.set('authorization', signing.authorization)
    return new Request('https://worker.test/', { method: 'POST', headers, body: payload })
  }
  if (signing.declareHash || signing.mutation === 'body-under-hash') {
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload
    const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
    if (!headers.has('x-amz-content-sha256')) headers.set('x-amz-content-sha256', hex)
  }
  const signer = new AwsClient({
    ...world.keys[signing.key],
    service: signing.service,
    region: signing.region,
  })
  const url = signing.query ? 'https://worker.test/?Action=x&b=%2F' : 'https://worker.test/'
  const signed = await signer.sign(url, {
    method: 'POST',
    headers,
    body: payload,
    aws: { datetime: amzDate(Date.now() + signing.skewMinutes * 60_000) },
  })
  const changed = new Headers(signed.headers)
  let sentUrl = signed.url
  let sentBody: string | Uint8Array = payload
  const auth = changed.get('authorization') ?? ''
  switch (signing.mutation) {
    case 'body':
    case 'body-under-hash':
      sentBody = typeof payload === 'string' ? `${payload} ` : new Uint8Array([...payload, 0x20])
      break
    case 'target':
      changed.set('x-amz-target', 'secretsmanager.GetSecretValue')
      if (req.target === 'secretsmanager.GetSecretValue') {
        changed.set('x-amz-target', 'secretsmanager.DescribeSecret')
      }
      break
    case 'date': {
      const date = changed.get('x-amz-date') ?? ''
      changed.set(
        'x-amz-date',
        date.replace(/\d(?=Z$)/, (d) => String((Number(d) + 1) % 10))
      )
      break
    }
    case 'drop-date':
      changed.delete('x-amz-date')
      break
    case 'signature':
      changed.set(
        'authorization',
        auth.replace(/Signature=(.)/, (_, c: string) => `Signature=${c === '0' ? '1' : '0'}`)
      )
      break
    case 'key-id':
      changed.set(
        'authorization',
        auth.replace(world.keys[signing.key].accessKeyId, world.keys.out.accessKeyId)
      )
      // The `out` key's own id swapped in: sign for `in`, so the id differs.
      if (signing.key === 'out') {
        changed.set(
          'authorization',
          auth.replace(world.keys.out.accessKeyId, world.keys.in.accessKeyId)
        )
      }
      break
    case 'query':
      sentUrl = `${signed.url}${signed.url.includes('?') ? '&' : '?'}extra=1`
      break
    case 'drop-signed-headers':
      changed.set('authorization', auth.replace(/SignedHeaders=[^,]*,\s*/, ''))
      break
    case 'lowercase-scheme':
      changed.set('authorization', auth.replace('AWS4-HMAC-SHA256', 'aws4-hmac-sha256'))
      break
    case 'content-type':
      changed.set('content-type', 'text/plain')
      break
    case 'unsigned-header':
      for (const [name, value] of req.headers) {
        if (name !== 'x-amz-date' && name !== 'x-amz-target') changed.set(name, value)
      }
      break
    case 'drop-authorization':
      changed.delete('authorization')
      break
    case 'none':
      break
  }
  return new Request(sentUrl, { method: 'POST', headers: changed, body: sentBody })
}

// The grant whose key signed the request, if it is one of the two grants' own keys. A changed
// request may still be answered for it (an unsigned header added), so this bounds what it may
// see without restating which changes the verifier tolerates.
function presented(req: Req): 'in' | 'out' | undefined {
  const { signing } = req
  if (signing.kind !== 'signed') return undefined
  return signing.key === 'in' || signing.key === 'out' ? signing.key : undefined
}

// Whether the request must be refused whatever its target and body. An extra
// x-amz-content-sha256 is never the body's hash, so it must be refused too.
function mustBeRefused(req: Req): boolean {
  const { signing } = req
  if (signing.kind === 'unsigned') return true
  return (
    presented(req) === undefined ||
    signing.service !== 'secretsmanager' ||
    signing.region !== REGION ||
    signing.skewMinutes !== 0 ||
    BREAKING.has(signing.mutation) ||
    req.headers.some(([name]) => name === 'x-amz-content-sha256')
  )
}

// Whether the request is one a grant's own key signed as an SDK would (extra headers, signed or
// added after, and content types included): the signature check must take it.
function mustBeAccepted(req: Req): boolean {
  const { signing } = req
  return signing.kind === 'signed' && !mustBeRefused(req) && HARMLESS.has(signing.mutation)
}

function covers(grant: 'in' | 'out', name: string): boolean {
  return grant === 'in' ? name.startsWith('fw/a/') && name.length > 5 : name === 'fw/b/exact'
}

interface Tally {
  statuses: Map<number, number>
  types: Map<string, number>
  readsByIn: number
  readsByOut: number
  writes: number
}

async function sendAndCheck(world: World, req: Req, tally: Tally): Promise<void> {
  const { h } = world
  const request = await requestOf(world, req)
  const requestText = new TextDecoder().decode(await request.clone().arrayBuffer())
  const logsBefore = h.logs.length
  world.limiter.mode = req.limiter
  const res: Sent = await sendTo(h.app, h.env, request.url, {
    method: 'POST',
    headers: request.headers,
    body: await request.arrayBuffer(),
  })
  const newLogs = h.logs.slice(logsBefore)
  tally.statuses.set(res.status, (tally.statuses.get(res.status) ?? 0) + 1)
  const type = res.json?.__type
  if (typeof type === 'string') tally.types.set(type, (tally.types.get(type) ?? 0) + 1)
  const grant = presented(req)
  const operation = req.target?.startsWith('secretsmanager.')
    ? req.target.slice('secretsmanager.'.length)
    : ''
  const headerText = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')

  // (1) A healthy upstream: never a 5xx.
  expect(res.status, `status (${res.text.slice(0, 300)})`).toBeLessThan(500)
  expect([200, 400, 403, 404, 413], 'status').toContain(res.status)
  // (2) Never a stack trace or a source location.
  for (const pattern of STACK_TRACE) expect(res.text, 'stack trace').not.toMatch(pattern)
  // (3) The service's framing: its content type and request id always, and its error shape
  // with x-amzn-ErrorType on every error.
  expect(res.headers.get('content-type'), 'Content-Type').toBe(JSON_TYPE)
  expect(res.headers.get('x-amzn-requestid'), 'x-amzn-RequestId').toMatch(/^[0-9a-f-]{36}$/)
  if (res.status >= 400) {
    expect(res.json, 'error body').toEqual({
      __type: expect.any(String),
      message: expect.any(String),
    })
    expect(Object.keys(res.json).sort(), 'error members').toEqual(['__type', 'message'])
    expect(res.json.__type, '__type').toMatch(/^[A-Za-z]+$/)
    expect(res.headers.get('x-amzn-errortype'), 'x-amzn-ErrorType').toBe(res.json.__type)
  } else {
    expect(res.headers.get('x-amzn-errortype'), 'no x-amzn-ErrorType on success').toBeNull()
    expect(res.json, 'a JSON object').toBeTypeOf('object')
    expect(Array.isArray(res.json)).toBe(false)
  }
  // Without a grant's own key, correctly signed for this service, region and time, nothing
  // succeeds; and only served targets ever do.
  if (mustBeRefused(req)) expect(res.status, 'refused').toBeGreaterThanOrEqual(400)
  if (mustBeAccepted(req)) {
    expect(SIGNATURE_REFUSALS.has(res.json?.__type), `signature accepted: ${res.text}`).toBe(false)
  }
  if (res.status === 200) expect(SERVED_TARGETS, 'served').toContain(operation)
  // (4) No marker outside the signing grant, and only in a successful read.
  const leaks: string[] = []
  for (const [text, marker] of world.markers) {
    if (!res.text.includes(text) && !headerText.includes(text)) continue
    // A full ARN the caller sent itself may come back (in a batch's Errors, say).
    if (marker.what === 'full ARN' && requestText.includes(text)) continue
    const allowed =
      marker.reader !== 'nobody' &&
      marker.reader === grant &&
      res.status === 200 &&
      // A grant's own secrets' ARNs come back from its writes as well.
      (READS.has(operation) || marker.what === 'full ARN')
    if (allowed) {
      if (marker.reader === 'in') tally.readsByIn++
      else tally.readsByOut++
    } else {
      leaks.push(`${marker.what} of ${marker.secret} (readable by ${marker.reader})`)
    }
  }
  refuse(leaks, `secret material in the response to ${operation || req.target} (${res.status})`)
  // Each Name answered is covered by the signing grant.
  if (res.status === 200) {
    const names = namesIn(res.json)
    const uncovered = names.filter((name) => grant === undefined || !covers(grant, name))
    refuse(uncovered, 'names outside the grant in a success')
    if (WRITES.has(operation)) tally.writes++
  }
  // Secret keys and the REST token never come back, in the answer or the log; the log holds
  // no marker either.
  const logText = JSON.stringify(newLogs)
  for (const secret of [
    world.keys.in.secretAccessKey,
    world.keys.out.secretAccessKey,
    world.restToken,
  ]) {
    expect(res.text.includes(secret) || headerText.includes(secret), 'key in response').toBe(false)
    expect(logText.includes(secret), 'key in log').toBe(false)
  }
  const logged = [...world.markers].filter(
    ([text, marker]) => marker.what !== 'full ARN' && logText.includes(text)
  )
  refuse(
    logged.map(([, m]) => `${m.what} of ${m.secret}`),
    'secret material in the log'
  )
  // One log line per request, with the status answered.
  const lines = newLogs.filter((line): line is RequestLog => 'requestId' in line)
  expect(lines.map((line) => line.status)).toEqual([res.status])
}

describe('worker', () => {
  describe('POST / with random targets, headers and bodies and a healthy upstream', () => {
    let world: World
    beforeAll(async () => {
      world = await createWorld()
    })

    it('never answers 5xx, a stack trace, a malformed error, or a secret outside the grant', async () => {
      const tally: Tally = {
        statuses: new Map(),
        types: new Map(),
        readsByIn: 0,
        readsByOut: 0,
        writes: 0,
      }
      await fc.assert(
        fc.asyncProperty(arbitraries(world), (req) => sendAndCheck(world, req, tally)),
        { numRuns: 1000 }
      )
      // The runs reached the interesting places: real reads by both keys, writes, and the
      // service's refusals from the door to the upstream.
      const reached = JSON.stringify({
        ...tally,
        statuses: Object.fromEntries(tally.statuses),
        types: Object.fromEntries(tally.types),
      })
      expect(tally.readsByIn, reached).toBeGreaterThan(0)
      expect(tally.readsByOut, reached).toBeGreaterThan(0)
      expect(tally.writes, reached).toBeGreaterThan(0)
      for (const status of [200, 400, 403]) {
        expect(tally.statuses.get(status) ?? 0, reached).toBeGreaterThan(0)
      }
      for (const type of [
        'MissingAuthenticationTokenException',
        'IncompleteSignatureException',
        'InvalidSignatureException',
        'UnrecognizedClientException',
        'AccessDeniedException',
        'UnknownOperationException',
        'SerializationException',
        'ValidationException',
        'ResourceNotFoundException',
      ]) {
        expect(tally.types.get(type) ?? 0, `${type} in ${reached}`).toBeGreaterThan(0)
      }
      // And nothing outside `in`'s grant was made or changed by its writes.
      const behind = clientBehindWorker(world.h)
      const names: string[] = []
      let NextToken: string | undefined
      do {
        const page = await behind.listSecrets({
          IncludePlannedDeletion: true,
          ...(NextToken === undefined ? {} : { NextToken }),
        })
        names.push(...(page.SecretList ?? []).map((entry) => entry.Name as string))
        NextToken = page.NextToken
      } while (NextToken !== undefined)
      const made = names.filter((name) => !SEEDED_NAMES.includes(name))
      expect(made.filter((name) => !covers('in', name))).toEqual([])
      for (const seed of SEEDS.filter((s) => s.reader !== 'in')) {
        const meta = await behind.describeSecret({ SecretId: seed.name })
        expect(meta.DeletedDate, `${seed.name} deleted`).toBeUndefined()
        expect(Object.keys(meta.VersionIdsToStages ?? {}), `${seed.name} versions`).toHaveLength(1)
        expect(world.markers.get(meta.Description as string)?.secret, seed.name).toBe(seed.name)
        const value = await behind.getSecretValue({ SecretId: seed.name })
        const shown = value.SecretString ?? toBase64(value.SecretBinary ?? new Uint8Array())
        expect(world.markers.get(shown)?.secret, `${seed.name} value`).toBe(seed.name)
      }
    }, 120_000)
  })
})
