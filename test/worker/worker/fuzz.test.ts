// Random requests against a worker with a healthy upstream: whatever the method, path, query,
// headers and body, the answer is a 2xx or a 4xx with the JSON error shape, `no-store`, no stack
// trace, and no value, description or tag of a secret the presented token may not read. Bodies
// use the AWS member names of the Secrets Manager model, so they reach the routes' own checks.
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { toBase64 } from '../../../src/client/serde.js'
import type { RateLimiterLike, RequestLog } from '../../../src/worker/index.js'
import { ok } from '../../support/call.js'
import { namesIn, refuse } from './fuzz-support.js'
import { ACCOUNT_ID, createHarness, type Harness, REGION, testToken } from './harness.js'

// Who may read a secret: the `in` grant (everything on fz/a/*), the `out` grant (read on
// fz/b/exact only), or nobody.
type Reader = 'in' | 'out' | 'nobody'

interface Seed {
  name: string
  reader: Reader
  binary?: boolean
}

const SEEDS: Seed[] = [
  { name: 'fz/a/one', reader: 'in' },
  { name: 'fz/a/two/deep', reader: 'in' },
  { name: 'fz/a/bin', reader: 'in', binary: true },
  { name: 'fz/b/exact', reader: 'out' },
  // A full ARN ending in `fz/b/exact-Decoy1` may stand for fz/b/exact or for this secret.
  { name: 'fz/b/exact-Decoy1', reader: 'nobody' },
  { name: 'fz/c/one', reader: 'nobody' },
  { name: 'fz/c/deep/x', reader: 'nobody' },
  { name: 'fz/c/bin', reader: 'nobody', binary: true },
  // Look-alikes of the `in` grant's prefix that it does not cover.
  { name: 'fz/a', reader: 'nobody' },
  { name: 'fz/a-other/x', reader: 'nobody' },
]
const SEEDED_NAMES = SEEDS.map((seed) => seed.name)
const NEW_NAMES = ['fz/a/new-1', 'fz/a/new/2', 'fz/c/new', 'fz/b/new']

// Every input member of the Secrets Manager model (service-2.json, 2017-10-17).
const AWS_MEMBERS = [
  'SecretIdList',
  'Filters',
  'MaxResults',
  'NextToken',
  'SecretId',
  'Name',
  'ClientRequestToken',
  'Description',
  'KmsKeyId',
  'SecretBinary',
  'SecretString',
  'Tags',
  'AddReplicaRegions',
  'ForceOverwriteReplicaSecret',
  'Type',
  'RecoveryWindowInDays',
  'ForceDeleteWithoutRecovery',
  'PasswordLength',
  'ExcludeCharacters',
  'ExcludeNumbers',
  'ExcludePunctuation',
  'ExcludeUppercase',
  'ExcludeLowercase',
  'IncludeSpace',
  'RequireEachIncludedType',
  'VersionId',
  'VersionStage',
  'IncludeDeprecated',
  'IncludePlannedDeletion',
  'SortOrder',
  'SortBy',
  'ResourcePolicy',
  'BlockPublicPolicy',
  'VersionStages',
  'RotationToken',
  'RemoveReplicaRegions',
  'RotationLambdaARN',
  'RotationRules',
  'ExternalSecretRotationMetadata',
  'ExternalSecretRotationRoleArn',
  'RotateImmediately',
  'TagKeys',
  'RemoveFromVersionId',
  'MoveToVersionId',
]
const QUERY_PARAMS = [
  'versionId',
  'versionStage',
  'refresh',
  'refreshNow',
  'secretId',
  'prefix',
  'maxResults',
  'nextToken',
  'recoveryWindowInDays',
  'force',
]
const ALLOWED_ORIGIN = 'chrome-extension://fuzzallowedfuzzallowedfuzzallow'
const FOREIGN_ACCOUNT = '210987654321'
// Workerd refuses methods outside its list when the Request is made; these are the ones it takes.
const METHODS = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'HEAD',
  'get',
  'post',
  'delete',
  'TRACE',
  'QUERY',
  'PROPFIND',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'REPORT',
  'SEARCH',
  'PURGE',
  'FOO',
  'CONNECT',
].filter((method) => {
  try {
    new Request('https://worker.test/', { method })
    return true
  } catch {
    return false
  }
})
// Text that shows an error escaped with its stack or source location.
const STACK_TRACE = [/ {4}at /, /^\w*Error:/m, /file:\/\/\//, /\.ts:/]

// --- the world the requests are sent to ------------------------------------------------------

interface Marker {
  secret: string
  what: string
  reader: Reader
}

interface World {
  h: Harness
  tokens: { in: string; out: string }
  /** Marker text → the secret it belongs to, and who may read it. */
  markers: Map<string, Marker>
  /** Values the fuzz writes with the `in` token (so only `in` may read them back). */
  writeValues: string[]
  writeBinaries: string[]
  /** Each seeded secret's full ARN. */
  arns: Map<string, string>
  limiter: { mode: LimiterMode }
}

type LimiterMode = 'ok' | 'over' | 'throws'

async function createWorld(): Promise<World> {
  const tokens = { in: testToken('in'), out: testToken('out') }
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
        token: tokens.in,
        actions: ['read', 'write', 'delete', 'list', 'random-password'],
        secrets: ['fz/a/*'],
      },
      { name: 'out', token: tokens.out, actions: ['read'], secrets: ['fz/b/exact'] },
    ],
    env: { READ_LIMITER: fakeLimiter, WRITE_LIMITER: fakeLimiter },
    options: { corsOrigins: [ALLOWED_ORIGIN] },
  })
  const markers = new Map<string, Marker>()
  const arns = new Map<string, string>()
  const mark = (text: string, secret: string, what: string, reader: Reader) => {
    markers.set(text, { secret, what, reader })
    return text
  }
  for (const seed of SEEDS) {
    const id = crypto.randomUUID()
    const input: Record<string, unknown> = {
      Name: seed.name,
      ClientRequestToken: crypto.randomUUID(),
      Description: mark(`DESC-${id}`, seed.name, 'Description', seed.reader),
      Tags: [{ Key: 'marker', Value: mark(`TAG-${id}`, seed.name, 'tag', seed.reader) }],
    }
    if (seed.binary) {
      const text = mark(`BIN-${id}`, seed.name, 'SecretBinary (decoded)', seed.reader)
      const bytes = new Uint8Array([0xff, 0x00, ...new TextEncoder().encode(text), 0xfe])
      input.SecretBinary = mark(toBase64(bytes), seed.name, 'SecretBinary', seed.reader)
    } else {
      input.SecretString = mark(`VALUE-${id}`, seed.name, 'SecretString', seed.reader)
    }
    const created = await ok(h.emulator, 'CreateSecret', input)
    arns.set(seed.name, created.ARN)
  }
  const writeValues = [1, 2, 3].map((n) =>
    mark(`WRITE-${crypto.randomUUID()}`, `a write (${n})`, 'written value', 'in')
  )
  const writeBinaries = writeValues.map((text) =>
    mark(toBase64(new TextEncoder().encode(`B${text}`)), 'a write', 'written binary', 'in')
  )
  return { h, tokens, markers, writeValues, writeBinaries, arns, limiter }
}

// --- requests ----------------------------------------------------------------------------------

// A token as a header carries it: the grant's own, or a near miss that must not authenticate.
type TokenRef =
  | 'in'
  | 'out'
  | 'in-uppercased'
  | 'in-truncated'
  | 'in-extended'
  | 'out-with-space'
  | 'unknown'
  | 'empty'
  | { garbage: string }

interface Auth {
  header: 'authorization' | 'x-aws-parameters-secrets-token'
  scheme: string
  token: TokenRef
}

type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  // Shown by size, not content, so a counterexample stays readable.
  | { kind: 'huge'; bytes: number; json: boolean }

interface Req {
  method: string
  path: string
  query: [string, string][]
  auth: Auth[]
  headers: [string, string][]
  body: Body
  limiter: LimiterMode
}

function arbitraries(world: World) {
  const safeChar = fc.constantFrom(...'abcxyzABC019_+=.@-'.split(''))
  const segment = fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: safeChar, minLength: 1, maxLength: 8 }) },
    fc.constantFrom('', '.', '..', '%2e', '%2E%2e', '%2F', '%252F', '%', '%zz', '%00', '%2500'),
    fc.string({ unit: 'grapheme', maxLength: 4 }).map(encodeURIComponent),
    // Raw Unicode look-alikes: the URL parser percent-encodes them.
    fc.constantFrom('ｆｚ', 'fz\u2215a', 'f\u200bz', '\u0430', 'FZ', '\uff0fa', 'é')
  )
  const randomId = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/'))
  const knownName = fc.constantFrom(...SEEDED_NAMES, ...NEW_NAMES)
  // One way to write a known name that a grant must not be fooled by (or that still names it).
  const variant = fc.constantFrom(
    (n: string) => n,
    (n: string) => encodeURIComponent(n),
    (n: string) => encodeURIComponent(encodeURIComponent(n)),
    (n: string) => n.toUpperCase(),
    (n: string) => `${n}/`,
    (n: string) => `/${n}`,
    (n: string) => n.replaceAll('/', '//'),
    (n: string) => n.replace('fz/', 'fz/./'),
    (n: string) => n.replace('fz/', 'fz/x/../'),
    (n: string) => n.replace('fz/c/', 'fz/a/../c/'),
    (n: string) => n.replace('fz/c/', 'fz/a/%2e%2e/c/'),
    (n: string) => n.replace('fz/c/', 'fz%2Fa%2F..%2Fc%2F'),
    (n: string) => n.replace('fz/c/', 'fz/a/%252e%252e/c/'),
    (n: string) => n.replace('a', '\u0430'),
    (n: string) => n.replace('/', '\uff0f'),
    (n: string) => [...n].map((ch) => `%${ch.charCodeAt(0).toString(16)}`).join(''),
    (n: string) => `${n}%00`,
    (n: string) => `${n}-AbC123`
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
    own('fz/b/exact-Decoy1'),
    encodeURIComponent(own('fz/b/exact-Decoy1')),
    own(`fz/b/exact${world.arns.get('fz/b/exact')?.slice(-7)}`),
    own(`fz/c/one${world.arns.get('fz/c/one')?.slice(-7)}`),
    own('fz/c/one'),
    `arn:aws:secretsmanager:${REGION}:${FOREIGN_ACCOUNT}:secret:fz/a/one`,
    `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret`,
    `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:fz/a/one:extra`,
    `ARN:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:fz/c/one`,
    encodeURIComponent(own('fz/c/one')),
    'fz/a/../c/one',
    'fz/a/..%2Fc/one',
    'fz%2Fa%2F..%2Fc%2Fone',
    'fz/a/%252e%252e/c/one',
    'fz/a',
    'fz/a/',
    'fz/a-other/x',
    'Fz/A/one',
    'fz/b/exact/',
    'fz/b/exact-Decoy1',
    'fz/b/EXACT'
  )
  const longId = fc
    .integer({ min: 500, max: 3000 })
    .chain((n) => fc.constantFrom(`fz/a/${'x'.repeat(n)}`, 'fz/a/b'.repeat(n / 6), 'x'.repeat(n)))
  const id = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('fz/a/one', 'fz/a/bin', 'fz/a/new-1', 'fz/b/exact') },
    { weight: 3, arbitrary: knownName },
    { weight: 4, arbitrary: fc.tuple(knownName, variant).map(([n, f]) => f(n)) },
    { weight: 3, arbitrary: curated },
    { weight: 3, arbitrary: arn },
    { weight: 2, arbitrary: randomId },
    { weight: 1, arbitrary: longId }
  )
  // An id inside a path: `/` stays a separator, `?` and `#` would end the path.
  const inPath = (text: string) => text.replaceAll('?', '%3F').replaceAll('#', '%23')

  const queryValue = fc.oneof(
    fc.constantFrom('true', 'false', '1', '0', 'TRUE', 'yes', '', 'AWSCURRENT', 'AWSPREVIOUS'),
    fc.constantFrom('7', '30', '31', '6', '100', '101', '-1', '1e3', '0x10', '00010'),
    id,
    fc.string({ maxLength: 12 })
  )
  const queryKey = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...QUERY_PARAMS) },
    { weight: 1, arbitrary: fc.constantFrom('SecretId', 'versionid', 'secretid', '__proto__') },
    { weight: 1, arbitrary: fc.string({ unit: safeChar, minLength: 1, maxLength: 10 }) }
  )
  const query = fc.array(fc.tuple(queryKey, queryValue), { maxLength: 3 })

  const tokenRef: fc.Arbitrary<TokenRef> = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom<TokenRef>('in', 'out') },
    {
      weight: 3,
      arbitrary: fc.constantFrom<TokenRef>(
        'in-uppercased',
        'in-truncated',
        'in-extended',
        'out-with-space',
        'unknown',
        'empty'
      ),
    },
    {
      weight: 1,
      arbitrary: fc.record({ garbage: fc.string({ unit: safeChar, maxLength: 40 }) }),
    }
  )
  const auth: fc.Arbitrary<Auth> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        header: fc.constant('authorization' as const),
        scheme: fc.constantFrom(
          'Bearer ',
          'Bearer ',
          'Bearer ',
          'bearer ',
          'Bearer\t',
          'Basic ',
          ''
        ),
        token: tokenRef,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        header: fc.constant('x-aws-parameters-secrets-token' as const),
        scheme: fc.constant(''),
        token: tokenRef,
      }),
    }
  )
  const headerValue = fc.string({ unit: fc.constantFrom(...' abcXYZ019/;=,*-_.:"'.split('')) })
  const header: fc.Arbitrary<[string, string]> = fc.oneof(
    fc.tuple(
      fc.constant('content-type'),
      fc.oneof(
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          'application/x-amz-json-1.1',
          'multipart/form-data; boundary=x',
          'application/x-www-form-urlencoded'
        ),
        headerValue
      )
    ),
    fc.tuple(
      fc.constant('content-length'),
      fc.constantFrom('0', '1', '2', '131072', '131073', '999999999', '-1', 'abc', '1e9', '')
    ),
    fc.tuple(
      fc.constant('origin'),
      fc.constantFrom(ALLOWED_ORIGIN, 'chrome-extension://other', 'null', 'https://evil.test', '')
    ),
    fc.tuple(
      fc.constant('access-control-request-method'),
      fc.constantFrom('GET', 'PUT', 'DELETE', 'FOO')
    ),
    fc.tuple(
      fc.constant('access-control-request-headers'),
      fc.constantFrom('authorization', 'x-custom', '')
    ),
    fc.tuple(fc.constantFrom('x-forwarded-for', 'cf-connecting-ip', 'x-amz-target'), headerValue),
    fc.tuple(
      fc.string({ unit: fc.constantFrom(...'abcxyz-'.split('')), minLength: 1 }),
      headerValue
    )
  )

  // Body members: the model's names with values of the types the routes take, or anything.
  const anyJson = fc.jsonValue({ maxDepth: 2 })
  const text = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...world.writeValues) },
    { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(65_536), 'x'.repeat(65_537), '') }
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
      case 'VersionStages':
        return fc.array(fc.constantFrom('AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING', 'mine', ''), {
          maxLength: 3,
        })
      case 'Tags':
        return fc.array(
          fc.record({ Key: fc.string({ maxLength: 5 }), Value: fc.string({ maxLength: 5 }) }),
          { maxLength: 2 }
        )
      case 'ClientRequestToken':
        return fc.oneof(fc.uuid(), fc.string({ maxLength: 70 }))
      case 'PasswordLength':
        return fc.oneof(fc.integer({ min: -5, max: 5000 }), fc.double())
      case 'ExcludeCharacters':
        return fc.string({ maxLength: 100 })
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
          { weight: 2, arbitrary: member(AWS_MEMBERS) },
          {
            weight: 1,
            arbitrary: fc.tuple(
              fc.constantFrom('__proto__', 'constructor', 'secretString', 'name', ''),
              anyJson
            ),
          }
        ),
        { maxLength: 5 }
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
      { weight: 8, arbitrary: jsonBody(preferred) },
      { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
      { weight: 1, arbitrary: anyJson.map((value): Body => ({ kind: 'json', value })) },
      {
        weight: 1,
        arbitrary: fc
          .oneof(
            fc.string({ maxLength: 30 }),
            fc.constantFrom('{', '{"Name":', '\uFEFF{}', 'null', '[]', ' ', '{}{}', "{'a':1}")
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
        arbitrary: fc.record({
          kind: fc.constant('huge' as const),
          bytes: fc.constantFrom(131_072, 131_073, 300_000),
          json: fc.boolean(),
        }),
      }
    )

  const limiter = fc.oneof(
    { weight: 8, arbitrary: fc.constant<LimiterMode>('ok') },
    { weight: 1, arbitrary: fc.constant<LimiterMode>('over') },
    { weight: 1, arbitrary: fc.constant<LimiterMode>('throws') }
  )
  const method = (...likely: string[]) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...likely) },
      { weight: 1, arbitrary: fc.constantFrom(...METHODS) }
    )
  const proper = fc.record({
    header: fc.constantFrom<Auth['header']>(
      'authorization',
      'authorization',
      'authorization',
      'x-aws-parameters-secrets-token'
    ),
    token: fc.constantFrom<TokenRef>('in', 'in', 'out'),
  })
  const common = {
    // Mostly one grant's own token, sent as a client would, so requests get past the door.
    auth: fc.oneof(
      {
        weight: 6,
        arbitrary: proper.map(({ header, token }): Auth[] => [
          { header, scheme: header === 'authorization' ? 'Bearer ' : '', token },
        ]),
      },
      { weight: 2, arbitrary: fc.array(auth, { minLength: 0, maxLength: 2 }) }
    ),
    headers: fc.array(header, { maxLength: 3 }),
    limiter,
  }
  const idPath = (prefix: string) =>
    fc
      .record({
        id,
        tail: fc.constantFrom('', '', '', '', '', '', '/', '//', '/..', '/.', '?', '#frag'),
      })
      .map(({ id, tail }) => prefix + inPath(id) + tail)
  // Mostly the route's own parameters, sometimes any.
  const queryFor = (...params: string[]) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constant<[string, string][]>([]) },
      {
        weight: 3,
        arbitrary:
          params.length === 0
            ? fc.constant<[string, string][]>([])
            : fc.array(fc.tuple(fc.constantFrom(...params), queryValue), { maxLength: 2 }),
      },
      { weight: 1, arbitrary: query }
    )
  const agentQuery = fc
    .tuple(
      fc.option(id, { nil: undefined, freq: 6 }),
      queryFor('versionId', 'versionStage', 'refreshNow')
    )
    .map(([secretId, rest]): [string, string][] =>
      secretId === undefined ? rest : [['secretId', secretId], ...rest]
    )
  const anyPath = fc.oneof(
    fc.constantFrom(
      '/',
      '/v1',
      '/v1/',
      '/v1/secrets',
      '/v1/secrets/',
      '/v1/secrets//',
      '/V1/secrets/fz/a/one',
      '/v2/secrets/fz/a/one',
      '/v1/secrets/../metadata/fz/a/one',
      '/v1/batch-get/',
      '/v1/random-password/x',
      '/secretsmanager/get/',
      '/secretsmanager',
      '/ping',
      '/ping/',
      '/PING',
      '/v1/metadata',
      '/v1/restore',
      '/%76%31/secrets/fz/a/one',
      '/v1%2Fsecrets%2Ffz%2Fa%2Fone'
    ),
    randomId.map((p) => `/${inPath(p)}`),
    fc
      .tuple(fc.constantFrom('/v1/', '/secretsmanager/', '/'), randomId)
      .map(([a, b]) => a + inPath(b))
  )

  const route = (
    weight: number,
    methods: string[],
    path: fc.Arbitrary<string>,
    query: fc.Arbitrary<[string, string][]>,
    members: readonly string[]
  ) => ({
    weight,
    arbitrary: fc.record({
      method: method(...methods),
      path,
      query,
      body: body(members),
      ...common,
    }),
  })
  const none = fc.constant<[string, string][]>([])
  const writeMembers = ['SecretString', 'SecretBinary', 'ClientRequestToken']
  // What a well-behaved client sends, in and out of its grant: these reach the upstream, so
  // values, Names and writes are there to be checked.
  const client: fc.Arbitrary<Req> = fc
    .record({
      token: fc.constantFrom<TokenRef>('in', 'in', 'out'),
      op: fc.constantFrom(
        'read',
        'read',
        'agent',
        'metadata',
        'batch',
        'list',
        'put',
        'patch',
        'create',
        'delete',
        'restore',
        'password'
      ),
      id: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...SEEDED_NAMES, ...NEW_NAMES) },
        { weight: 1, arbitrary: curated },
        { weight: 1, arbitrary: arn }
      ),
      value: fc.constantFrom(...world.writeValues),
      limiter,
    })
    .map(({ token, op, id, value, limiter }): Req => {
      const at = inPath(id)
      const base = { query: [], headers: [], body: { kind: 'none' } as Body, limiter }
      const auth: Auth[] = [{ header: 'authorization', scheme: 'Bearer ', token }]
      const json = (v: unknown): Body => ({ kind: 'json', value: v })
      switch (op) {
        case 'read':
          return { ...base, auth, method: 'GET', path: `/v1/secrets/${at}` }
        case 'agent':
          return {
            ...base,
            auth,
            method: 'GET',
            path: '/secretsmanager/get',
            query: [['secretId', id]],
          }
        case 'metadata':
          return { ...base, auth, method: 'GET', path: `/v1/metadata/${at}` }
        case 'batch':
          return {
            ...base,
            auth,
            method: 'POST',
            path: '/v1/batch-get',
            body: json({
              SecretIdList: [id, 'fz/c/one', 'fz/b/exact', 'fz/a/one', own('fz/b/exact-Decoy1')],
            }),
          }
        case 'list':
          return { ...base, auth, method: 'GET', path: '/v1/secrets', query: [['prefix', 'fz']] }
        case 'put':
          return {
            ...base,
            auth,
            method: 'PUT',
            path: `/v1/secrets/${at}`,
            body: json({ SecretString: value }),
          }
        case 'patch':
          return {
            ...base,
            auth,
            method: 'PATCH',
            path: `/v1/secrets/${at}`,
            body: json({ Description: value }),
          }
        case 'create':
          return {
            ...base,
            auth,
            method: 'POST',
            path: '/v1/secrets',
            body: json({ Name: id, SecretString: value }),
          }
        case 'delete':
          return { ...base, auth, method: 'DELETE', path: `/v1/secrets/${at}` }
        case 'restore':
          return { ...base, auth, method: 'POST', path: `/v1/restore/${at}` }
        default:
          return { ...base, auth, method: 'POST', path: '/v1/random-password' }
      }
    })
  // A grant's own token reading an id written to escape it.
  const escapes: fc.Arbitrary<Req> = fc
    .record({
      token: fc.constantFrom<TokenRef>('in', 'out'),
      route: fc.constantFrom('/v1/secrets/', '/secretsmanager/get', '/v1/metadata/', 'batch'),
      ids: fc.array(curated, { minLength: 1, maxLength: 3 }),
      limiter,
    })
    .map(({ token, route, ids, limiter }): Req => {
      const id = ids[0] as string
      const auth: Auth[] = [{ header: 'authorization', scheme: 'Bearer ', token }]
      const base = { auth, headers: [], limiter, query: [] as [string, string][] }
      if (route === 'batch') {
        const body: Body = { kind: 'json', value: { SecretIdList: ids } }
        return { ...base, method: 'POST', path: '/v1/batch-get', body }
      }
      const none: Body = { kind: 'none' }
      if (route === '/secretsmanager/get') {
        return { ...base, method: 'GET', path: route, query: [['secretId', id]], body: none }
      }
      return { ...base, method: 'GET', path: route + inPath(id), body: none }
    })
  return fc.oneof(
    { weight: 8, arbitrary: client },
    { weight: 5, arbitrary: escapes },
    route(
      4,
      ['GET', 'GET', 'HEAD'],
      idPath('/v1/secrets/'),
      queryFor('versionId', 'versionStage', 'refresh'),
      []
    ),
    route(2, ['GET'], idPath('/v1/metadata/'), queryFor(), []),
    route(2, ['PUT'], idPath('/v1/secrets/'), queryFor(), [...writeMembers, 'VersionStages']),
    route(1, ['PATCH'], idPath('/v1/secrets/'), queryFor(), [
      ...writeMembers,
      'Description',
      'KmsKeyId',
    ]),
    route(1, ['DELETE'], idPath('/v1/secrets/'), queryFor('force', 'recoveryWindowInDays'), []),
    route(1, ['POST'], idPath('/v1/restore/'), queryFor(), []),
    route(3, ['GET'], fc.constant('/secretsmanager/get'), agentQuery, ['SecretId']),
    route(2, ['POST'], fc.constant('/v1/batch-get'), queryFor(), ['SecretIdList']),
    route(
      1,
      ['GET'],
      fc.constant('/v1/secrets'),
      queryFor('prefix', 'maxResults', 'nextToken'),
      []
    ),
    route(2, ['POST'], fc.constant('/v1/secrets'), queryFor(), [
      'Name',
      ...writeMembers,
      'Description',
      'Tags',
    ]),
    route(1, ['POST'], fc.constant('/v1/random-password'), none, [
      'PasswordLength',
      'ExcludeCharacters',
      'ExcludeNumbers',
      'IncludeSpace',
    ]),
    route(2, ['GET', 'OPTIONS', 'POST', 'PUT'], anyPath, query, AWS_MEMBERS)
  )
}

// --- sending and judging ---------------------------------------------------------------------

function tokenText(world: World, ref: TokenRef): string {
  if (typeof ref === 'object') return ref.garbage
  switch (ref) {
    case 'in':
    case 'out':
      return world.tokens[ref]
    case 'in-uppercased':
      return world.tokens.in.toUpperCase()
    case 'in-truncated':
      return world.tokens.in.slice(0, -1)
    case 'in-extended':
      return `${world.tokens.in}A`
    case 'out-with-space':
      return `${world.tokens.out.slice(0, 10)} ${world.tokens.out.slice(10)}`
    case 'unknown':
      return testToken('unknown')
    case 'empty':
      return ''
  }
}

function requestOf(world: World, req: Req): { url: string; init: RequestInit } {
  const headers = new Headers()
  for (const { header, scheme, token } of req.auth) {
    headers.set(header, scheme + tokenText(world, token))
  }
  for (const [name, value] of req.headers) headers.set(name, value)
  const search = req.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
  const url = `https://worker.test${req.path}${search.length > 0 ? `?${search.join('&')}` : ''}`
  const init: RequestInit = { method: req.method, headers }
  // A GET or HEAD Request cannot have a body.
  if (!['GET', 'HEAD'].includes(req.method.toUpperCase())) {
    const body = req.body
    if (body.kind === 'json') init.body = JSON.stringify(body.value) ?? ''
    else if (body.kind === 'text') init.body = body.text
    else if (body.kind === 'bytes') init.body = body.bytes
    else if (body.kind === 'huge') {
      init.body = body.json
        ? `{"SecretString":"${'x'.repeat(body.bytes - 19)}"}`
        : 'x'.repeat(body.bytes)
    }
  }
  return { url, init }
}

// The grants whose own tokens the request carries. A request carrying both may be answered for
// either, so this bounds what it may see without restating which header wins.
function presented(req: Req): Set<'in' | 'out'> {
  const grants = new Set<'in' | 'out'>()
  for (const { token } of req.auth) if (token === 'in' || token === 'out') grants.add(token)
  return grants
}

function covers(grant: 'in' | 'out', name: string): boolean {
  return grant === 'in' ? name.startsWith('fz/a/') && name.length > 5 : name === 'fz/b/exact'
}

interface Tally {
  statuses: Map<number, number>
  readsByIn: number
  readsByOut: number
  writes: number
}

async function sendAndCheck(world: World, req: Req, tally: Tally): Promise<void> {
  const { h } = world
  const { url, init } = requestOf(world, req)
  const logsBefore = h.logs.length
  world.limiter.mode = req.limiter
  const res = await h.send(url, init)
  const newLogs = h.logs.slice(logsBefore)
  tally.statuses.set(res.status, (tally.statuses.get(res.status) ?? 0) + 1)
  const method = new Request(url, { method: req.method }).method
  const pathname = new URL(url).pathname
  const grants = presented(req)
  const headerText = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')

  // (1) A healthy upstream: never a 5xx, and only statuses of the table.
  expect(res.status, 'status').toBeLessThan(500)
  expect([200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 429], 'status').toContain(res.status)
  // (2) Never a stack trace or a source location.
  for (const pattern of STACK_TRACE) expect(res.text, 'stack trace').not.toMatch(pattern)
  // (3) The error shape, the success shapes, and no-store always.
  expect(res.headers.get('cache-control'), 'Cache-Control').toBe('no-store')
  if (method === 'HEAD' || res.status === 204) {
    expect(res.text, 'empty body').toBe('')
  } else if (res.status >= 400) {
    expect(res.json, 'error body').toEqual({
      __type: expect.any(String),
      message: expect.any(String),
    })
    expect(res.json.__type).not.toBe('')
  } else if (pathname === '/ping') {
    expect(res.text).toBe('healthy')
  } else {
    expect(res.json, 'a JSON object').toBeTypeOf('object')
    expect(Array.isArray(res.json)).toBe(false)
  }
  if (res.status === 405) expect(res.headers.get('allow'), 'Allow').toMatch(/^[A-Z, ]+$/)
  if (res.status === 429) expect(res.headers.get('retry-after'), 'Retry-After').toMatch(/^\d+$/)
  // Without a grant's own token, nothing but the health check and preflights succeeds.
  if (grants.size === 0 && method !== 'OPTIONS' && pathname !== '/ping') {
    expect(res.status, 'no token, no success').toBeGreaterThanOrEqual(400)
  }
  // (4) No marker outside the presented grants, and only in a successful read.
  const isRead = method === 'GET' || (method === 'POST' && pathname === '/v1/batch-get')
  const leaks: string[] = []
  for (const [text, marker] of world.markers) {
    if (!res.text.includes(text) && !headerText.includes(text)) continue
    const allowed =
      marker.reader !== 'nobody' && grants.has(marker.reader) && res.status === 200 && isRead
    if (allowed) {
      if (marker.reader === 'in') tally.readsByIn++
      else tally.readsByOut++
    } else {
      leaks.push(`${marker.what} of ${marker.secret} (readable by ${marker.reader})`)
    }
  }
  refuse(leaks, 'secret material in the response')
  // Each Name answered is covered by a presented grant (a write's only by `in`, the writer).
  if (res.status < 300) {
    const names = namesIn(res.json)
    const writers: ('in' | 'out')[] = isRead ? [...grants] : grants.has('in') ? ['in'] : []
    const uncovered = names.filter((name) => !writers.some((grant) => covers(grant, name)))
    refuse(uncovered, 'names outside the grant in a success')
    if (!isRead && names.length > 0) tally.writes++
  }
  // Tokens never come back, in the answer or the log; the log holds no marker either.
  const logText = JSON.stringify(newLogs)
  for (const token of Object.values(world.tokens)) {
    expect(res.text.includes(token) || headerText.includes(token), 'token in response').toBe(false)
    expect(logText.includes(token), 'token in log').toBe(false)
  }
  const logged = [...world.markers].filter(([text]) => logText.includes(text))
  refuse(
    logged.map(([, m]) => `${m.what} of ${m.secret}`),
    'secret material in the log'
  )
  // One log line per request, with the status answered.
  const lines = newLogs.filter((line): line is RequestLog => 'requestId' in line)
  expect(lines.map((line) => line.status)).toEqual([res.status])
  // CORS: only the configured origin is ever allowed, and only when it asked.
  const allowOrigin = res.headers.get('access-control-allow-origin')
  if (allowOrigin !== null) {
    expect(allowOrigin).toBe(ALLOWED_ORIGIN)
    expect(req.headers.some(([k, v]) => k === 'origin' && v === ALLOWED_ORIGIN)).toBe(true)
  }
}

describe('worker', () => {
  describe('with random requests and a healthy upstream', () => {
    let world: World
    beforeAll(async () => {
      world = await createWorld()
    })

    it('never answers 5xx, a stack trace, or a secret outside the presented grant', async () => {
      const tally: Tally = { statuses: new Map(), readsByIn: 0, readsByOut: 0, writes: 0 }
      await fc.assert(
        fc.asyncProperty(arbitraries(world), (req) => sendAndCheck(world, req, tally)),
        { numRuns: 2000 }
      )
      // The runs reached the interesting places: real reads by both grants, writes, refusals.
      const reached = JSON.stringify({ ...tally, statuses: Object.fromEntries(tally.statuses) })
      expect(tally.readsByIn, reached).toBeGreaterThan(0)
      expect(tally.readsByOut, reached).toBeGreaterThan(0)
      expect(tally.writes, reached).toBeGreaterThan(0)
      for (const status of [200, 400, 401, 403, 404, 405, 413, 429]) {
        expect(tally.statuses.get(status) ?? 0, reached).toBeGreaterThan(0)
      }
      // And nothing outside `in`'s grant was made or changed by its writes.
      const names: string[] = []
      let NextToken: string | undefined
      do {
        const page = await ok(world.h.emulator, 'ListSecrets', {
          IncludePlannedDeletion: true,
          ...(NextToken === undefined ? {} : { NextToken }),
        })
        names.push(...page.SecretList.map((entry: { Name: string }) => entry.Name))
        NextToken = page.NextToken
      } while (NextToken !== undefined)
      const made = names.filter((name) => !SEEDED_NAMES.includes(name))
      expect(made.filter((name) => !covers('in', name))).toEqual([])
      for (const seed of SEEDS.filter((s) => s.reader !== 'in')) {
        const meta = await ok(world.h.emulator, 'DescribeSecret', { SecretId: seed.name })
        expect(meta.DeletedDate, `${seed.name} deleted`).toBeUndefined()
        expect(Object.keys(meta.VersionIdsToStages), `${seed.name} versions`).toHaveLength(1)
        expect(world.markers.get(meta.Description)?.secret, `${seed.name} description`).toBe(
          seed.name
        )
      }
    }, 180_000)
  })
})
