// Escape attempts inside workerd: a caller granted `team-a/*` addresses secrets outside its grant
// (`team-b/secret`, `team-a-other/x`, `TEAM-A/x`, `team-a` itself) another way: ARNs, percent-
// encoding, dot segments, case, slashes, Unicode look-alikes, batches and lists. Each attempt
// must be refused (400/403, or 404 where the URL parser turned it into a missing team-a name),
// must never return a value or ARN outside the grant, and may reach the upstream only with an
// id inside the grant.
import { beforeAll, describe, expect, it } from 'vitest'
import type { Emulator } from '../../../src/emulator/index.js'
import { call, ok } from '../../support/call.js'
import { ACCOUNT_ID, createHarness, type Harness, REGION, type Sent, testToken } from './harness.js'

const ARN_PREFIX = `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:`

// The secrets upstream, and whether grant `team-a/*` covers them.
const SECRETS = {
  teamB: ['team-b/secret', false],
  teamBDeep: ['team-b/x/y', false],
  other: ['team-a-other/x', false],
  upper: ['TEAM-A/x', false],
  mixed: ['Team-a/x', false],
  prefix: ['team-a', false],
  a: ['team-a/x', true],
  db: ['team-a/db', true],
  dbSuffix: ['team-a/db-AbCdEf', true],
} as const
type Key = keyof typeof SECRETS

let h: Harness
// The emulator as the tests themselves call it (not counted, not watched).
let direct: Emulator
const tokens = { a: '', exact: '', b: '' }
const values = {} as Record<Key, string>
const arns = {} as Record<Key, string>
// The ids the worker sent upstream (SecretId, SecretIdList, Name) since the last reset.
const sentIds: string[] = []

const FORBIDDEN: Key[] = (Object.keys(SECRETS) as Key[]).filter((key) => !SECRETS[key][1])
const nameOf = (key: Key) => SECRETS[key][0]

beforeAll(async () => {
  tokens.a = testToken('teama')
  tokens.exact = testToken('exact')
  tokens.b = testToken('teamb')
  h = await createHarness({
    grants: [
      {
        name: 'team-a',
        token: tokens.a,
        actions: ['read', 'write', 'delete', 'list'],
        secrets: ['team-a/*'],
      },
      {
        name: 'exact',
        token: tokens.exact,
        actions: ['read', 'write', 'delete', 'list'],
        secrets: ['team-a/db'],
      },
      { name: 'team-b', token: tokens.b, actions: ['read'], secrets: ['team-b/*'] },
    ],
  })
  direct = { ...h.emulator }
  for (const key of Object.keys(SECRETS) as Key[]) {
    values[key] = `value-of-${key}-${crypto.randomUUID()}`
    const created = await ok(direct, 'CreateSecret', {
      Name: nameOf(key),
      SecretString: values[key],
      ClientRequestToken: crypto.randomUUID(),
    })
    arns[key] = created.ARN
  }
  const upstream = h.emulator.fetch
  h.emulator.fetch = async (request) => {
    // Decoded by hand: workerd warns on .text() for the x-amz-json-1.1 content type.
    const text = new TextDecoder().decode(await request.clone().arrayBuffer())
    const body = text === '' ? {} : JSON.parse(text)
    for (const id of [body.SecretId, body.Name, ...(body.SecretIdList ?? [])]) {
      if (typeof id === 'string') sentIds.push(id)
    }
    return upstream(request)
  }
  // team-b's own grant reads its secrets first, so they sit in the worker's memory and KV tiers:
  // a refusal must not depend on a cache miss.
  for (const id of [
    nameOf('teamB'),
    `${ARN_PREFIX}team-b/secret`,
    arns.teamB,
    nameOf('teamBDeep'),
  ]) {
    const sent = await h.send(`/v1/secrets/${id}`, { token: tokens.b })
    expect(sent.status).toBe(200)
  }
})

/**
 * Nothing outside grant `team-a/*` comes back: no value, and no full ARN (which the caller could
 * not know) unless the caller wrote it itself in `echoed` (a batch answers with the ids given).
 */
function expectNoLeak(sent: Sent, echoed: readonly string[] = []): void {
  for (const key of FORBIDDEN) {
    expect(sent.text).not.toContain(values[key])
    if (!echoed.includes(arns[key])) expect(sent.text).not.toContain(arns[key])
  }
}

// No id outside the grant was sent upstream.
function expectOnlyCoveredIdsUpstream(covers: (name: string) => boolean): void {
  for (const id of sentIds) {
    const name = id.startsWith(ARN_PREFIX) ? id.slice(ARN_PREFIX.length) : id
    const suffixless = name.replace(/-[A-Za-z0-9]{6}$/, '')
    expect(covers(name) || covers(suffixless), `upstream was sent ${id}`).toBe(true)
  }
}
const coveredByTeamA = (name: string) => name.startsWith('team-a/')

// What each forbidden secret holds upstream, to show a refused write changed nothing.
async function forbiddenState(): Promise<unknown[]> {
  return Promise.all(
    FORBIDDEN.map(async (key) => {
      const described = await call(direct, 'DescribeSecret', { SecretId: nameOf(key) })
      const value = await call(direct, 'GetSecretValue', { SecretId: nameOf(key) })
      return {
        key,
        description: described.body.Description,
        deleted: described.body.DeletedDate !== undefined,
        value: value.body.SecretString,
        versionId: value.body.VersionId,
      }
    })
  )
}

const TYPE_OF_STATUS: Record<number, string[]> = {
  400: ['ValidationException'],
  403: ['AccessDeniedException'],
  404: ['ResourceNotFoundException', 'NotFoundException'],
}

/** One attempt on a REST route: the rest of the path after the route's prefix. */
interface PathAttempt {
  label: string
  rest: () => string
  status: 400 | 403 | 404
  /** The URL parser turns it into a path of another route, which other methods do not have. */
  getOnly?: boolean
}

const PATH_ATTEMPTS: PathAttempt[] = [
  // ARNs
  { label: 'partial ARN of team-b', rest: () => `${ARN_PREFIX}team-b/secret`, status: 403 },
  { label: 'full ARN of team-b', rest: () => arns.teamB, status: 403 },
  {
    label: 'partial ARN of team-b, colons percent-encoded',
    rest: () => `${ARN_PREFIX}team-b/secret`.replaceAll(':', '%3A'),
    status: 403,
  },
  {
    label: 'full ARN of team-b, all percent-encoded',
    rest: () => encodeURIComponent(arns.teamB),
    status: 403,
  },
  {
    label: 'partial ARN of team-b with a suffix-shaped tail',
    rest: () => `${ARN_PREFIX}team-b/secret-AbCdEf`,
    status: 403,
  },
  { label: 'partial ARN of team-a-other', rest: () => `${ARN_PREFIX}team-a-other/x`, status: 403 },
  { label: 'partial ARN of TEAM-A/x', rest: () => `${ARN_PREFIX}TEAM-A/x`, status: 403 },
  { label: 'partial ARN of team-a itself', rest: () => `${ARN_PREFIX}team-a`, status: 403 },
  {
    label: 'ARN of team-a/x in a foreign account',
    rest: () => `arn:aws:secretsmanager:${REGION}:999999999999:secret:team-a/x`,
    status: 403,
  },
  {
    label: 'ARN of team-a/x in a foreign region',
    rest: () => `arn:aws:secretsmanager:us-west-2:${ACCOUNT_ID}:secret:team-a/x`,
    status: 403,
  },
  {
    label: 'ARN of team-a/x in a foreign partition',
    rest: () => `arn:aws-cn:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:team-a/x`,
    status: 403,
  },
  {
    label: 'full ARN of team-a/x with a foreign account',
    rest: () => arns.a.replace(ACCOUNT_ID, '999999999999'),
    status: 403,
  },
  {
    label: 'ARN of team-a/x with an account of 13 digits',
    rest: () => `arn:aws:secretsmanager:${REGION}:0${ACCOUNT_ID}:secret:team-a/x`,
    status: 403,
  },
  {
    label: 'ARN whose team-a resource is percent-encoded up to team-b',
    rest: () => `${ARN_PREFIX}team-a%2F..%2Fteam-b%2Fsecret`,
    status: 400,
  },
  {
    label: 'ARN whose team-a resource climbs to team-b (normalised by the URL parser)',
    rest: () => `${ARN_PREFIX}team-a/../team-b/secret`,
    status: 403,
  },
  {
    label: 'ARN of team-a/x with one more colon',
    rest: () => `${ARN_PREFIX}team-a/x:team-b/secret`,
    status: 400,
  },
  {
    label: 'ARN in capitals',
    rest: () => `ARN:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:team-b/secret`,
    status: 400,
  },
  {
    label: 'ARN of another service',
    rest: () => `arn:aws:ssm:${REGION}:${ACCOUNT_ID}:secret:team-b/secret`,
    status: 400,
  },
  // Percent-encoding
  {
    label: 'single %2F climbing to team-b',
    rest: () => 'team-a%2F..%2Fteam-b%2Fsecret',
    status: 400,
  },
  {
    label: 'single %2F and %2E climbing to team-b',
    rest: () => 'team-a%2F%2E%2E%2Fteam-b%2Fsecret',
    status: 400,
  },
  {
    label: 'double %252F climbing to team-b',
    rest: () => 'team-a%252F..%252Fteam-b%252Fsecret',
    status: 400,
  },
  { label: 'double %252F of team-b', rest: () => 'team-b%252Fsecret', status: 400 },
  { label: 'double-encoded letter (team-%2561)', rest: () => 'team-%2561/x', status: 400 },
  { label: 'team-b with %2F', rest: () => 'team-b%2Fsecret', status: 403 },
  { label: 'team-b with an encoded letter', rest: () => '%74eam-b/secret', status: 403 },
  {
    label: 'deep %2F climb from a team-a name',
    rest: () => 'team-a/x%2F..%2F..%2Fteam-b%2Fsecret',
    status: 400,
  },
  {
    label: '%2E%2E segment (normalised by the URL parser)',
    rest: () => 'team-a/%2E%2E/team-b/secret',
    status: 403,
  },
  { label: '%2e%2e segment in lower case', rest: () => 'team-a/%2e%2e/team-b/secret', status: 403 },
  { label: '.%2E segment', rest: () => 'team-a/.%2E/team-b/secret', status: 403 },
  { label: 'a lone % sign', rest: () => 'team-a/%', status: 400 },
  { label: 'a truncated escape', rest: () => 'team-a/x%2', status: 400 },
  { label: '%u002F escape', rest: () => 'team-a%u002F..%u002Fteam-b%u002Fsecret', status: 400 },
  { label: 'encoded backslashes', rest: () => 'team-a%5C..%5Cteam-b%5Csecret', status: 400 },
  // Dot segments (raw ones are normalised by the URL parser before routing)
  { label: 'raw .. to team-b', rest: () => 'team-a/../team-b/secret', status: 403 },
  { label: 'raw ./.. to team-b', rest: () => 'team-a/./../team-b/secret', status: 403 },
  {
    label: 'raw ../.. from a deeper name',
    rest: () => 'team-a/x/../../team-b/secret',
    status: 403,
  },
  { label: 'raw ./ before team-b', rest: () => './team-b/secret', status: 403 },
  { label: 'raw .. to team-a-other', rest: () => 'team-a/../team-a-other/x', status: 403 },
  {
    label: 'raw .. climbing out of the route',
    rest: () => 'team-a/../../v1/secrets/team-b/secret',
    status: 404,
  },
  {
    label: 'raw .. climbing into the Agent route',
    rest: () => 'team-a/../../../secretsmanager/get?secretId=team-b/secret',
    status: 403,
    getOnly: true,
  },
  {
    label: 'raw .. climbing into the metadata route',
    rest: () => 'team-a/../../metadata/team-b/secret',
    status: 403,
    getOnly: true,
  },
  {
    label: 'raw backslashes (read as slashes)',
    rest: () => 'team-a\\..\\team-b\\secret',
    status: 403,
  },
  {
    label: 'a tab inside team-b (dropped by the URL parser)',
    rest: () => 'team-\tb/secret',
    status: 403,
  },
  { label: 'a trailing /..', rest: () => 'team-a/x/..', status: 400 },
  { label: ';-parameters before ..', rest: () => 'team-a/x;/../../team-b/secret', status: 403 },
  // Case
  { label: 'TEAM-A/x', rest: () => 'TEAM-A/x', status: 403 },
  { label: 'Team-a/x', rest: () => 'Team-a/x', status: 403 },
  { label: 'team-A/x', rest: () => 'team-A/x', status: 403 },
  { label: 'TEAM-B/SECRET', rest: () => 'TEAM-B/SECRET', status: 403 },
  { label: 'an encoded capital (%54EAM-A/x)', rest: () => '%54EAM-A/x', status: 403 },
  // Slashes
  { label: 'a trailing slash', rest: () => 'team-a/x/', status: 400 },
  { label: 'a doubled slash', rest: () => 'team-a//x', status: 400 },
  { label: 'a leading slash', rest: () => '/team-a/x', status: 400 },
  { label: 'a leading slash before team-b', rest: () => '/team-b/secret', status: 400 },
  { label: 'the prefix with its slash', rest: () => 'team-a/', status: 400 },
  { label: 'the prefix itself', rest: () => 'team-a', status: 403 },
  { label: 'a look-alike prefix (team-a-other)', rest: () => 'team-a-other/x', status: 403 },
  { label: 'a look-alike prefix with %2F', rest: () => 'team-a-other%2Fx', status: 403 },
  { label: 'an encoded doubled slash', rest: () => 'team-a%2F%2Fx', status: 400 },
  {
    label: 'a doubled slash before .. (lands on a missing team-a name)',
    rest: () => 'team-a//../team-b/secret',
    status: 404,
  },
  // Unicode look-alikes and control characters
  {
    label: 'fullwidth solidus (U+FF0F)',
    rest: () => 'team-a\uff0f..\uff0fteam-b\uff0fsecret',
    status: 400,
  },
  { label: 'fullwidth solidus in team-b', rest: () => 'team-b\uff0fsecret', status: 400 },
  { label: 'fullwidth solidus, encoded', rest: () => 'team-b%EF%BC%8Fsecret', status: 400 },
  { label: 'division slash (U+2215)', rest: () => 'team-a%E2%88%95..%E2%88%95team-b', status: 400 },
  {
    label: 'fullwidth full stops (U+FF0E)',
    rest: () => 'team-a/\uff0e\uff0e/team-b/secret',
    status: 400,
  },
  { label: 'Cyrillic а in team-b', rest: () => 'te\u0430m-b/secret', status: 400 },
  { label: 'Cyrillic а in team-a', rest: () => 'te\u0430m-a/x', status: 400 },
  { label: 'fullwidth letters', rest: () => '\uff54\uff45\uff41\uff4d-b/secret', status: 400 },
  { label: 'a combining accent', rest: () => 'team-a/x\u0301', status: 400 },
  { label: 'a combining overlay on team-b', rest: () => 'team-b\u0338/secret', status: 400 },
  { label: 'a zero-width space', rest: () => 'team-b\u200b/secret', status: 400 },
  { label: 'a raw NUL inside', rest: () => 'team-b/sec\u0000ret', status: 400 },
  // The URL parser strips leading and trailing C0 controls and spaces before routing.
  { label: 'a raw trailing NUL (stripped)', rest: () => 'team-b/secret\u0000', status: 403 },
  { label: '%00', rest: () => 'team-b/secret%00', status: 400 },
  { label: '%00 before ..', rest: () => 'team-a%00/../team-b/secret', status: 403 },
  {
    label: 'overlong / (%C0%AF)',
    rest: () => 'team-a%C0%AF..%C0%AFteam-b%C0%AFsecret',
    status: 400,
  },
  { label: 'overlong . (%C0%AE)', rest: () => 'team-a/%C0%AE%C0%AE/team-b/secret', status: 400 },
  { label: 'a lone surrogate, encoded', rest: () => 'team-b/secret%ED%A0%80', status: 400 },
]

interface RestRoute {
  label: string
  prefix: string
  init: () => RequestInit
  write: boolean
}

const REST_ROUTES: RestRoute[] = [
  { label: 'GET /v1/secrets/{id}', prefix: '/v1/secrets/', init: () => ({}), write: false },
  { label: 'GET /v1/metadata/{id}', prefix: '/v1/metadata/', init: () => ({}), write: false },
  {
    label: 'PUT /v1/secrets/{id}',
    prefix: '/v1/secrets/',
    init: () => ({ method: 'PUT', body: JSON.stringify({ SecretString: 'escaped-write' }) }),
    write: true,
  },
  {
    label: 'PATCH /v1/secrets/{id}',
    prefix: '/v1/secrets/',
    init: () => ({ method: 'PATCH', body: JSON.stringify({ Description: 'escaped' }) }),
    write: true,
  },
  {
    label: 'DELETE /v1/secrets/{id}',
    prefix: '/v1/secrets/',
    init: () => ({ method: 'DELETE' }),
    write: true,
  },
  {
    label: 'POST /v1/restore/{id}',
    prefix: '/v1/restore/',
    init: () => ({ method: 'POST' }),
    write: true,
  },
]

function expectRefused(sent: Sent, status: number, callsBefore: number): void {
  expect(sent.status).toBe(status)
  expect(TYPE_OF_STATUS[status]).toContain(sent.json?.__type)
  expectNoLeak(sent)
  // Only an id inside the grant (here: a missing team-a name) may reach the upstream.
  if (status !== 404) expect(h.upstreamCalls() - callsBefore).toBe(0)
  expectOnlyCoveredIdsUpstream(coveredByTeamA)
}

describe.each(REST_ROUTES)('$label with grant team-a/*', (route) => {
  const attempts = PATH_ATTEMPTS.filter((a) => !a.getOnly || !route.write)
  it.each(attempts)('refuses $label ($status)', async (attempt) => {
    sentIds.length = 0
    const before = route.write ? await forbiddenState() : undefined
    const calls = h.upstreamCalls()
    const sent = await h.send(`${route.prefix}${attempt.rest()}`, {
      ...route.init(),
      token: tokens.a,
    })
    expectRefused(sent, attempt.status, calls)
    if (before !== undefined) expect(await forbiddenState()).toEqual(before)
  })
})

/** One id as a caller writes it in a query parameter or a JSON body. */
interface IdAttempt {
  label: string
  id: () => string
  status: 400 | 403
}

const ID_ATTEMPTS: IdAttempt[] = [
  { label: 'team-b by name', id: () => 'team-b/secret', status: 403 },
  { label: 'a deeper team-b name', id: () => 'team-b/x/y', status: 403 },
  { label: 'partial ARN of team-b', id: () => `${ARN_PREFIX}team-b/secret`, status: 403 },
  { label: 'full ARN of team-b', id: () => arns.teamB, status: 403 },
  {
    label: 'partial ARN of team-b with a suffix-shaped tail',
    id: () => `${ARN_PREFIX}team-b/secret-AbCdEf`,
    status: 403,
  },
  {
    label: 'ARN of team-a/x in a foreign account',
    id: () => `arn:aws:secretsmanager:${REGION}:999999999999:secret:team-a/x`,
    status: 403,
  },
  {
    label: 'ARN of team-a/x in a foreign region',
    id: () => `arn:aws:secretsmanager:eu-west-1:${ACCOUNT_ID}:secret:team-a/x`,
    status: 403,
  },
  {
    label: 'ARN of team-a/x in a foreign partition',
    id: () => `arn:aws-us-gov:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:team-a/x`,
    status: 403,
  },
  {
    label: 'ARN climbing from team-a to team-b',
    id: () => `${ARN_PREFIX}team-a/../team-b/secret`,
    status: 400,
  },
  { label: '.. climbing to team-b', id: () => 'team-a/../team-b/secret', status: 400 },
  { label: '. segment', id: () => 'team-a/./x', status: 400 },
  { label: './ before team-b', id: () => './team-b/secret', status: 400 },
  {
    label: 'single %2F (not decoded again)',
    id: () => 'team-a%2F..%2Fteam-b%2Fsecret',
    status: 400,
  },
  { label: 'double %252F', id: () => 'team-a%252F..%252Fteam-b%252Fsecret', status: 400 },
  { label: 'backslashes', id: () => 'team-a\\..\\team-b\\secret', status: 400 },
  { label: 'TEAM-A/x', id: () => 'TEAM-A/x', status: 403 },
  { label: 'Team-a/x', id: () => 'Team-a/x', status: 403 },
  { label: 'TEAM-B/SECRET', id: () => 'TEAM-B/SECRET', status: 403 },
  { label: 'a trailing slash', id: () => 'team-a/x/', status: 400 },
  { label: 'a doubled slash', id: () => 'team-a//x', status: 400 },
  { label: 'a leading slash', id: () => '/team-a/x', status: 400 },
  { label: 'the prefix itself', id: () => 'team-a', status: 403 },
  { label: 'the prefix with its slash', id: () => 'team-a/', status: 400 },
  { label: 'a look-alike prefix (team-a-other)', id: () => 'team-a-other/x', status: 403 },
  {
    label: 'fullwidth solidus (U+FF0F)',
    id: () => 'team-a\uff0f..\uff0fteam-b\uff0fsecret',
    status: 400,
  },
  { label: 'Cyrillic а in team-b', id: () => 'te\u0430m-b/secret', status: 400 },
  { label: 'fullwidth letters', id: () => '\uff54\uff45\uff41\uff4d-b/secret', status: 400 },
  { label: 'a combining accent', id: () => 'team-a/x\u0301', status: 400 },
  { label: 'a zero-width space', id: () => 'team-b\u200b/secret', status: 400 },
  { label: 'a NUL', id: () => 'team-b/secret\u0000', status: 400 },
  { label: 'a NUL before ..', id: () => 'team-a\u0000/../team-b/secret', status: 400 },
  { label: 'a leading space', id: () => ' team-b/secret', status: 400 },
  { label: 'a trailing newline', id: () => 'team-b/secret\n', status: 400 },
]

describe('GET /secretsmanager/get with grant team-a/*', () => {
  it.each(ID_ATTEMPTS)('refuses $label ($status)', async (attempt) => {
    sentIds.length = 0
    const calls = h.upstreamCalls()
    const sent = await h.send(`/secretsmanager/get?secretId=${encodeURIComponent(attempt.id())}`, {
      token: tokens.a,
    })
    expectRefused(sent, attempt.status, calls)
  })

  it.each(ID_ATTEMPTS)(
    'refuses $label ($status) with the token in X-Aws-Parameters-Secrets-Token',
    async (attempt) => {
      sentIds.length = 0
      const calls = h.upstreamCalls()
      const sent = await h.send(
        `/secretsmanager/get?secretId=${encodeURIComponent(attempt.id())}`,
        { headers: { 'x-aws-parameters-secrets-token': tokens.a } }
      )
      expectRefused(sent, attempt.status, calls)
    }
  )

  // Query strings as written, not encoded by the test.
  it.each([
    ['team-b with %2F', 'secretId=team-b%2Fsecret', 403],
    ['single %2F climbing to team-b', 'secretId=team-a%2F..%2Fteam-b%2Fsecret', 400],
    ['double %252F climbing to team-b', 'secretId=team-a%252F..%252Fteam-b%252Fsecret', 400],
    ['raw .. climbing to team-b', 'secretId=team-a/../team-b/secret', 400],
    ['a team-a id, then a team-b id', 'secretId=team-a/x&secretId=team-b/secret', 400],
    ['a team-b id, then a team-a id', 'secretId=team-b/secret&secretId=team-a/x', 400],
    ['the parameter in another case', 'secretid=team-b/secret', 400],
    ['the parameter as an array', 'secretId[]=team-b/secret', 400],
    ['an empty secretId', 'secretId=', 400],
    ['a + (read as a space)', 'secretId=team-a/x+../../team-b/secret', 400],
    ['overlong / (%C0%AF)', 'secretId=team-a%C0%AF..%C0%AFteam-b%C0%AFsecret', 400],
    ['%00', 'secretId=team-b/secret%00', 400],
    ['fullwidth solidus, encoded', 'secretId=team-b%EF%BC%8Fsecret', 400],
    ['full ARN of team-b, colons raw', `secretId=${ARN_PREFIX}team-b/secret`, 403],
  ] as const)('refuses %s (%s, %i)', async (_label, query, status) => {
    sentIds.length = 0
    const calls = h.upstreamCalls()
    const sent = await h.send(`/secretsmanager/get?${query}`, { token: tokens.a })
    expectRefused(sent, status, calls)
  })
})

describe('POST /v1/batch-get with grant team-a/*', () => {
  it.each(ID_ATTEMPTS)('returns team-a/x and refuses $label in Errors', async (attempt) => {
    sentIds.length = 0
    const id = attempt.id()
    const sent = await h.send('/v1/batch-get', {
      method: 'POST',
      token: tokens.a,
      body: JSON.stringify({ SecretIdList: ['team-a/x', id] }),
    })
    expect(sent.status).toBe(200)
    expect(sent.json.SecretValues).toHaveLength(1)
    expect(sent.json.SecretValues[0]).toMatchObject({ Name: 'team-a/x', SecretString: values.a })
    expect(sent.json.Errors).toEqual([
      {
        SecretId: id,
        ErrorCode: attempt.status === 403 ? 'AccessDeniedException' : 'ValidationException',
        Message: expect.any(String),
      },
    ])
    expectNoLeak(sent, [id])
    expectOnlyCoveredIdsUpstream(coveredByTeamA)
  })

  it('makes no upstream call when every id is refused', async () => {
    sentIds.length = 0
    const calls = h.upstreamCalls()
    const ids = ID_ATTEMPTS.slice(0, 20).map((a) => a.id())
    const sent = await h.send('/v1/batch-get', {
      method: 'POST',
      token: tokens.a,
      body: JSON.stringify({ SecretIdList: ids }),
    })
    expect(sent.status).toBe(200)
    expect(sent.json.SecretValues).toEqual([])
    expect(sent.json.Errors.map((e: { SecretId: string }) => e.SecretId).sort()).toEqual(
      [...ids].sort()
    )
    expectNoLeak(sent, ids)
    expect(h.upstreamCalls()).toBe(calls)
    expect(sentIds).toEqual([])
  })

  it('refuses the same secret under every name in one batch, returning the covered ones', async () => {
    const ids = ['team-a/x', `${ARN_PREFIX}team-a/x`, arns.a, 'team-b/secret', arns.teamB]
    const sent = await h.send('/v1/batch-get', {
      method: 'POST',
      token: tokens.a,
      body: JSON.stringify({ SecretIdList: ids }),
    })
    expect(sent.status).toBe(200)
    for (const value of sent.json.SecretValues) {
      expect(value).toMatchObject({ Name: 'team-a/x', SecretString: values.a })
    }
    expect(sent.json.Errors.map((e: { SecretId: string }) => e.SecretId).sort()).toEqual(
      ['team-b/secret', arns.teamB].sort()
    )
    expectNoLeak(sent, ids)
  })
})

describe('POST /v1/secrets with grant team-a/*', () => {
  it.each([
    ['a team-b name', 'team-b/new', 403],
    ['.. climbing to team-b', 'team-a/../team-b/new', 400],
    ['a %2F climbing to team-b', 'team-a%2F..%2Fteam-b%2Fnew', 400],
    ['TEAM-A in capitals', 'TEAM-A/new', 403],
    ['the prefix itself', 'team-a', 403],
    ['a look-alike prefix', 'team-a-other/new', 403],
    ['a trailing slash', 'team-a/new/', 400],
    ['a doubled slash', 'team-a//new', 400],
    ['a leading slash', '/team-a/new', 400],
    // A new secret is named, never addressed by ARN.
    ['a partial ARN of a team-a name', `${ARN_PREFIX}team-a/new`, 400],
    ['a partial ARN of a team-b name', `${ARN_PREFIX}team-b/new`, 400],
    ['fullwidth solidus', 'team-a\uff0fnew', 400],
    ['Cyrillic а', 'te\u0430m-a/new', 400],
    ['a combining accent', 'team-a/ne\u0301w', 400],
    ['a NUL', 'team-a/new\u0000', 400],
  ] as const)('refuses %s (%s, %i) and creates nothing', async (_label, Name, status) => {
    sentIds.length = 0
    const names = async () =>
      (await ok(direct, 'ListSecrets', { MaxResults: 100 })).SecretList.map(
        (s: { Name: string }) => s.Name
      )
    const before = await names()
    const calls = h.upstreamCalls()
    const sent = await h.send('/v1/secrets', {
      method: 'POST',
      token: tokens.a,
      body: JSON.stringify({ Name, SecretString: 'escaped-create' }),
    })
    expectRefused(sent, status, calls)
    expect(await names()).toEqual(before)
  })
})

describe('GET /v1/secrets?prefix= with grant team-a/*', () => {
  async function allPages(
    prefix: string,
    token = tokens.a
  ): Promise<{ names: string[]; pages: Sent[] }> {
    const names: string[] = []
    const pages: Sent[] = []
    let nextToken: string | undefined
    do {
      const query = new URLSearchParams({ prefix, maxResults: '1' })
      if (nextToken !== undefined) query.set('nextToken', nextToken)
      const sent = await h.send(`/v1/secrets?${query}`, { token })
      expect(sent.status).toBe(200)
      pages.push(sent)
      names.push(...sent.json.SecretList.map((s: { Name: string }) => s.Name))
      nextToken = sent.json.NextToken
    } while (nextToken !== undefined && pages.length < 50)
    return { names, pages }
  }

  it('never shows a name outside the grant over many pages of one (prefix team)', async () => {
    const { names, pages } = await allPages('team')
    // One name a page: every page but the last holds one, so no page is an empty count of
    // names outside the grant (the upstream query is narrowed to team-a/).
    expect(pages.length).toBeGreaterThanOrEqual(names.length)
    expect(pages.length).toBeLessThanOrEqual(names.length + 1)
    expect(names.length).toBeGreaterThan(2)
    expect(names.every(coveredByTeamA)).toBe(true)
    expect(names).toEqual(expect.arrayContaining(['team-a/x', 'team-a/db', 'team-a/db-AbCdEf']))
    for (const page of pages) {
      expect(page.text).not.toContain('team-b')
      expect(page.text).not.toContain('team-a-other')
      expect(page.text).not.toContain('"team-a"')
      expectNoLeak(page)
      // A listing never carries values, even of covered secrets.
      expect(page.text).not.toContain(values.a)
    }
  })

  it.each([
    ['team-b', 'team-b'],
    ['TEAM', 'TEAM'],
    ['Team', 'Team'],
    ['team-a-', 'team-a-'],
    ['a prefix with ..', 'team-a/../team-b'],
  ])('shows nothing outside the grant for prefix %s', async (_label, prefix) => {
    const { names, pages } = await allPages(prefix)
    expect(names.every(coveredByTeamA)).toBe(true)
    for (const page of pages) expectNoLeak(page)
  })

  it('an exact grant lists its one name, not the name with a suffix-shaped tail', async () => {
    const { names } = await allPages('team-a/db', tokens.exact)
    expect(names).toEqual(['team-a/db'])
  })
})

describe('ARNs of names inside the grant', () => {
  const partial = (name: string) => `${ARN_PREFIX}${name}`

  it.each([
    ['partial ARN', () => partial('team-a/x')],
    ['full ARN', () => arns.a],
    ['full ARN with its colons percent-encoded', () => arns.a.replaceAll(':', '%3A')],
  ])('reads team-a/x by its %s', async (_label, id) => {
    const sent = await h.send(`/v1/secrets/${id()}`, { token: tokens.a })
    expect(sent.status).toBe(200)
    expect(sent.json).toMatchObject({ Name: 'team-a/x', SecretString: values.a })
    const agent = await h.send(
      `/secretsmanager/get?secretId=${encodeURIComponent(decodeURIComponent(id()))}`,
      {
        token: tokens.a,
      }
    )
    expect(agent.status).toBe(200)
    expect(agent.json.SecretString).toBe(values.a)
    const metadata = await h.send(`/v1/metadata/${id()}`, { token: tokens.a })
    expect(metadata.status).toBe(200)
    expect(metadata.json.ARN).toBe(arns.a)
  })

  async function fresh(): Promise<{ name: string; arn: string }> {
    const name = `team-a/written-${crypto.randomUUID().slice(0, 8)}`
    const created = await ok(direct, 'CreateSecret', {
      Name: name,
      SecretString: 'before',
      ClientRequestToken: crypto.randomUUID(),
    })
    return { name, arn: created.ARN }
  }

  it.each([
    ['partial ARN', (s: { name: string; arn: string }) => partial(s.name)],
    ['full ARN', (s: { name: string; arn: string }) => s.arn],
  ])('writes, deletes and restores a team-a secret by its %s', async (_label, idOf) => {
    const secret = await fresh()
    const id = idOf(secret)
    // Read first, so the write must invalidate what the cache holds.
    expect((await h.send(`/v1/secrets/${id}`, { token: tokens.a })).json.SecretString).toBe(
      'before'
    )
    const put = await h.send(`/v1/secrets/${id}`, {
      method: 'PUT',
      token: tokens.a,
      body: JSON.stringify({ SecretString: 'after' }),
    })
    expect(put.status).toBe(200)
    expect((await ok(direct, 'GetSecretValue', { SecretId: secret.name })).SecretString).toBe(
      'after'
    )
    expect((await h.send(`/v1/secrets/${id}`, { token: tokens.a })).json.SecretString).toBe('after')
    const patch = await h.send(`/v1/secrets/${id}`, {
      method: 'PATCH',
      token: tokens.a,
      body: JSON.stringify({ Description: 'by ARN' }),
    })
    expect(patch.status).toBe(200)
    expect((await h.send(`/v1/secrets/${id}`, { method: 'DELETE', token: tokens.a })).status).toBe(
      200
    )
    expect(
      (await ok(direct, 'DescribeSecret', { SecretId: secret.name })).DeletedDate
    ).toBeDefined()
    expect((await h.send(`/v1/restore/${id}`, { method: 'POST', token: tokens.a })).status).toBe(
      200
    )
    const described = await ok(direct, 'DescribeSecret', { SecretId: secret.name })
    expect(described.DeletedDate).toBeUndefined()
    expect(described.Description).toBe('by ARN')
  })
})

// Grant `exact` covers team-a/db only; team-a/db-AbCdEf is outside it, though a full ARN
// `…:secret:team-a/db-AbCdEf` might be team-a/db with its random suffix.
describe('a full ARN whose tail looks like a suffix (grant exact team-a/db)', () => {
  const ambiguous = `${ARN_PREFIX}team-a/db-AbCdEf`

  function expectNoDbSuffix(sent: Sent): void {
    expect(sent.text).not.toContain(values.dbSuffix)
    expect(sent.text).not.toContain(arns.dbSuffix)
    expectNoLeak(sent)
  }

  it('reads team-a/db by name and by its own full ARN', async () => {
    for (const id of ['team-a/db', arns.db]) {
      const sent = await h.send(`/v1/secrets/${id}`, { token: tokens.exact })
      expect(sent.status).toBe(200)
      expect(sent.json).toMatchObject({ Name: 'team-a/db', SecretString: values.db })
    }
  })

  it.each([
    ['GET /v1/secrets/{id}', () => `/v1/secrets/${ambiguous}`],
    ['GET /v1/metadata/{id}', () => `/v1/metadata/${ambiguous}`],
    [
      'GET /secretsmanager/get',
      () => `/secretsmanager/get?secretId=${encodeURIComponent(ambiguous)}`,
    ],
  ])('%s refuses it after checking the Name upstream answered', async (_label, path) => {
    const sent = await h.send(path(), { token: tokens.exact })
    expect(sent.status).toBe(403)
    expect(sent.json.__type).toBe('AccessDeniedException')
    expectNoDbSuffix(sent)
  })

  it('refuses it again once the value is cached, and after team-a/* read it', async () => {
    const wide = await h.send(`/v1/secrets/${ambiguous}`, { token: tokens.a })
    expect(wide.status).toBe(200)
    expect(wide.json.SecretString).toBe(values.dbSuffix)
    for (let i = 0; i < 2; i++) {
      const sent = await h.send(`/v1/secrets/${ambiguous}`, { token: tokens.exact })
      expect(sent.status).toBe(403)
      expectNoDbSuffix(sent)
    }
    const refreshed = await h.send(`/v1/secrets/${ambiguous}?refresh=true`, { token: tokens.exact })
    expect(refreshed.status).toBe(403)
    expectNoDbSuffix(refreshed)
  })

  it('refuses it in a batch, returning team-a/db', async () => {
    const sent = await h.send('/v1/batch-get', {
      method: 'POST',
      token: tokens.exact,
      body: JSON.stringify({ SecretIdList: ['team-a/db', ambiguous] }),
    })
    expect(sent.status).toBe(200)
    expect(sent.json.SecretValues).toHaveLength(1)
    expect(sent.json.SecretValues[0]).toMatchObject({ Name: 'team-a/db', SecretString: values.db })
    expect(sent.json.Errors).toEqual([
      { SecretId: ambiguous, ErrorCode: 'AccessDeniedException', Message: expect.any(String) },
    ])
    expectNoDbSuffix(sent)
  })

  it.each([
    [
      'PUT',
      { method: 'PUT', body: JSON.stringify({ SecretString: 'escaped-write' }) },
      '/v1/secrets/',
    ],
    [
      'PATCH',
      { method: 'PATCH', body: JSON.stringify({ Description: 'escaped' }) },
      '/v1/secrets/',
    ],
    ['DELETE', { method: 'DELETE' }, '/v1/secrets/'],
    ['restore', { method: 'POST' }, '/v1/restore/'],
  ] as const)(
    '%s asks which secret it is first, and changes nothing',
    async (_label, init, prefix) => {
      const before = await Promise.all(
        ['team-a/db', 'team-a/db-AbCdEf'].map(async (SecretId) => ({
          described: await ok(direct, 'DescribeSecret', { SecretId }),
          value: (await ok(direct, 'GetSecretValue', { SecretId })).SecretString,
        }))
      )
      const calls = new Map(h.calls)
      const sent = await h.send(`${prefix}${ambiguous}`, { ...init, token: tokens.exact })
      expect(sent.status).toBe(403)
      expect(sent.json.__type).toBe('AccessDeniedException')
      expectNoDbSuffix(sent)
      // One DescribeSecret, and nothing that changes a secret.
      expect((h.calls.get('DescribeSecret') ?? 0) - (calls.get('DescribeSecret') ?? 0)).toBe(1)
      for (const op of ['PutSecretValue', 'UpdateSecret', 'DeleteSecret', 'RestoreSecret']) {
        expect(h.calls.get(op) ?? 0, op).toBe(calls.get(op) ?? 0)
      }
      const after = await Promise.all(
        ['team-a/db', 'team-a/db-AbCdEf'].map(async (SecretId) => ({
          described: await ok(direct, 'DescribeSecret', { SecretId }),
          value: (await ok(direct, 'GetSecretValue', { SecretId })).SecretString,
        }))
      )
      expect(after.map((s) => [s.value, s.described.Description, s.described.DeletedDate])).toEqual(
        before.map((s) => [s.value, s.described.Description, s.described.DeletedDate])
      )
    }
  )

  it.each([
    ['a raw .. from team-a/db', '/v1/secrets/team-a/db/../db-AbCdEf', 403],
    ['a %2F.. from team-a/db', '/v1/secrets/team-a/db%2F..%2Fdb-AbCdEf', 400],
    ['the name itself', '/v1/secrets/team-a/db-AbCdEf', 403],
    ['a partial ARN of a deeper name', `/v1/secrets/${ARN_PREFIX}team-a/db/x`, 403],
  ] as const)('refuses %s (%i) without an upstream call', async (_label, path, status) => {
    const calls = h.upstreamCalls()
    const sent = await h.send(path, { token: tokens.exact })
    expect(sent.status).toBe(status)
    expectNoDbSuffix(sent)
    expect(h.upstreamCalls()).toBe(calls)
  })

  it('writes team-a/db by its own full ARN, after asking which secret it is', async () => {
    const calls = h.calls.get('DescribeSecret') ?? 0
    const sent = await h.send(`/v1/secrets/${arns.db}`, {
      method: 'PUT',
      token: tokens.exact,
      body: JSON.stringify({ SecretString: 'db-rotated' }),
    })
    expect(sent.status).toBe(200)
    expect(h.calls.get('DescribeSecret')).toBe(calls + 1)
    expect((await ok(direct, 'GetSecretValue', { SecretId: 'team-a/db' })).SecretString).toBe(
      'db-rotated'
    )
    expect(
      (await ok(direct, 'GetSecretValue', { SecretId: 'team-a/db-AbCdEf' })).SecretString
    ).toBe(values.dbSuffix)
  })
})

// The router matches a decoded path while the id is cut from the raw one: whatever the two make
// of an encoded or odd prefix, nothing is served without a token or outside the grant.
describe('route prefixes', () => {
  it.each([
    ['an encoded v1', '/%761/secrets/team-b/secret'],
    ['an encoded secrets', '/v1/%73ecrets/team-b/secret'],
    ['an encoded metadata', '/v1/%6Detadata/team-b/secret'],
    ['an encoded slash after secrets', '/v1/secrets%2Fteam-b/secret'],
    ['a doubled slash after v1', '/v1//secrets/team-b/secret'],
    ['.. back into the route', '/v1/secrets/../secrets/team-b/secret'],
    ['.. from metadata into secrets', '/v1/metadata/../secrets/team-b/secret'],
    ['the route in capitals', '/V1/SECRETS/team-b/secret'],
    ['an Agent path with a trailing slash', '/secretsmanager/get/?secretId=team-b/secret'],
    ['an encoded Agent path', '/secretsmanager/%67et?secretId=team-b/secret'],
  ])('%s: refused with grant team-a/*, no upstream call', async (_label, path) => {
    sentIds.length = 0
    const calls = h.upstreamCalls()
    const sent = await h.send(path, { token: tokens.a })
    expect([400, 403, 404]).toContain(sent.status)
    expectNoLeak(sent)
    expect(h.upstreamCalls()).toBe(calls)
  })

  it.each([
    ['an encoded v1', '/%761/secrets/team-a/x'],
    ['an encoded secrets', '/v1/%73ecrets/team-a/x'],
    ['an encoded Agent path', '/secretsmanager/%67et?secretId=team-a/x'],
    ['.. back into the route', '/v1/metadata/../secrets/team-a/x'],
  ])('%s: never served without a token', async (_label, path) => {
    const calls = h.upstreamCalls()
    const sent = await h.send(path)
    expect([401, 404]).toContain(sent.status)
    expect(sent.text).not.toContain(values.a)
    expect(h.upstreamCalls()).toBe(calls)
  })

  it('HEAD is refused as GET is, without a token and outside the grant', async () => {
    const calls = h.upstreamCalls()
    expect((await h.send('/v1/secrets/team-a/x', { method: 'HEAD' })).status).toBe(401)
    const outside = await h.send('/v1/secrets/team-b/secret', { method: 'HEAD', token: tokens.a })
    expect(outside.status).toBe(403)
    expect(outside.text).toBe('')
    expect(h.upstreamCalls()).toBe(calls)
  })
})
