// Access control inside workerd: the authorisation matrix (every action's routes × in or out of
// scope × no, bad or good token × a grant without the action), grant expiry, token rotation,
// pattern matching, and failing closed on a missing or invalid grant list. Every refused
// request must leave the upstream untouched: no call, no change.
import { beforeAll, describe, expect, it } from 'vitest'
import { createEmulator } from '../../../src/emulator/index.js'
import {
  createSecretsApp,
  GRANT_ACTIONS,
  type GrantAction,
  hashToken,
  type WorkerNotice,
} from '../../../src/worker/index.js'
import { call, ok } from '../../support/call.js'
import {
  ACCOUNT_ID,
  createHarness,
  type Harness,
  REGION,
  type Sent,
  sendTo,
  type TestGrant,
  testToken,
  uniqueName,
} from './harness.js'

/** How a request presents its credentials. */
interface Auth {
  token?: string
  headers?: Record<string, string>
}

/** The secrets of one test: one inside the grant (`team-a/…`), one outside (`team-b/…`). */
interface Fixture {
  inName: string
  outName: string
  inValue: string
  outValue: string
}

interface Route {
  label: string
  action: GrantAction
  /** What must be upstream before the call: the secret, a secret marked deleted, or nothing. */
  needs: 'secret' | 'deleted' | 'nothing'
  /** False for random-password, which names no secret. */
  scoped: boolean
  send(h: Sender, name: string, auth: Auth): Promise<Sent>
  okStatus: number
  /** Checks a successful answer, and what it changed upstream. */
  checkOk(h: Harness, sent: Sent, f: Fixture): Promise<void>
  /**
   * What a good token gets for a secret outside its grant: refused (403), a per-id error in the
   * batch (200), or the name filtered out of the list (200).
   */
  outOfScope: 'refused' | 'batch-error' | 'filtered'
}

/** What a route sends through: a harness, or the bare app of a deployment without grants. */
type Sender = Pick<Harness, 'send'>

const NEW_VALUE = 'matrix-new-value'

function send(h: Sender, path: string, init: RequestInit, auth: Auth): Promise<Sent> {
  const headers = new Headers(init.headers)
  for (const [key, value] of Object.entries(auth.headers ?? {})) headers.set(key, value)
  return h.send(path, {
    ...init,
    headers,
    ...(auth.token === undefined ? {} : { token: auth.token }),
  })
}

const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

// What the upstream holds for a name, to show that a refused request changed nothing.
async function upstreamState(h: Harness, name: string): Promise<unknown> {
  const described = await call(h.emulator, 'DescribeSecret', { SecretId: name })
  const value = await call(h.emulator, 'GetSecretValue', { SecretId: name })
  return {
    status: described.status,
    description: described.body.Description,
    deleted: described.body.DeletedDate !== undefined,
    value: value.body.SecretString,
    versionId: value.body.VersionId,
  }
}

async function currentValue(h: Harness, name: string): Promise<string | undefined> {
  return (await call(h.emulator, 'GetSecretValue', { SecretId: name })).body.SecretString
}

const ROUTES: Route[] = [
  {
    label: 'GET /v1/secrets/{id}',
    action: 'read',
    needs: 'secret',
    scoped: true,
    send: (h, name, auth) => send(h, `/v1/secrets/${name}`, {}, auth),
    okStatus: 200,
    async checkOk(_h, sent, f) {
      expect(sent.json).toMatchObject({ Name: f.inName, SecretString: f.inValue })
    },
    outOfScope: 'refused',
  },
  {
    label: 'GET /v1/metadata/{id}',
    action: 'read',
    needs: 'secret',
    scoped: true,
    send: (h, name, auth) => send(h, `/v1/metadata/${name}`, {}, auth),
    okStatus: 200,
    async checkOk(_h, sent, f) {
      expect(sent.json.Name).toBe(f.inName)
      expect(sent.text).not.toContain(f.inValue)
    },
    outOfScope: 'refused',
  },
  {
    label: 'POST /v1/batch-get',
    action: 'read',
    needs: 'secret',
    scoped: true,
    send: (h, name, auth) => send(h, '/v1/batch-get', json('POST', { SecretIdList: [name] }), auth),
    okStatus: 200,
    async checkOk(_h, sent, f) {
      expect(sent.json.Errors).toEqual([])
      expect(sent.json.SecretValues).toHaveLength(1)
      expect(sent.json.SecretValues[0]).toMatchObject({ Name: f.inName, SecretString: f.inValue })
    },
    outOfScope: 'batch-error',
  },
  {
    label: 'GET /secretsmanager/get',
    action: 'read',
    needs: 'secret',
    scoped: true,
    send: (h, name, auth) =>
      send(h, `/secretsmanager/get?secretId=${encodeURIComponent(name)}`, {}, auth),
    okStatus: 200,
    async checkOk(_h, sent, f) {
      expect(sent.json).toMatchObject({ Name: f.inName, SecretString: f.inValue })
    },
    outOfScope: 'refused',
  },
  {
    label: 'POST /v1/secrets',
    action: 'write',
    needs: 'nothing',
    scoped: true,
    send: (h, name, auth) =>
      send(h, '/v1/secrets', json('POST', { Name: name, SecretString: NEW_VALUE }), auth),
    okStatus: 201,
    async checkOk(h, sent, f) {
      expect(sent.json.Name).toBe(f.inName)
      expect(await currentValue(h, f.inName)).toBe(NEW_VALUE)
    },
    outOfScope: 'refused',
  },
  {
    label: 'PUT /v1/secrets/{id}',
    action: 'write',
    needs: 'secret',
    scoped: true,
    send: (h, name, auth) =>
      send(h, `/v1/secrets/${name}`, json('PUT', { SecretString: NEW_VALUE }), auth),
    okStatus: 200,
    async checkOk(h, sent, f) {
      expect(sent.json.Name).toBe(f.inName)
      expect(await currentValue(h, f.inName)).toBe(NEW_VALUE)
    },
    outOfScope: 'refused',
  },
  {
    label: 'PATCH /v1/secrets/{id}',
    action: 'write',
    needs: 'secret',
    scoped: true,
    send: (h, name, auth) =>
      send(h, `/v1/secrets/${name}`, json('PATCH', { Description: 'patched' }), auth),
    okStatus: 200,
    async checkOk(h, sent, f) {
      expect(sent.json.Name).toBe(f.inName)
      expect((await ok(h.emulator, 'DescribeSecret', { SecretId: f.inName })).Description).toBe(
        'patched'
      )
    },
    outOfScope: 'refused',
  },
  {
    label: 'DELETE /v1/secrets/{id}',
    action: 'delete',
    needs: 'secret',
    scoped: true,
    send: (h, name, auth) => send(h, `/v1/secrets/${name}`, { method: 'DELETE' }, auth),
    okStatus: 200,
    async checkOk(h, sent, f) {
      expect(sent.json.Name).toBe(f.inName)
      const described = await ok(h.emulator, 'DescribeSecret', { SecretId: f.inName })
      expect(described.DeletedDate).toBeDefined()
    },
    outOfScope: 'refused',
  },
  {
    label: 'POST /v1/restore/{id}',
    action: 'delete',
    needs: 'deleted',
    scoped: true,
    send: (h, name, auth) => send(h, `/v1/restore/${name}`, { method: 'POST' }, auth),
    okStatus: 200,
    async checkOk(h, sent, f) {
      expect(sent.json.Name).toBe(f.inName)
      const described = await ok(h.emulator, 'DescribeSecret', { SecretId: f.inName })
      expect(described.DeletedDate).toBeUndefined()
    },
    outOfScope: 'refused',
  },
  {
    label: 'GET /v1/secrets?prefix=',
    action: 'list',
    needs: 'secret',
    scoped: true,
    send: (h, name, auth) => send(h, `/v1/secrets?prefix=${encodeURIComponent(name)}`, {}, auth),
    okStatus: 200,
    async checkOk(_h, sent, f) {
      expect(sent.json.SecretList.map((s: { Name: string }) => s.Name)).toEqual([f.inName])
      expect(sent.text).not.toContain(f.inValue)
    },
    outOfScope: 'filtered',
  },
  {
    label: 'POST /v1/random-password',
    action: 'random-password',
    needs: 'nothing',
    scoped: false,
    send: (h, _name, auth) => send(h, '/v1/random-password', json('POST', {}), auth),
    okStatus: 200,
    async checkOk(_h, sent) {
      expect(sent.json.RandomPassword).toMatch(/^.{32}$/)
    },
    outOfScope: 'refused',
  },
]

const SCOPES = ['in scope', 'out of scope'] as const
type Scope = (typeof SCOPES)[number]
const CASES = ROUTES.flatMap((route) =>
  (route.scoped ? SCOPES : (['in scope'] as const)).map((scope) => ({ route, scope }))
)

/** Credentials that name no grant, by how they are wrong. */
const BAD_CREDENTIALS: [string, (good: string) => Auth][] = [
  ['a wrong token', () => ({ token: testToken('wrong') })],
  ['a malformed token (too short)', () => ({ token: 'esk_short' })],
  ['a token with a character outside base64url', (good) => ({ token: `${good}.x` })],
  ['a token without the esk_ prefix', (good) => ({ token: good.slice(4) })],
  ['the good token after another prefix', (good) => ({ token: `esx_${good.slice(4)}` })],
  ['another scheme (Basic)', () => ({ headers: { authorization: `Basic ${btoa('a:b')}` } })],
  [
    'the good token under another scheme',
    (good) => ({ headers: { authorization: `Token ${good}` } }),
  ],
  ['the good token with no scheme', (good) => ({ headers: { authorization: good } })],
  [
    'the good token followed by more',
    (good) => ({ headers: { authorization: `Bearer ${good} x` } }),
  ],
  ['an empty Bearer', () => ({ headers: { authorization: 'Bearer ' } })],
  ['an empty Authorization', () => ({ headers: { authorization: '' } })],
  [
    'a wrong Agent token header',
    () => ({ headers: { 'x-aws-parameters-secrets-token': testToken() } }),
  ],
  ['an empty Agent token header', () => ({ headers: { 'x-aws-parameters-secrets-token': '' } })],
]

describe('authorisation matrix', () => {
  // One grant with every action, and for each action a grant with all the others.
  const tokens = {} as { full: string } & Record<`lacks-${GrantAction}`, string>
  let h: Harness

  beforeAll(async () => {
    tokens.full = testToken('full')
    const grants: TestGrant[] = [
      { name: 'full', token: tokens.full, actions: [...GRANT_ACTIONS], secrets: ['team-a/*'] },
    ]
    for (const action of GRANT_ACTIONS) {
      const token = testToken(action.replace('-', ''))
      tokens[`lacks-${action}`] = token
      grants.push({
        name: `lacks-${action}`,
        token,
        actions: GRANT_ACTIONS.filter((a) => a !== action),
        secrets: ['team-a/*'],
      })
    }
    h = await createHarness({ grants })
  })

  async function fixture(route: Route): Promise<Fixture> {
    const f: Fixture = {
      inName: uniqueName('team-a'),
      outName: uniqueName('team-b'),
      inValue: `in-${crypto.randomUUID()}`,
      outValue: `out-${crypto.randomUUID()}`,
    }
    if (route.needs === 'nothing') return f
    for (const [Name, SecretString] of [
      [f.inName, f.inValue],
      [f.outName, f.outValue],
    ]) {
      await ok(h.emulator, 'CreateSecret', {
        ClientRequestToken: crypto.randomUUID(),
        Name,
        SecretString,
      })
      if (route.needs === 'deleted') {
        await ok(h.emulator, 'DeleteSecret', { SecretId: Name, RecoveryWindowInDays: 7 })
      }
    }
    return f
  }

  // Sends the request and checks that it was refused without reaching or changing the upstream.
  async function expectRefused(
    route: Route,
    scope: Scope,
    auth: Auth,
    status: number,
    type: string
  ): Promise<void> {
    const f = await fixture(route)
    const name = scope === 'in scope' ? f.inName : f.outName
    const before = await upstreamState(h, name)
    const calls = h.upstreamCalls()
    const sent = await route.send(h, name, auth)
    expect(sent.status).toBe(status)
    expect(sent.json).toEqual({ __type: type, message: expect.any(String) })
    expect(sent.headers.get('cache-control')).toBe('no-store')
    expect(sent.text).not.toContain(f.inValue)
    expect(sent.text).not.toContain(f.outValue)
    expect(h.upstreamCalls()).toBe(calls)
    expect(await upstreamState(h, name)).toEqual(before)
  }

  describe.each(CASES)('$route.label ($route.action), $scope', ({ route, scope }) => {
    it('no token: 401 MissingAuthenticationTokenException', async () => {
      await expectRefused(route, scope, {}, 401, 'MissingAuthenticationTokenException')
    })

    it.each(BAD_CREDENTIALS)('%s: 401 InvalidTokenException', async (_label, auth) => {
      await expectRefused(route, scope, auth(tokens.full), 401, 'InvalidTokenException')
    })

    it(`a good token whose grant lacks ${route.action}: 403 AccessDeniedException`, async () => {
      const token = tokens[`lacks-${route.action}`]
      await expectRefused(route, scope, { token }, 403, 'AccessDeniedException')
    })

    if (scope === 'in scope') {
      it(`a good token: ${route.okStatus}`, async () => {
        const f = await fixture(route)
        const calls = h.upstreamCalls()
        const sent = await route.send(h, f.inName, { token: tokens.full })
        expect(sent.status).toBe(route.okStatus)
        expect(sent.headers.get('cache-control')).toBe('no-store')
        expect(sent.text).not.toContain(f.outValue)
        expect(h.upstreamCalls()).toBeGreaterThan(calls)
        await route.checkOk(h, sent, f)
      })
    } else if (route.outOfScope === 'refused') {
      it('a good token: 403 AccessDeniedException', async () => {
        await expectRefused(route, scope, { token: tokens.full }, 403, 'AccessDeniedException')
      })
    } else if (route.outOfScope === 'batch-error') {
      it('a good token: 200, the id in Errors as AccessDeniedException, no upstream call', async () => {
        const f = await fixture(route)
        const calls = h.upstreamCalls()
        const sent = await route.send(h, f.outName, { token: tokens.full })
        expect(sent.status).toBe(200)
        expect(sent.json).toEqual({
          SecretValues: [],
          Errors: [
            {
              SecretId: f.outName,
              ErrorCode: 'AccessDeniedException',
              Message: expect.any(String),
            },
          ],
        })
        expect(sent.text).not.toContain(f.outValue)
        expect(h.upstreamCalls()).toBe(calls)
      })
    } else {
      it('a good token: 200 with the name filtered out', async () => {
        const f = await fixture(route)
        const sent = await route.send(h, f.outName, { token: tokens.full })
        expect(sent.status).toBe(200)
        expect(sent.json.SecretList).toEqual([])
        expect(sent.text).not.toContain(f.outName)
        expect(sent.text).not.toContain(f.outValue)
      })
    }
  })

  it('records the grant and the action in the log line of a refused request', async () => {
    const route = ROUTES[0] as Route
    const f = await fixture(route)
    await route.send(h, f.inName, { token: tokens['lacks-read'] })
    expect(h.logs.at(-1)).toMatchObject({
      grant: h.grantName('lacks-read'),
      action: 'read',
      status: 403,
      error: 'AccessDeniedException',
    })
  })
})

describe('token presentation', () => {
  let h: Harness
  let token: string
  let name: string
  let value: string

  beforeAll(async () => {
    token = testToken()
    h = await createHarness({
      grants: [{ name: 'app', token, actions: ['read'], secrets: ['team-a/*'] }],
    })
    name = uniqueName('team-a')
    value = `v-${crypto.randomUUID()}`
    await ok(h.emulator, 'CreateSecret', {
      ClientRequestToken: crypto.randomUUID(),
      Name: name,
      SecretString: value,
    })
  })

  it.each([
    ['Bearer in lower case', () => ({ authorization: `bearer ${token}` })],
    ['Bearer in capitals', () => ({ authorization: `BEARER ${token}` })],
    ['spaces around the token', () => ({ authorization: `Bearer   ${token}  ` })],
    ['a tab after Bearer', () => ({ authorization: `Bearer\t${token}` })],
    ['the Agent header', () => ({ 'x-aws-parameters-secrets-token': token })],
    ['the Agent header with spaces', () => ({ 'x-aws-parameters-secrets-token': ` ${token} ` })],
  ])('accepts %s on the REST and Agent routes', async (_label, headers) => {
    for (const path of [`/v1/secrets/${name}`, `/secretsmanager/get?secretId=${name}`]) {
      const sent = await h.send(path, { headers: headers() })
      expect(sent.status).toBe(200)
      expect(sent.json.SecretString).toBe(value)
    }
  })

  it('takes Authorization over the Agent header: a bad Bearer is refused', async () => {
    const calls = h.upstreamCalls()
    const sent = await h.send(`/secretsmanager/get?secretId=${name}`, {
      headers: { authorization: 'Bearer esk_wrong', 'x-aws-parameters-secrets-token': token },
    })
    expect(sent.status).toBe(401)
    expect(sent.json.__type).toBe('InvalidTokenException')
    expect(h.upstreamCalls()).toBe(calls)
  })

  it('never echoes the token, nor logs it', async () => {
    const wrong = testToken('wrong')
    const sent = await h.send(`/v1/secrets/${name}`, { token: wrong })
    expect(sent.status).toBe(401)
    expect(sent.text).not.toContain(wrong)
    await h.send(`/v1/secrets/${name}`, { token })
    expect(JSON.stringify(h.logs)).not.toContain(token)
    expect(JSON.stringify(h.logs)).not.toContain(wrong)
  })

  it('answers /ping without a token', async () => {
    const sent = await h.send('/ping')
    expect(sent.status).toBe(200)
    expect(sent.text).toBe('healthy')
  })
})

describe('grant expiry', () => {
  const EXPIRES = '2030-01-01T00:00:00Z'
  let clock = 0
  let h: Harness
  let token: string

  beforeAll(async () => {
    token = testToken('expiring')
    h = await createHarness({
      grants: [
        {
          name: 'expiring',
          token,
          actions: [...GRANT_ACTIONS],
          secrets: ['team-a/*'],
          expiresAt: EXPIRES,
        },
      ],
      options: { now: () => clock },
    })
  })

  it('serves the grant until its expiry', async () => {
    clock = Date.parse(EXPIRES) - 1
    const name = uniqueName('team-a')
    await ok(h.emulator, 'CreateSecret', {
      ClientRequestToken: crypto.randomUUID(),
      Name: name,
      SecretString: 'still-valid',
    })
    const sent = await h.send(`/v1/secrets/${name}`, { token })
    expect(sent.status).toBe(200)
    expect(sent.json.SecretString).toBe('still-valid')
  })

  describe.each([
    ['at', 0],
    ['a day after', 86_400_000],
  ])('%s its expiry', (_label, offset) => {
    it.each(ROUTES.map((route) => [route.label, route] as const))(
      '%s: 401 ExpiredTokenException, no upstream call',
      async (_routeLabel, route) => {
        clock = Date.parse(EXPIRES) + offset
        const name = uniqueName('team-a')
        await ok(h.emulator, 'CreateSecret', {
          ClientRequestToken: crypto.randomUUID(),
          Name: name,
          SecretString: 'expired-value',
        })
        if (route.needs === 'deleted') {
          await ok(h.emulator, 'DeleteSecret', { SecretId: name, RecoveryWindowInDays: 7 })
        }
        const calls = h.upstreamCalls()
        const sent = await route.send(h, name, { token })
        expect(sent.status).toBe(401)
        expect(sent.json.__type).toBe('ExpiredTokenException')
        expect(sent.text).not.toContain('expired-value')
        expect(h.upstreamCalls()).toBe(calls)
        expect(h.logs.at(-1)).toMatchObject({ grant: h.grantName('expiring'), status: 401 })
      }
    )
  })

  it('still says MissingAuthenticationToken to a request without one', async () => {
    clock = Date.parse(EXPIRES) + 1
    const sent = await h.send(`/v1/secrets/${uniqueName('team-a')}`)
    expect(sent.json.__type).toBe('MissingAuthenticationTokenException')
  })
})

describe('the GRANTS secret', () => {
  async function setup(grantsSecret: (hashes: string[]) => string) {
    const bundledToken = testToken('bundled')
    const secretTokens = [testToken('one'), testToken('two'), testToken('three')]
    const hashes = await Promise.all(secretTokens.map(hashToken))
    const h = await createHarness({
      grants: [{ name: 'bundled', actions: ['read'], secrets: ['team-a/*'], token: bundledToken }],
      env: { GRANTS: grantsSecret(hashes) },
    })
    const name = uniqueName('team-a')
    await ok(h.emulator, 'CreateSecret', {
      ClientRequestToken: crypto.randomUUID(),
      Name: name,
      SecretString: 'grants-value',
    })
    return { h, bundledToken, secretTokens, name }
  }

  it('replaces the bundled grants: its tokens work, the bundled one does not', async () => {
    const { h, bundledToken, secretTokens, name } = await setup((hashes) =>
      JSON.stringify([
        { name: 'from-secret', tokenSha256: [hashes[0]], actions: ['read'], secrets: ['team-a/*'] },
      ])
    )
    const good = await h.send(`/v1/secrets/${name}`, { token: secretTokens[0] as string })
    expect(good.status).toBe(200)
    expect(good.json.SecretString).toBe('grants-value')
    expect(h.logs.at(-1)).toMatchObject({ grant: 'from-secret' })
    const calls = h.upstreamCalls()
    const old = await h.send(`/v1/secrets/${name}`, { token: bundledToken })
    expect(old.status).toBe(401)
    expect(old.json.__type).toBe('InvalidTokenException')
    expect(h.upstreamCalls()).toBe(calls)
  })

  it('leaves the bundled grants in force when it is empty', async () => {
    const { h, bundledToken, name } = await setup(() => '')
    const sent = await h.send(`/v1/secrets/${name}`, { token: bundledToken })
    expect(sent.status).toBe(200)
  })

  it('accepts both tokens of a grant being rotated, and no third', async () => {
    const { h, secretTokens, name } = await setup((hashes) =>
      JSON.stringify([
        {
          name: 'rotating',
          tokenSha256: [hashes[0], hashes[1]],
          actions: ['read'],
          secrets: ['team-a/*'],
        },
      ])
    )
    const [one, two, three] = secretTokens as [string, string, string]
    for (const token of [one, two]) {
      const sent = await h.send(`/v1/secrets/${name}`, { token })
      expect(sent.status).toBe(200)
      expect(h.logs.at(-1)).toMatchObject({ grant: 'rotating' })
    }
    const sent = await h.send(`/v1/secrets/${name}`, { token: three })
    expect(sent.status).toBe(401)
    expect(sent.json.__type).toBe('InvalidTokenException')
  })

  it('finds the right grant among many', async () => {
    const { h, secretTokens, name } = await setup((hashes) =>
      JSON.stringify([
        ...Array.from({ length: 30 }, (_, i) => ({
          name: `filler-${i}`,
          tokenSha256: [(i + 1).toString(16).padStart(64, '0')],
          actions: ['read', 'write', 'delete', 'list'],
          secrets: ['team-a/*'],
        })),
        { name: 'reader', tokenSha256: [hashes[0]], actions: ['read'], secrets: ['team-a/*'] },
        { name: 'lister', tokenSha256: [hashes[1]], actions: ['list'], secrets: ['team-a/*'] },
        { name: 'nothing', tokenSha256: [hashes[2]], actions: ['read'], secrets: ['team-z/*'] },
      ])
    )
    const [reader, lister, nothing] = secretTokens as [string, string, string]
    expect((await h.send(`/v1/secrets/${name}`, { token: reader })).status).toBe(200)
    expect(h.logs.at(-1)).toMatchObject({ grant: 'reader' })
    expect((await h.send(`/v1/secrets/${name}`, { token: lister })).status).toBe(403)
    expect(h.logs.at(-1)).toMatchObject({ grant: 'lister' })
    expect((await h.send(`/v1/secrets/${name}`, { token: nothing })).status).toBe(403)
    expect(h.logs.at(-1)).toMatchObject({ grant: 'nothing' })
  })
})

describe('patterns', () => {
  let h: Harness
  let token: string
  let root: string
  const values = new Map<string, string>()

  // Names relative to a root of this harness's own, so KV entries of other tests never mix.
  const NAMES = [
    ['team-a/x', true],
    ['team-a/x/y', true],
    ['team-a/x/y/z/w', true],
    ['team-a/-', true],
    ['team-a', false],
    ['team-a-other/x', false],
    ['team-ab/x', false],
    ['TEAM-A/x', false],
    ['Team-a/x', false],
    ['exact/db', true],
    ['exact/db/x', false],
    ['exact/d', false],
    ['exact/dbx', false],
    ['exact/db-AbCdEf', false],
    ['exact', false],
  ] as const

  beforeAll(async () => {
    token = testToken()
    root = uniqueName('root')
    h = await createHarness({
      grants: [
        {
          name: 'patterns',
          token,
          actions: ['read', 'list'],
          secrets: [`${root}/team-a/*`, `${root}/exact/db`],
        },
      ],
    })
    for (const [name] of NAMES) {
      const value = `pattern-${crypto.randomUUID()}`
      values.set(name, value)
      await ok(h.emulator, 'CreateSecret', {
        ClientRequestToken: crypto.randomUUID(),
        Name: `${root}/${name}`,
        SecretString: value,
      })
    }
  })

  it.each(NAMES)('%s: covered %s', async (name, covered) => {
    const value = values.get(name) as string
    const calls = h.upstreamCalls()
    const sent = await h.send(`/v1/secrets/${root}/${name}`, { token })
    if (covered) {
      expect(sent.status).toBe(200)
      expect(sent.json.SecretString).toBe(value)
    } else {
      expect(sent.status).toBe(403)
      expect(sent.json.__type).toBe('AccessDeniedException')
      expect(sent.text).not.toContain(value)
      expect(h.upstreamCalls()).toBe(calls)
    }
  })

  it('lists exactly the covered names', async () => {
    const sent = await h.send(`/v1/secrets?prefix=${encodeURIComponent(root)}`, { token })
    expect(sent.status).toBe(200)
    const listed = sent.json.SecretList.map((s: { Name: string }) => s.Name).sort()
    const covered = NAMES.filter(([, c]) => c)
      .map(([name]) => `${root}/${name}`)
      .sort()
    expect(listed).toEqual(covered)
  })
})

// Every secret route, with a token that would be valid had the configuration parsed.
describe('failing closed', () => {
  const token = () => testToken('closed')

  // The app as a deployment without any grant list: no bundled grants, no GRANTS secret.
  function unconfigured(): Sender & { calls(): number; notices: WorkerNotice[] } {
    const emulator = createEmulator({ accountId: ACCOUNT_ID })
    let calls = 0
    const notices: WorkerNotice[] = []
    const app = createSecretsApp({
      log: (line) => {
        if ('level' in line) notices.push(line)
      },
      clientOptions: () => ({
        region: REGION,
        credentials: { accessKeyId: 'AKIDWORKERTEST', secretAccessKey: 'worker-test' },
        endpoint: 'http://emulator.test',
        fetch: async (input, init) => {
          calls++
          return emulator.fetch(new Request(input, init))
        },
      }),
    })
    return {
      notices,
      calls: () => calls,
      send: (path: string, init: RequestInit & { token?: string } = {}) =>
        sendTo(app, { AWS_REGION: REGION, AWS_ACCOUNT_ID: ACCOUNT_ID }, path, init),
    }
  }

  it.each(ROUTES.map((route) => [route.label, route] as const))(
    'no grants configured at all: %s is 403 AccessDeniedException',
    async (_label, route) => {
      const app = unconfigured()
      const sent = await route.send(app, 'team-a/x', { token: token() })
      expect(sent.status).toBe(403)
      expect(sent.json.__type).toBe('AccessDeniedException')
      expect(app.calls()).toBe(0)
      expect(app.notices.map((n) => n.message)).toContainEqual(
        expect.stringContaining('No grants are configured')
      )
    }
  )

  it('no grants configured: refuses a request without a token as well, and still answers /ping', async () => {
    const app = unconfigured()
    expect((await app.send('/v1/secrets/team-a/x')).status).toBe(403)
    expect((await app.send('/ping')).status).toBe(200)
  })

  /** A valid grant for `tokenHash`, which the broken lists below keep beside their fault. */
  const valid = (tokenHash: string, name = 'valid') => ({
    name,
    tokenSha256: [tokenHash],
    actions: [...GRANT_ACTIONS],
    secrets: ['team-a/*'],
  })

  // GRANTS secret texts, from the valid grant's hash and another hash.
  const BROKEN_SECRETS: [string, (hash: string, other: string) => string][] = [
    ['an empty list', () => '[]'],
    ['text that does not parse', (hash) => JSON.stringify([valid(hash)]).slice(0, -2)],
    ['a JSON object', (hash) => JSON.stringify({ grants: [valid(hash)] })],
    ['an unknown member', (hash) => JSON.stringify([{ ...valid(hash), admin: true }])],
    [
      'a bad hash beside the good one',
      (hash) => JSON.stringify([valid(hash), { ...valid('A'.repeat(64), 'b') }]),
    ],
    ['a hash in capitals', (hash) => JSON.stringify([{ ...valid(hash.toUpperCase()) }])],
    ['the pattern *', (hash) => JSON.stringify([{ ...valid(hash), secrets: ['*'] }])],
    [
      'the pattern prod/*/x',
      (hash) => JSON.stringify([{ ...valid(hash), secrets: ['team-a/*', 'prod/*/x'] }]),
    ],
    [
      'an unknown action',
      (hash) => JSON.stringify([{ ...valid(hash), actions: ['read', 'admin'] }]),
    ],
    ['a repeated name', (hash, other) => JSON.stringify([valid(hash), valid(other)])],
    ['a repeated hash', (hash) => JSON.stringify([valid(hash), valid(hash, 'again')])],
    ['an invalid expiresAt', (hash) => JSON.stringify([{ ...valid(hash), expiresAt: 'soon' }])],
  ]

  describe.each(BROKEN_SECRETS)('a GRANTS secret with %s', (_label, text) => {
    let h: Harness
    let t: string
    let bundledToken: string

    beforeAll(async () => {
      t = testToken('secret')
      bundledToken = testToken('bundled')
      h = await createHarness({
        // A valid bundled grant: the broken secret still replaces it.
        grants: [
          {
            name: 'bundled',
            token: bundledToken,
            actions: [...GRANT_ACTIONS],
            secrets: ['team-a/*'],
          },
        ],
        env: { GRANTS: text(await hashToken(t), await hashToken(testToken('other'))) },
      })
    })

    it.each(ROUTES.map((route) => [route.label, route] as const))(
      '%s is 403 AccessDeniedException for its token and the bundled one',
      async (_routeLabel, route) => {
        const name = uniqueName('team-a')
        await ok(h.emulator, 'CreateSecret', {
          ClientRequestToken: crypto.randomUUID(),
          Name: name,
          SecretString: 'closed-value',
        })
        if (route.needs === 'deleted') {
          await ok(h.emulator, 'DeleteSecret', { SecretId: name, RecoveryWindowInDays: 7 })
        }
        const calls = h.upstreamCalls()
        for (const token of [t, bundledToken]) {
          const sent = await route.send(h, name, { token })
          expect(sent.status).toBe(403)
          expect(sent.json.__type).toBe('AccessDeniedException')
          expect(sent.text).not.toContain('closed-value')
        }
        expect(h.upstreamCalls()).toBe(calls)
      }
    )

    it('says so once in the log, never quoting a hash', async () => {
      await h.send('/v1/secrets/team-a/x', { token: t })
      await h.send('/v1/secrets/team-a/x', { token: t })
      const notices = h.logs.filter((line): line is WorkerNotice => 'level' in line)
      const refusals = notices.filter((n) => /grant/i.test(n.message))
      expect(refusals).toHaveLength(1)
      expect(JSON.stringify(notices)).not.toMatch(/[0-9a-f]{64}/i)
    })
  })

  // Bundled lists (the `grants` option) that must not parse. The harness passes each test grant
  // on as it is, with its token's hash, so extra members and bad patterns reach parseGrants.
  const BROKEN_BUNDLES: [string, (token: string) => TestGrant[]][] = [
    ['an empty list', () => []],
    [
      'an unknown member',
      (t) => [
        { name: 'g', token: t, actions: ['read'], secrets: ['team-a/*'], extra: 1 } as TestGrant,
      ],
    ],
    ['the pattern *', (t) => [{ name: 'g', token: t, actions: ['read'], secrets: ['*'] }]],
    [
      'the pattern prod/*/x',
      (t) => [{ name: 'g', token: t, actions: ['read'], secrets: ['prod/*/x'] }],
    ],
    [
      'a repeated name',
      (t) => [
        { name: 'g', token: t, actions: ['read'], secrets: ['team-a/*'] },
        { name: 'g', token: testToken(), actions: ['read'], secrets: ['team-a/*'] },
      ],
    ],
    [
      'a repeated token hash',
      (t) => [
        { name: 'g', token: t, actions: ['read'], secrets: ['team-a/*'] },
        { name: 'h', token: t, actions: ['read'], secrets: ['team-b/*'] },
      ],
    ],
  ]

  it.each(BROKEN_BUNDLES)(
    'bundled grants with %s: every secret route is 403 AccessDeniedException',
    async (_label, grants) => {
      const t = token()
      const h = await createHarness({ grants: grants(t) })
      const name = uniqueName('team-a')
      await ok(h.emulator, 'CreateSecret', {
        ClientRequestToken: crypto.randomUUID(),
        Name: name,
        SecretString: 'closed-value',
      })
      for (const route of ROUTES) {
        const sent = await route.send(h, name, { token: t })
        expect(sent.status, route.label).toBe(403)
        expect(sent.json.__type, route.label).toBe('AccessDeniedException')
      }
      // Without a token, the answer is the same: nothing is served while the list is broken.
      expect((await h.send(`/v1/secrets/${name}`)).status).toBe(403)
      expect(h.upstreamCalls()).toBe(0)
    }
  )
})
