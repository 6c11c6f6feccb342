// The official JavaScript SDK (@aws-sdk/client-secrets-manager, its browser build with its own
// FetchHttpHandler) pointed at the worker's POST / inside workerd, with worker-issued keys. The
// global fetch routes the SDK's requests to the app (worker.test) or straight to the upstream
// emulator (emulator.test, for what the worker refuses to show, like the version list).

import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  paginateListSecrets,
  RestoreSecretCommand,
  SecretsManagerClient as SdkClient,
  SecretsManagerServiceException,
  TagResourceCommand,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAccessKey, createMasterKey, parseMasterKeys } from '../../../src/worker/keys.js'
import { clientBehindWorker, createHarness, type Harness, REGION, uniqueName } from './harness.js'

const MASTER = createMasterKey(1)
const ALL = ['read', 'write', 'delete', 'list', 'random-password'] as const
type Key = { accessKeyId: string; secretAccessKey: string }

let h: Harness
let full: Key
let readOnly: Key
let expired: Key
// Set by a test to lose the worker's answer to one request after the worker has handled it.
let dropNext: ((request: Request) => boolean) | undefined
const seen: string[] = []

beforeAll(async () => {
  const master = parseMasterKeys(MASTER)
  full = await createAccessKey(master)
  readOnly = await createAccessKey(master)
  expired = await createAccessKey(master)
  h = await createHarness({
    grants: [
      { name: 'sdk', accessKeyIds: [full.accessKeyId], actions: [...ALL], secrets: ['sdk/*'] },
      {
        name: 'reader',
        accessKeyIds: [readOnly.accessKeyId],
        actions: ['read'],
        secrets: ['sdk/*'],
      },
      {
        name: 'old',
        accessKeyIds: [expired.accessKeyId],
        actions: ['read'],
        secrets: ['sdk/*'],
        expiresAt: '2020-01-01T00:00:00Z',
      },
    ],
    env: { ACCESS_KEY_MASTER: MASTER },
  })
})

beforeEach(() => {
  dropNext = undefined
  seen.length = 0
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    const { host } = new URL(request.url)
    if (host === 'emulator.test') return h.emulator.fetch(request)
    if (host !== 'worker.test') throw new TypeError(`no route to ${host}`)
    seen.push(request.headers.get('x-amz-target') ?? '')
    const drop = dropNext?.(request.clone()) ?? false
    const ctx = createExecutionContext()
    const response = await h.app.fetch(request, h.env, ctx)
    const body = await response.arrayBuffer()
    await waitOnExecutionContext(ctx)
    const answer = () => new Response(body, { status: response.status, headers: response.headers })
    if (drop) {
      // Lost on the way back: the worker did the work, the SDK hears nothing and times out.
      dropNext = undefined
      return new Promise<Response>((resolve) => setTimeout(() => resolve(answer()), 2 * TIMEOUT_MS))
    }
    return answer()
  })
})
afterEach(() => vi.unstubAllGlobals())

// The SDK's time limit per attempt, so that a lost response is retried.
const TIMEOUT_MS = 1_000
const sdk = (credentials: Key = full, endpoint = 'https://worker.test') =>
  new SdkClient({
    region: REGION,
    endpoint,
    credentials,
    maxAttempts: 3,
    requestHandler: { requestTimeout: TIMEOUT_MS },
  })
const direct = () =>
  sdk({ accessKeyId: 'AKIDDIRECT', secretAccessKey: 'direct' }, 'http://emulator.test')

// Every version id of a secret, asked of the upstream itself.
async function versionsOf(name: string): Promise<string[]> {
  const described = await direct().send(new DescribeSecretCommand({ SecretId: name }))
  return Object.keys(described.VersionIdsToStages ?? {})
}

async function failure(promise: Promise<unknown>): Promise<SecretsManagerServiceException> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(SecretsManagerServiceException)
  return error as SecretsManagerServiceException
}

describe('the official JavaScript SDK through the worker', () => {
  it('runs every granted operation, string and binary', async () => {
    const client = sdk()
    const name = uniqueName('sdk/app')
    const created = await client.send(new CreateSecretCommand({ Name: name, SecretString: 's1' }))
    expect(created.Name).toBe(name)
    expect(created.ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:${REGION}:\\d{12}:secret:`))

    const read = await client.send(new GetSecretValueCommand({ SecretId: name }))
    expect(read).toMatchObject({ Name: name, SecretString: 's1', VersionStages: ['AWSCURRENT'] })
    expect(read.CreatedDate).toBeInstanceOf(Date)
    // By full ARN too, as the service resolves it.
    const byArn = await client.send(new GetSecretValueCommand({ SecretId: created.ARN }))
    expect(byArn.SecretString).toBe('s1')

    const bytes = new Uint8Array([0, 1, 2, 250, 255, 10, 13])
    const put = await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretBinary: bytes })
    )
    expect(put.VersionStages).toEqual(['AWSCURRENT'])
    const binary = await client.send(new GetSecretValueCommand({ SecretId: name }))
    expect(binary.SecretBinary).toEqual(bytes)
    expect(binary.SecretString).toBeUndefined()

    await client.send(new UpdateSecretCommand({ SecretId: name, Description: 'via the SDK' }))
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }))
    expect(described).toMatchObject({ Name: name, Description: 'via the SDK' })
    expect(described.LastChangedDate).toBeInstanceOf(Date)

    const batch = await client.send(new BatchGetSecretValueCommand({ SecretIdList: [name] }))
    expect(batch.SecretValues?.map((v) => [v.Name, v.SecretBinary])).toEqual([[name, bytes]])
    expect(batch.Errors).toEqual([])

    const listed = await client.send(
      new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [name] }] })
    )
    expect(listed.SecretList?.map((s) => s.Name)).toEqual([name])
    expect(listed.SecretList?.[0]?.Description).toBe('via the SDK')

    const deleted = await client.send(
      new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 })
    )
    expect(deleted.DeletionDate).toBeInstanceOf(Date)
    const gone = await failure(client.send(new GetSecretValueCommand({ SecretId: name })))
    expect(gone.name).toBe('InvalidRequestException')
    await client.send(new RestoreSecretCommand({ SecretId: name }))
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretBinary).toEqual(
      bytes
    )

    const password = await client.send(new GetRandomPasswordCommand({ PasswordLength: 24 }))
    expect(password.RandomPassword).toHaveLength(24)
  })

  it('serves repeated reads from the cache', async () => {
    const name = uniqueName('sdk/cached')
    await clientBehindWorker(h).createSecret({ Name: name, SecretString: 'cached' })
    const before = h.upstreamCalls('GetSecretValue')
    for (let i = 0; i < 3; i++) {
      const read = await sdk().send(new GetSecretValueCommand({ SecretId: name }))
      expect(read.SecretString).toBe('cached')
    }
    expect(h.upstreamCalls('GetSecretValue') - before).toBe(1)
  })

  it('gets a typed AccessDeniedException (HTTP 400) outside the grant, for an action the grant lacks and for an operation never served', async () => {
    const outside = uniqueName('other/app')
    await clientBehindWorker(h).createSecret({ Name: outside, SecretString: 'not yours' })
    const cases = [
      () => sdk().send(new GetSecretValueCommand({ SecretId: outside })),
      () => sdk().send(new CreateSecretCommand({ Name: outside, SecretString: 'x' })),
      () => sdk(readOnly).send(new PutSecretValueCommand({ SecretId: 'sdk/x', SecretString: 'x' })),
      () => sdk(readOnly).send(new ListSecretsCommand({})),
      () => sdk(readOnly).send(new CreateSecretCommand({ Name: 'sdk/new-one', SecretString: 'x' })),
      () =>
        sdk().send(new TagResourceCommand({ SecretId: 'sdk/x', Tags: [{ Key: 'a', Value: 'b' }] })),
    ]
    for (const call of cases) {
      const error = await failure(call())
      expect(error.name).toBe('AccessDeniedException')
      expect(error.$metadata.httpStatusCode).toBe(400)
      expect(error.$fault).toBe('client')
      expect(JSON.stringify(error)).not.toContain('not yours')
    }
  })

  it('refuses an unknown key, a wrong secret and an expired grant as the service does', async () => {
    const unknown = await failure(
      sdk({ accessKeyId: 'ESKA01AAAAAAAAAAAAAAAA', secretAccessKey: full.secretAccessKey }).send(
        new GetSecretValueCommand({ SecretId: 'sdk/x' })
      )
    )
    expect(unknown.name).toBe('UnrecognizedClientException')
    const wrong = await failure(
      sdk({ accessKeyId: full.accessKeyId, secretAccessKey: readOnly.secretAccessKey }).send(
        new GetSecretValueCommand({ SecretId: 'sdk/x' })
      )
    )
    expect(wrong.name).toBe('InvalidSignatureException')
    const old = await failure(sdk(expired).send(new GetSecretValueCommand({ SecretId: 'sdk/x' })))
    expect(old.name).toBe('ExpiredTokenException')
  })

  it('keeps its retries idempotent through a response lost between the worker and the SDK', async () => {
    const name = uniqueName('sdk/retry')
    const created = await sdk().send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }))
    dropNext = (request) => request.headers.get('x-amz-target') === 'secretsmanager.PutSecretValue'
    const put = await sdk().send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2' }))
    expect(seen.filter((t) => t === 'secretsmanager.PutSecretValue')).toHaveLength(2)
    // The first version and one for v2: the retry carried the same ClientRequestToken (a
    // duplicate would have pushed the first version out of its AWSPREVIOUS label).
    expect(await versionsOf(name)).toEqual(
      expect.arrayContaining([put.VersionId, created.VersionId])
    )
    expect(await versionsOf(name)).toHaveLength(2)
    expect((await sdk().send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe(
      'v2'
    )
  })

  it('keeps them idempotent through a response lost between Secrets Manager and the worker', async () => {
    const name = uniqueName('sdk/retry-up')
    const created = await sdk().send(new CreateSecretCommand({ Name: name, SecretString: 'v1' }))
    h.emulator.injectFault({ kind: 'drop-response', operations: ['PutSecretValue'] })
    const put = await sdk().send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2' }))
    expect(await versionsOf(name)).toEqual(
      expect.arrayContaining([put.VersionId, created.VersionId])
    )
    expect(await versionsOf(name)).toHaveLength(2)
  })

  it('answers BatchGetSecretValue with mixed ids: values inside the grant, Errors for the rest', async () => {
    const mine = uniqueName('sdk/batch')
    const theirs = uniqueName('other/batch')
    await clientBehindWorker(h).createSecret({ Name: mine, SecretString: 'mine' })
    await clientBehindWorker(h).createSecret({ Name: theirs, SecretString: 'theirs' })
    const batch = await sdk().send(
      new BatchGetSecretValueCommand({ SecretIdList: [mine, theirs, 'sdk/missing-one'] })
    )
    expect(batch.SecretValues?.map((v) => v.Name)).toEqual([mine])
    expect(
      batch.Errors?.map((e) => [e.SecretId, e.ErrorCode]).sort((a, b) =>
        String(a[0]).localeCompare(String(b[0]))
      )
    ).toEqual(
      [
        [theirs, 'AccessDeniedException'],
        ['sdk/missing-one', 'ResourceNotFoundException'],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0])))
    )
    expect(JSON.stringify(batch)).not.toContain('theirs"')
    expect(JSON.stringify(batch)).not.toMatch(/"SecretString":"theirs"/)
  })

  it('lists only names inside the grant over several pages, by filters in a batch too', async () => {
    const prefix = uniqueName('sdk/pages')
    const otherPrefix = uniqueName('other/pages')
    const behind = clientBehindWorker(h)
    for (let i = 0; i < 5; i++) {
      await behind.createSecret({ Name: `${prefix}/${i}`, SecretString: `in-${i}` })
      await behind.createSecret({ Name: `${otherPrefix}/${i}`, SecretString: `out-${i}` })
    }
    const names: string[] = []
    let pages = 0
    for await (const page of paginateListSecrets({ client: sdk(), pageSize: 2 }, {})) {
      pages++
      for (const entry of page.SecretList ?? []) names.push(entry.Name as string)
    }
    expect(pages).toBeGreaterThan(2)
    expect(names.every((n) => n.startsWith('sdk/'))).toBe(true)
    for (let i = 0; i < 5; i++) expect(names).toContain(`${prefix}/${i}`)

    // A read-only grant lists nothing; BatchGetSecretValue by filters needs list as well.
    const byFilter = await sdk().send(
      new BatchGetSecretValueCommand({ Filters: [{ Key: 'name', Values: [otherPrefix, prefix] }] })
    )
    expect(byFilter.SecretValues?.map((v) => v.SecretString).sort()).toEqual(
      [0, 1, 2, 3, 4].map((i) => `in-${i}`)
    )
  })
})
