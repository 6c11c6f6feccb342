// POST / by hand: SigV4 requests signed with aws4fetch and then changed, every rejection as the
// service answers it, the escape attempts of the REST routes, the protocol's framing, limits and
// CORS. The official SDK's run through the same route is aws-sdk.test.ts.

import { env } from 'cloudflare:workers'
import { AwsClient } from 'aws4fetch'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  createAccessKey,
  createMasterKey,
  deriveSecretAccessKey,
  parseMasterKeys,
} from '../../../src/worker/keys.js'
import {
  ACCOUNT_ID,
  clientBehindWorker,
  createHarness,
  type Harness,
  REGION,
  type Sent,
  sendTo,
  uniqueName,
} from './harness.js'

const MASTER_1 = createMasterKey(1)
const MASTER_2 = createMasterKey(2)
const JSON_TYPE = 'application/x-amz-json-1.1'
type Key = { accessKeyId: string; secretAccessKey: string }

let h: Harness
let key: Key
let keyV2: Key
let revoked: Key
let lister: Key
let reader: Key
let inside: string
let outside: string
let outsideArn: string

beforeAll(async () => {
  key = await createAccessKey(parseMasterKeys(MASTER_1))
  revoked = await createAccessKey(parseMasterKeys(MASTER_1))
  lister = await createAccessKey(parseMasterKeys(MASTER_1))
  reader = await createAccessKey(parseMasterKeys(MASTER_1))
  keyV2 = await createAccessKey(parseMasterKeys(`${MASTER_2},${MASTER_1}`))
  h = await createHarness({
    grants: [
      {
        name: 'proto',
        accessKeyIds: [key.accessKeyId, keyV2.accessKeyId],
        actions: ['read', 'write', 'delete', 'list', 'random-password'],
        secrets: ['proto/*'],
      },
      {
        name: 'lister',
        accessKeyIds: [lister.accessKeyId],
        actions: ['list'],
        secrets: ['proto/*'],
      },
      {
        name: 'reader',
        accessKeyIds: [reader.accessKeyId],
        actions: ['read'],
        secrets: ['proto/*'],
      },
    ],
    // Both master versions: keys under either work while grants move to the new one.
    env: { ACCESS_KEY_MASTER: `${MASTER_2},${MASTER_1}`, CORS_ORIGINS: 'chrome-extension://abc' },
  })
  inside = uniqueName('proto/app')
  outside = uniqueName('proto-other/app')
  const behind = clientBehindWorker(h)
  await behind.createSecret({
    Name: inside,
    SecretString: 'inside-value',
    Description: 'hunter2 inside',
  })
  // Two outside: a page of one would then have a NextToken, if upstream were asked for them.
  await behind.createSecret({ Name: uniqueName('proto-other/app'), SecretString: 'outside-value' })
  outsideArn = (await behind.createSecret({ Name: outside, SecretString: 'outside-value' }))
    .ARN as string
})

interface Call {
  target?: string
  body?: string
  key?: Key
  path?: string
  datetime?: string
  service?: string
  region?: string
  /** Extra headers to sign. */
  headers?: Record<string, string>
  /** Changes the signed request before it is sent. */
  change?: (request: Request) => Request
  harness?: Pick<Harness, 'app' | 'env'>
}

async function call(options: Call = {}): Promise<Sent> {
  const signer = new AwsClient({
    ...(options.key ?? key),
    service: options.service ?? 'secretsmanager',
    region: options.region ?? REGION,
  })
  const headers: Record<string, string> = { 'content-type': JSON_TYPE, ...options.headers }
  if (options.target !== '') {
    headers['x-amz-target'] = `secretsmanager.${options.target ?? 'GetSecretValue'}`
  }
  let request = await signer.sign(`https://worker.test${options.path ?? '/'}`, {
    method: 'POST',
    headers,
    body: options.body ?? JSON.stringify({ SecretId: inside }),
    ...(options.datetime === undefined ? {} : { aws: { datetime: options.datetime } }),
  })
  if (options.change) request = options.change(request)
  const target = options.harness ?? h
  return sendTo(target.app, target.env, request.url, {
    method: request.method,
    headers: request.headers,
    body: await request.arrayBuffer(),
  })
}

const amzDate = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '')
const withHeaders = (request: Request, change: (headers: Headers) => void) => {
  const headers = new Headers(request.headers)
  change(headers)
  return new Request(request.url, { method: request.method, headers, body: request.body })
}

function expectServiceError(sent: Sent, type: string, status: number, message?: RegExp) {
  expect(sent.status).toBe(status)
  expect(sent.json?.__type).toBe(type)
  expect(sent.headers.get('x-amzn-errortype')).toBe(type)
  expect(sent.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/)
  expect(sent.headers.get('content-type')).toBe(JSON_TYPE)
  if (message) expect(sent.json?.message).toMatch(message)
  expect(sent.text).not.toContain('inside-value')
  expect(sent.text).not.toContain('outside-value')
  expect(sent.text).not.toMatch(/\n\s+at /)
}

describe('POST /: the Secrets Manager protocol', () => {
  it('answers a signed GetSecretValue as the service does', async () => {
    const sent = await call()
    expect(sent.status).toBe(200)
    expect(sent.headers.get('content-type')).toBe(JSON_TYPE)
    expect(sent.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/)
    expect(Number.isNaN(Date.parse(sent.headers.get('date') ?? ''))).toBe(false)
    expect(Object.keys(sent.json).sort()).toEqual(
      ['ARN', 'CreatedDate', 'Name', 'SecretString', 'VersionId', 'VersionStages'].sort()
    )
    expect(sent.json.SecretString).toBe('inside-value')
    expect(typeof sent.json.CreatedDate).toBe('number')
    const log = h.logs.at(-1) as unknown as Record<string, unknown>
    expect(log).toMatchObject({
      grant: h.grantName('proto'),
      accessKeyId: key.accessKeyId,
      operation: 'GetSecretValue',
      action: 'read',
      secretId: inside,
      status: 200,
    })
    expect(JSON.stringify(h.logs)).not.toContain('inside-value')
    expect(JSON.stringify(h.logs)).not.toContain(key.secretAccessKey)
  })

  it('takes a key issued under the newer master version too', async () => {
    expect((await call({ key: keyV2 })).json?.SecretString).toBe('inside-value')
  })

  it('derives secrets that differ per id and per master key', async () => {
    const one = parseMasterKeys(MASTER_1)
    const two = parseMasterKeys(MASTER_2.replace(/^2:/, '1:'))
    const a = await deriveSecretAccessKey(one, key.accessKeyId)
    expect(a).toBe(key.secretAccessKey)
    expect(a).toMatch(/^[A-Za-z0-9+/]{40}$/)
    expect(await deriveSecretAccessKey(two, key.accessKeyId)).not.toBe(a)
    expect(await deriveSecretAccessKey(one, revoked.accessKeyId)).not.toBe(a)
    // A version whose master key is not configured derives nothing.
    expect(await deriveSecretAccessKey(one, keyV2.accessKeyId)).toBeUndefined()
    expect(await deriveSecretAccessKey(one, 'AKIAIOSFODNN7EXAMPLE')).toBeUndefined()
  })

  describe('refuses what the service refuses', () => {
    const now = Date.now()
    const cases: [string, () => Promise<Sent>, string, number, RegExp?][] = [
      [
        'no Authorization',
        () => call({ change: (r) => withHeaders(r, (hs) => hs.delete('authorization')) }),
        'MissingAuthenticationTokenException',
        403,
      ],
      [
        'a malformed Authorization',
        () =>
          call({
            change: (r) =>
              withHeaders(r, (hs) => hs.set('authorization', 'AWS4-HMAC-SHA256 Credential')),
          }),
        'IncompleteSignatureException',
        400,
      ],
      [
        'a bearer token, never quoted back',
        () =>
          call({
            change: (r) =>
              withHeaders(r, (hs) =>
                hs.set('authorization', 'Bearer esk_not_for_this_route_0123456789abcdef')
              ),
          }).then((sent) => {
            expect(sent.text).not.toContain('esk_not_for_this_route')
            return sent
          }),
        'IncompleteSignatureException',
        400,
      ],
      [
        'an unknown key id',
        () => call({ key: { ...key, accessKeyId: 'ESKA01AAAAAAAAAAAAAAAA' } }),
        'UnrecognizedClientException',
        400,
        /security token included in the request is invalid/,
      ],
      [
        'a key whose grant was removed (revoked)',
        () => call({ key: revoked }),
        'UnrecognizedClientException',
        400,
      ],
      [
        'a real AWS key id',
        () => call({ key: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' } }),
        'UnrecognizedClientException',
        400,
      ],
      [
        'a wrong secret key',
        () => call({ key: { ...key, secretAccessKey: keyV2.secretAccessKey } }),
        'InvalidSignatureException',
        400,
        /signature we calculated does not match/,
      ],
      [
        'a body changed after signing',
        () =>
          call({
            change: (r) =>
              new Request(r.url, {
                method: 'POST',
                headers: r.headers,
                body: JSON.stringify({ SecretId: outside }),
              }),
          }),
        'InvalidSignatureException',
        400,
      ],
      [
        'a signed header changed after signing',
        () =>
          call({
            change: (r) =>
              withHeaders(r, (hs) => hs.set('x-amz-target', 'secretsmanager.DescribeSecret')),
          }),
        'InvalidSignatureException',
        400,
      ],
      [
        'a date 20 minutes old',
        () => call({ datetime: amzDate(now - 20 * 60_000) }),
        'InvalidSignatureException',
        400,
        /^Signature expired: /,
      ],
      [
        'a date 20 minutes ahead',
        () => call({ datetime: amzDate(now + 20 * 60_000) }),
        'InvalidSignatureException',
        400,
        /^Signature not yet current: /,
      ],
      [
        'another service in the scope',
        () => call({ service: 'kms' }),
        'InvalidSignatureException',
        400,
        /scoped to correct service: 'secretsmanager'/,
      ],
      [
        'another region in the scope',
        () => call({ region: 'eu-west-1' }),
        'InvalidSignatureException',
        400,
        /scoped to a valid region/,
      ],
    ]
    it.each(cases)('%s', async (_label, send, type, status, message) => {
      expectServiceError(await send(), type, status, message)
    })
  })

  it('checks the signature against the URL as signed when mounted under a sub-path', async () => {
    const mounted = await createHarness({
      grants: [
        {
          name: 'mounted',
          accessKeyIds: [key.accessKeyId],
          actions: ['read'],
          secrets: ['proto/*'],
        },
      ],
      env: { ACCESS_KEY_MASTER: MASTER_1 },
      emulator: h.emulator,
      mountPath: '/secrets',
    })
    const viaOuter = async (path: string, signedPath = path) => {
      const signer = new AwsClient({ ...key, service: 'secretsmanager', region: REGION })
      const signed = await signer.sign(`https://worker.test${signedPath}`, {
        method: 'POST',
        headers: { 'content-type': JSON_TYPE, 'x-amz-target': 'secretsmanager.GetSecretValue' },
        body: JSON.stringify({ SecretId: inside }),
      })
      return mounted.send(path, {
        method: 'POST',
        headers: signed.headers,
        body: await signed.text(),
      })
    }
    expect((await viaOuter('/secrets')).json?.SecretString).toBe('inside-value')
    // Signed for the root, sent to the mount: the canonical path differs.
    expectServiceError(await viaOuter('/secrets', '/'), 'InvalidSignatureException', 400)
  })

  it('fails closed without a master key, and without grants', async () => {
    for (const missing of [{}, { ACCESS_KEY_MASTER: 'not a key' }]) {
      const alone = await createHarness({
        grants: [
          { name: 'g', accessKeyIds: [key.accessKeyId], actions: ['read'], secrets: ['proto/*'] },
        ],
        env: missing,
        emulator: h.emulator,
      })
      expectServiceError(await call({ harness: alone }), 'UnrecognizedClientException', 400)
      expect(JSON.stringify(alone.logs)).toContain('ACCESS_KEY_MASTER')
    }
    const none = await createHarness({
      grants: [],
      env: { ACCESS_KEY_MASTER: MASTER_1 },
      emulator: h.emulator,
    })
    expectServiceError(await call({ harness: none }), 'AccessDeniedException', 400)
  })

  it('answers unknown and unserved targets, and malformed bodies, as the service does', async () => {
    expectServiceError(await call({ target: '' }), 'UnknownOperationException', 400)
    expectServiceError(await call({ target: 'Nonsense' }), 'UnknownOperationException', 400)
    expectServiceError(
      await call({ target: 'RotateSecret', body: JSON.stringify({ SecretId: inside }) }),
      'AccessDeniedException',
      400,
      /not authorized to perform: secretsmanager:RotateSecret/
    )
    expectServiceError(await call({ body: '{"SecretId":' }), 'SerializationException', 400)
    expectServiceError(await call({ body: '[1]' }), 'SerializationException', 400)
    expectServiceError(await call({ body: '{}' }), 'ValidationException', 400, /secretId/)
    expectServiceError(
      await call({ body: JSON.stringify({ SecretId: inside, Extra: 1 }) }),
      'ValidationException',
      400,
      /Unknown member Extra/
    )
    expectServiceError(
      await call({
        target: 'PutSecretValue',
        body: JSON.stringify({ SecretId: inside, SecretBinary: 'not base64!' }),
      }),
      'ValidationException',
      400
    )
    expectServiceError(
      await call({ body: JSON.stringify({ SecretId: 'x'.repeat(200_000) }) }),
      'RequestEntityTooLargeException',
      413
    )
  })

  it('answers input the client refuses before any call with 400, never a retried 5xx', async () => {
    const bodies: [string, object][] = [
      ['PutSecretValue', { SecretId: inside, SecretString: 'v', SecretBinary: 'AAAA' }],
      ['CreateSecret', { Name: uniqueName('proto/both'), SecretString: 'v', SecretBinary: 'AAAA' }],
      ['DeleteSecret', { SecretId: inside, RecoveryWindowInDays: 1 }],
      [
        'DeleteSecret',
        { SecretId: inside, RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true },
      ],
      ['GetRandomPassword', { PasswordLength: 0 }],
      [
        'CreateSecret',
        { Name: uniqueName('proto/rep'), AddReplicaRegions: [{ Region: 'eu-west-1' }] },
      ],
    ]
    for (const [target, body] of bodies) {
      const sent = await call({ target, body: JSON.stringify(body) })
      expect(sent.status, `${target} ${JSON.stringify(body)}: ${sent.text}`).toBe(400)
      expect(sent.json?.__type).toMatch(
        /^(InvalidParameterException|ValidationException|InvalidRequestException)$/
      )
    }
    expect((await clientBehindWorker(h).getSecretValue({ SecretId: inside })).SecretString).toBe(
      'inside-value'
    )
  })

  it('refuses a body swapped under a signed x-amz-content-sha256 of the original', async () => {
    const original = JSON.stringify({ SecretId: inside })
    const hash = [
      ...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(original))),
    ]
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('')
    const sent = await call({
      body: original,
      change: (r) => {
        const headers = new Headers(r.headers)
        return new Request(r.url, {
          method: 'POST',
          headers,
          body: JSON.stringify({ SecretId: outside }),
        })
      },
      headers: { 'x-amz-content-sha256': hash },
    })
    expectServiceError(sent, 'InvalidSignatureException', 400)
  })

  describe('ListSecrets and BatchGetSecretValue by filters tell nothing of names outside the grant', () => {
    const list = (body: object, who: Key = key, target = 'ListSecrets') =>
      call({ key: who, target, body: JSON.stringify(body) })
    it('neither by entries nor by NextToken, whatever name filter the caller sends', async () => {
      const hidden = outside.split('/')[0] as string
      for (const Values of [
        [hidden],
        [`${hidden}/`],
        [outside],
        [outside.slice(0, -2)],
        ['p'],
        [''],
      ]) {
        const sent = await list({ MaxResults: 1, Filters: [{ Key: 'name', Values }] })
        expect(sent.status, sent.text).toBe(200)
        for (const entry of sent.json.SecretList) expect(entry.Name.startsWith('proto/')).toBe(true)
        if (!Values[0]?.startsWith('proto') && Values[0] !== 'p' && Values[0] !== '') {
          expect(sent.json.SecretList).toEqual([])
          expect(sent.json.NextToken).toBeUndefined()
        }
      }
      expectServiceError(
        await list({ Filters: [{ Key: 'name', Values: ['!proto/'] }] }),
        'InvalidParameterException',
        400
      )
      const batch = await list(
        { MaxResults: 1, Filters: [{ Key: 'name', Values: [hidden] }] },
        key,
        'BatchGetSecretValue'
      )
      expect(batch.json).toEqual({ SecretValues: [], Errors: [] })
    })
    it('a list-only grant gets names and ARNs, and may filter by name only', async () => {
      const sent = await list({ Filters: [{ Key: 'name', Values: [inside] }] }, lister)
      expect(sent.json.SecretList).toEqual([{ ARN: expect.any(String), Name: inside }])
      expectServiceError(
        await list({ Filters: [{ Key: 'description', Values: ['hunter2'] }] }, lister),
        'AccessDeniedException',
        400
      )
      const full = await list({ Filters: [{ Key: 'description', Values: ['hunter2'] }] })
      expect(full.json.SecretList.map((e: { Name: string }) => e.Name)).toEqual([inside])
      expect(full.json.SecretList[0].Description).toBe('hunter2 inside')
    })
    it('BatchGetSecretValue by filters needs list as well as read', async () => {
      const body = { Filters: [{ Key: 'name', Values: [inside] }] }
      expectServiceError(
        await list(body, reader, 'BatchGetSecretValue'),
        'AccessDeniedException',
        400
      )
      const ok = await list(body, key, 'BatchGetSecretValue')
      expect(ok.json.SecretValues.map((v: { Name: string }) => v.Name)).toEqual([inside])
      expectServiceError(
        await list({ ...body, MaxResults: 21 }, key, 'BatchGetSecretValue'),
        'ValidationException',
        400
      )
    })
  })

  it('passes Secrets Manager errors through with its own type and status', async () => {
    expectServiceError(
      await call({ body: JSON.stringify({ SecretId: 'proto/missing' }) }),
      'ResourceNotFoundException',
      400,
      /can't find the specified secret/
    )
    expectServiceError(
      await call({
        target: 'CreateSecret',
        body: JSON.stringify({ Name: inside, SecretString: 'x' }),
      }),
      'ResourceExistsException',
      400
    )
  })

  describe('none of the escape attempts works', () => {
    const ids = () => [
      outside,
      outsideArn,
      `proto/../${outside}`,
      `proto/./../${outside}`,
      'proto//x',
      'proto/',
      '/proto/app',
      `${inside}\u0000`,
      'proto/app\u00e9',
      'PROTO/app',
      `arn:aws:secretsmanager:${REGION}:999999999999:secret:proto/app`,
      `arn:aws:secretsmanager:eu-west-1:${ACCOUNT_ID}:secret:proto/app`,
      `arn:aws-cn:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:proto/app`,
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:${outside}`,
      `${outsideArn.slice(0, -7)}`,
    ]
    it.each(['GetSecretValue', 'DescribeSecret', 'PutSecretValue', 'UpdateSecret'])(
      '%s',
      async (target) => {
        for (const SecretId of ids()) {
          const body: Record<string, unknown> = { SecretId }
          if (target === 'PutSecretValue') body.SecretString = 'overwritten'
          if (target === 'UpdateSecret') body.Description = 'overwritten'
          const sent = await call({ target, body: JSON.stringify(body) })
          expect([400, 404], SecretId).toContain(sent.status)
          expect([
            'AccessDeniedException',
            'ValidationException',
            'ResourceNotFoundException',
          ]).toContain(sent.json?.__type)
          expect(sent.text).not.toContain('outside-value')
        }
        const still = await clientBehindWorker(h).getSecretValue({ SecretId: outside })
        expect(still.SecretString).toBe('outside-value')
        expect(
          (await clientBehindWorker(h).describeSecret({ SecretId: outside })).Description
        ).toBeUndefined()
      }
    )
    it('CreateSecret outside the grant or with a non-canonical name', async () => {
      for (const Name of [uniqueName('proto-other/new'), 'proto/../x', 'proto//x', outsideArn]) {
        const sent = await call({
          target: 'CreateSecret',
          body: JSON.stringify({ Name, SecretString: 'v' }),
        })
        expect(sent.status).toBe(400)
        expect(['AccessDeniedException', 'ValidationException']).toContain(sent.json?.__type)
      }
    })
  })

  it('counts against the rate limit and answers ThrottlingException (400) over it', async () => {
    const limited = await createHarness({
      grants: [
        {
          name: 'limited',
          accessKeyIds: [key.accessKeyId],
          actions: ['read'],
          secrets: ['proto/*'],
        },
      ],
      env: { ACCESS_KEY_MASTER: MASTER_1, READ_LIMITER: env.TEST_LIMITER },
      emulator: h.emulator,
    })
    const statuses: Sent[] = []
    for (let i = 0; i < 5; i++) statuses.push(await call({ harness: limited }))
    const throttled = statuses.filter((s) => s.json?.__type === 'ThrottlingException')
    expect(throttled.length).toBeGreaterThan(0)
    for (const sent of throttled)
      expectServiceError(sent, 'ThrottlingException', 400, /Rate exceeded/)
  })

  it('answers CORS preflights for configured origins with the SDK headers', async () => {
    const preflight = (origin: string) =>
      h.send('/', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers':
            'authorization,content-type,x-amz-date,x-amz-target,x-amz-user-agent,amz-sdk-invocation-id,amz-sdk-request',
        },
      })
    const allowed = await preflight('chrome-extension://abc')
    expect(allowed.status).toBe(204)
    expect(allowed.headers.get('access-control-allow-origin')).toBe('chrome-extension://abc')
    const allowHeaders = (allowed.headers.get('access-control-allow-headers') ?? '').toLowerCase()
    for (const header of ['authorization', 'x-amz-date', 'x-amz-target', 'amz-sdk-invocation-id']) {
      expect(allowHeaders).toContain(header)
    }
    const refused = await preflight('https://evil.example')
    expect(refused.headers.get('access-control-allow-origin')).toBeNull()
    const sent = await call({
      change: (r) => withHeaders(r, (hs) => hs.set('origin', 'chrome-extension://abc')),
    })
    expect(sent.status).toBe(200)
    expect(sent.headers.get('access-control-expose-headers')?.toLowerCase()).toContain(
      'x-amzn-requestid'
    )
  })
})
