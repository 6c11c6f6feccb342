// The drop-in read routes of the AWS Secrets Manager Agent, inside workerd, through the harness.
// The Agent's answer (aws/aws-secretsmanager-agent, aws_secretsmanager_caching/src/output.rs) is
// GetSecretValueOutputDef serialized by serde: members in declaration order, SecretString or
// SecretBinary (the other skipped), SecretBinary as base64, and CreatedDate as
// serde_with's TimestampSecondsWithFrac<String>: Rust's f64 Display of the epoch seconds
// ("1569534789.046", and "1569534789" for a whole second).
import { beforeAll, describe, expect, it } from 'vitest'
import { toBase64 } from '../../../src/client/serde.js'
import { createEmulator } from '../../../src/emulator/index.js'
import type { RequestLog } from '../../../src/worker/index.js'
import {
  ACCOUNT_ID,
  clientBehindWorker,
  createHarness,
  type Harness,
  type Sent,
  testToken,
  uniqueName,
} from './harness.js'

const UNLIMITED = { limit: async () => ({ success: true }) }
const WHOLE_SECOND_MS = Math.floor(Date.now() / 1000) * 1000
// The upstream's clock, frozen; a test may move it and puts it back.
let clockMs = WHOLE_SECOND_MS + 46

function expectError(res: Sent, status: number, type: string): void {
  expect({ status: res.status, type: res.json?.__type }).toEqual({ status, type })
  expect(Object.keys(res.json)).toEqual(['__type', 'message'])
  expect(res.headers.get('cache-control')).toBe('no-store')
  expect(res.text).not.toContain('    at ')
}

describe('Secrets Manager Agent routes', () => {
  let h: Harness
  let token: string
  beforeAll(async () => {
    token = testToken('agent')
    h = await createHarness({
      grants: [{ name: 'agent', token, actions: ['read', 'write'], secrets: ['ag/*'] }],
      // Memory only: a forced refresh then does not wait out KV's one write per key per second.
      env: { READ_LIMITER: UNLIMITED, WRITE_LIMITER: UNLIMITED, CACHE_ENCRYPTION_KEY: '' },
      emulator: createEmulator({ accountId: ACCOUNT_ID, now: () => clockMs }),
    })
  })

  /** GET /secretsmanager/get with the token in the Agent's own header. */
  function get(query: string, headers: Record<string, string> = {}): Promise<Sent> {
    return h.send(`/secretsmanager/get?${query}`, {
      headers: { 'x-aws-parameters-secrets-token': token, ...headers },
    })
  }

  async function create(name: string, body: Record<string, unknown>): Promise<Sent> {
    const res = await h.send('/v1/secrets', {
      method: 'POST',
      body: JSON.stringify({ Name: name, ...body }),
      token,
    })
    expect(res.status).toBe(201)
    return res
  }

  describe('GET /secretsmanager/get', () => {
    it("answers the Agent's JSON exactly: its member order and CreatedDate as a string", async () => {
      const name = uniqueName('ag/string')
      const value = `agent-${crypto.randomUUID()}`
      const created = await create(name, { SecretString: value })
      const res = await get(`secretId=${encodeURIComponent(name)}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(res.text).toBe(
        JSON.stringify({
          ARN: created.json.ARN,
          Name: name,
          VersionId: created.json.VersionId,
          SecretString: value,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: `${WHOLE_SECOND_MS / 1000}.046`,
        })
      )
    })

    it('writes SecretBinary as base64 in its place, and a whole second without a fraction', async () => {
      const name = uniqueName('ag/binary')
      const raw = Uint8Array.from({ length: 100 }, (_, i) => 255 - i)
      clockMs = WHOLE_SECOND_MS
      try {
        await create(name, { SecretBinary: toBase64(raw) })
      } finally {
        clockMs = WHOLE_SECOND_MS + 46
      }
      const res = await get(`secretId=${name}`)
      expect(res.status).toBe(200)
      expect(Object.keys(res.json)).toEqual([
        'ARN',
        'Name',
        'VersionId',
        'SecretBinary',
        'VersionStages',
        'CreatedDate',
      ])
      expect(res.json.SecretBinary).toBe(toBase64(raw))
      expect(res.json.CreatedDate).toBe(String(WHOLE_SECOND_MS / 1000))
      expect(res.json.CreatedDate).toMatch(/^\d+$/)
    })

    it('reads by versionId and versionStage', async () => {
      const name = uniqueName('ag/versions')
      const firstId = crypto.randomUUID()
      await create(name, { SecretString: 'first', ClientRequestToken: firstId })
      await h.send(`/v1/secrets/${name}`, {
        method: 'PUT',
        body: JSON.stringify({ SecretString: 'second' }),
        token,
      })
      expect((await get(`secretId=${name}`)).json.SecretString).toBe('second')
      const previous = await get(`secretId=${name}&versionStage=AWSPREVIOUS`)
      expect(previous.json).toMatchObject({
        SecretString: 'first',
        VersionId: firstId,
        VersionStages: ['AWSPREVIOUS'],
      })
      const byId = await get(`secretId=${name}&versionId=${firstId}`)
      expect(byId.json).toMatchObject({ SecretString: 'first', VersionId: firstId })
    })

    it('reads by full ARN', async () => {
      const name = uniqueName('ag/arn')
      const created = await create(name, { SecretString: 'by-arn' })
      const res = await get(`secretId=${encodeURIComponent(created.json.ARN)}`)
      expect(res.status).toBe(200)
      expect(res.json).toMatchObject({ ARN: created.json.ARN, Name: name, SecretString: 'by-arn' })
    })

    it('takes the token in Authorization: Bearer as well', async () => {
      const name = uniqueName('ag/bearer')
      await create(name, { SecretString: 'bearer' })
      const res = await h.send(`/secretsmanager/get?secretId=${name}`, { token })
      expect(res.status).toBe(200)
      expect(res.json.SecretString).toBe('bearer')
    })

    it('refuses a request without a token or with a wrong one', async () => {
      const name = uniqueName('ag/token')
      expectError(
        await h.send(`/secretsmanager/get?secretId=${name}`),
        401,
        'MissingAuthenticationTokenException'
      )
      expectError(
        await get(`secretId=${name}`, { 'x-aws-parameters-secrets-token': testToken('wrong') }),
        401,
        'InvalidTokenException'
      )
    })

    it.each([
      ['true', true],
      ['TRUE', true],
      ['True', true],
      ['1', true],
      ['false', false],
      ['FALSE', false],
      ['fAlSe', false],
      ['0', false],
    ])('takes refreshNow=%s', async (refreshNow, refreshes) => {
      const name = uniqueName('ag/refresh')
      await create(name, { SecretString: 'v' })
      await get(`secretId=${name}`)
      const calls = h.upstreamCalls('GetSecretValue')
      const res = await get(`secretId=${name}&refreshNow=${refreshNow}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('x-edge-secrets-cache')).toBe(refreshes ? 'upstream' : 'memory')
      expect(h.upstreamCalls('GetSecretValue')).toBe(calls + (refreshes ? 1 : 0))
    })

    it('answers a refreshed value changed since it was cached', async () => {
      const name = uniqueName('ag/changed')
      await create(name, { SecretString: 'old' })
      await get(`secretId=${name}`)
      await clientBehindWorker(h).putSecretValue({ SecretId: name, SecretString: 'new' })
      expect((await get(`secretId=${name}`)).json.SecretString).toBe('old')
      expect((await get(`secretId=${name}&refreshNow=1`)).json.SecretString).toBe('new')
    })

    it.each(['yes', '2', '', 'truee', 'on'])('refuses refreshNow=%s with 400', async (value) => {
      const calls = h.upstreamCalls()
      const res = await get(`secretId=ag/x&refreshNow=${value}`)
      expectError(res, 400, 'ValidationException')
      expect(res.json.message).toBe('invalid refreshNow value')
      expect(h.upstreamCalls()).toBe(calls)
    })

    it.each(['', 'secretId=', 'versionStage=AWSCURRENT'])(
      'refuses a missing secretId (?%s) with 400',
      async (query) => {
        const res = await get(query)
        expectError(res, 400, 'ValidationException')
        expect(res.json.message).toBe('missing parameter secretId')
      }
    )

    it.each(['secretid=ag/x', 'secretId=ag/x&SecretId=ag/x', 'secretId=ag/x&refresh=true'])(
      'refuses an unknown parameter (?%s) with 400',
      async (query) => {
        const calls = h.upstreamCalls()
        expectError(await get(query), 400, 'ValidationException')
        expect(h.upstreamCalls()).toBe(calls)
      }
    )

    it('decodes secretId once: %2F is a slash, %252F no name', async () => {
      const name = uniqueName('ag/decode')
      await create(name, { SecretString: 'decoded' })
      expect((await get(`secretId=${name.replaceAll('/', '%2F')}`)).json.Name).toBe(name)
      expectError(
        await get(`secretId=${name.replaceAll('/', '%252F')}`),
        400,
        'ValidationException'
      )
    })

    it('answers 404 ResourceNotFoundException for a secret that does not exist', async () => {
      expectError(await get(`secretId=${uniqueName('ag/none')}`), 404, 'ResourceNotFoundException')
    })

    it('refuses a secret outside the grant with 403', async () => {
      expectError(await get('secretId=other/secret'), 403, 'AccessDeniedException')
    })

    it.each(['POST', 'PUT', 'PATCH', 'DELETE'])(
      'answers %s with 405 and Allow: GET',
      async (method) => {
        const res = await h.send('/secretsmanager/get?secretId=ag/x', {
          method,
          headers: { 'x-aws-parameters-secrets-token': token },
          body: '{}',
        })
        expectError(res, 405, 'MethodNotAllowedException')
        expect(res.headers.get('allow')).toBe('GET')
      }
    )

    it('logs one line with grant, action, secret id, status and cache outcome', async () => {
      const name = uniqueName('ag/log')
      await create(name, { SecretString: 'logged-agent-value' })
      const before = h.logs.length
      await get(`secretId=${name}`)
      await get(`secretId=${name}`)
      const lines = h.logs.slice(before) as RequestLog[]
      expect(lines).toHaveLength(2)
      expect(lines[0]).toMatchObject({
        path: '/secretsmanager/get',
        grant: h.grantName('agent'),
        action: 'read',
        secretId: name,
        status: 200,
        cache: 'upstream',
        upstreamMs: expect.any(Number),
      })
      expect(lines[1]).toMatchObject({ secretId: name, status: 200, cache: 'memory' })
      expect(lines[1]).not.toHaveProperty('upstreamMs')
      const logged = JSON.stringify(lines)
      expect(logged).not.toContain('logged-agent-value')
      expect(logged).not.toContain(token)
    })
  })

  describe('GET /ping', () => {
    it('answers 200 healthy without a token', async () => {
      const res = await h.send('/ping')
      expect(res.status).toBe(200)
      expect(res.text).toBe('healthy')
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
      expect(res.headers.get('cache-control')).toBe('no-store')
    })

    it('answers healthy whatever token is sent, and reaches no upstream', async () => {
      const calls = h.upstreamCalls()
      const res = await h.send('/ping', { token: testToken('ignored') })
      expect({ status: res.status, text: res.text }).toEqual({ status: 200, text: 'healthy' })
      expect(h.upstreamCalls()).toBe(calls)
    })
  })
})
