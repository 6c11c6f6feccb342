// Every REST route of the worker and every error it answers with, inside workerd, through the
// harness: one grant that may do everything on `rt/*`, an emulator upstream on a frozen clock
// (so timestamps are exact) and rate limiters that always let requests through (the 429 tests
// live elsewhere; here a describe sends far more writes than WRITE_LIMITER allows).
import { beforeAll, describe, expect, it } from 'vitest'
import { toBase64 } from '../../../src/client/serde.js'
import { createEmulator } from '../../../src/emulator/index.js'
import { GRANT_ACTIONS, type RequestLog } from '../../../src/worker/index.js'
import {
  ACCOUNT_ID,
  clientBehindWorker,
  createHarness,
  type Harness,
  REGION,
  type Sent,
  testToken,
  uniqueName,
} from './harness.js'

// The upstream's clock: whole seconds plus 46 ms, so epoch seconds have a fraction.
const NOW_MS = Math.floor(Date.now() / 1000) * 1000 + 46
const NOW_SECONDS = NOW_MS / 1000
const DAY_SECONDS = 86_400
const UNLIMITED = { limit: async () => ({ success: true }) }
const ORIGIN = 'chrome-extension://routesroutesroutesroutesroutesro'
const MAX_BODY_BYTES = 131_072
const STACK_LINE = '    at '

interface Setup {
  h: Harness
  token: string
}

async function setup(mountPath?: string): Promise<Setup> {
  const token = testToken('routes')
  const h = await createHarness({
    grants: [{ name: 'all', token, actions: [...GRANT_ACTIONS], secrets: ['rt/*'] }],
    env: { READ_LIMITER: UNLIMITED, WRITE_LIMITER: UNLIMITED },
    options: { corsOrigins: [ORIGIN] },
    emulator: createEmulator({ accountId: ACCOUNT_ID, now: () => NOW_MS }),
    ...(mountPath === undefined ? {} : { mountPath }),
  })
  return { h, token }
}

/** A value no other test uses, to search responses and logs for. */
function secretValue(label = 'value'): string {
  return `${label}-${crypto.randomUUID()}`
}

/** A ClientRequestToken (32-64 characters). */
function requestToken(): string {
  return crypto.randomUUID()
}

function json(body: unknown, method = 'POST'): RequestInit {
  return { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
}

/** Checks an error answer: its status, exactly `{ __type, message }`, no-store, no stack. */
function expectError(res: Sent, status: number, type: string, ...secrets: string[]): void {
  expect({ status: res.status, type: res.json?.__type }).toEqual({ status, type })
  expect(Object.keys(res.json)).toEqual(['__type', 'message'])
  expect(typeof res.json.message).toBe('string')
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  expect(res.headers.get('cache-control')).toBe('no-store')
  expect(res.text).not.toContain(STACK_LINE)
  for (const secret of secrets) expect(res.text).not.toContain(secret)
}

function requestLogs(h: Harness): RequestLog[] {
  return h.logs.filter((line): line is RequestLog => 'requestId' in line)
}

function bytes(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 37 + 11) % 256)
}

describe('worker REST routes', () => {
  let h: Harness
  let token: string
  beforeAll(async () => {
    ;({ h, token } = await setup())
  })

  async function create(name: string, body: Record<string, unknown> = {}): Promise<Sent> {
    const res = await h.send('/v1/secrets', {
      ...json({ Name: name, SecretString: secretValue(), ...body }),
      token,
    })
    expect(res.status).toBe(201)
    return res
  }

  describe('GET /v1/secrets/{id}', () => {
    it('answers the current value with epoch-second timestamps', async () => {
      const name = uniqueName('rt/get')
      const value = secretValue()
      const created = await create(name, { SecretString: value })
      const res = await h.send(`/v1/secrets/${name}`, { token })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(res.headers.get('x-edge-secrets-cache')).toBe('upstream')
      expect(res.json).toEqual({
        ARN: created.json.ARN,
        Name: name,
        VersionId: created.json.VersionId,
        SecretString: value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: NOW_SECONDS,
      })
      expect(res.json.ARN).toMatch(
        new RegExp(`^arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:${name}-[A-Za-z0-9]{6}$`)
      )
    })

    it('reads a version by versionId or versionStage', async () => {
      const name = uniqueName('rt/versions')
      const first = secretValue('first')
      const second = secretValue('second')
      const firstId = requestToken()
      await create(name, { SecretString: first, ClientRequestToken: firstId })
      const put = await h.send(`/v1/secrets/${name}`, {
        ...json({ SecretString: second }, 'PUT'),
        token,
      })
      expect(put.status).toBe(200)
      const current = await h.send(`/v1/secrets/${name}`, { token })
      expect(current.json.SecretString).toBe(second)
      const previous = await h.send(`/v1/secrets/${name}?versionStage=AWSPREVIOUS`, { token })
      expect(previous.json).toMatchObject({
        SecretString: first,
        VersionId: firstId,
        VersionStages: ['AWSPREVIOUS'],
      })
      const byId = await h.send(`/v1/secrets/${name}?versionId=${firstId}`, { token })
      expect(byId.json).toMatchObject({ SecretString: first, VersionId: firstId })
      const secondById = await h.send(`/v1/secrets/${name}?versionId=${put.json.VersionId}`, {
        token,
      })
      expect(secondById.json.SecretString).toBe(second)
    })

    it('serves a repeated read from memory, and refresh=true from upstream', async () => {
      const name = uniqueName('rt/refresh')
      const before = secretValue('before')
      const after = secretValue('after')
      await create(name, { SecretString: before })
      await h.send(`/v1/secrets/${name}`, { token })
      const calls = h.upstreamCalls('GetSecretValue')
      // Changed behind the worker's back: the cache does not know.
      await clientBehindWorker(h).putSecretValue({ SecretId: name, SecretString: after })
      const cached = await h.send(`/v1/secrets/${name}?refresh=false`, { token })
      expect(cached.headers.get('x-edge-secrets-cache')).toBe('memory')
      expect(cached.json.SecretString).toBe(before)
      expect(h.upstreamCalls('GetSecretValue')).toBe(calls)
      const refreshed = await h.send(`/v1/secrets/${name}?refresh=true`, { token })
      expect(refreshed.status).toBe(200)
      expect(refreshed.headers.get('x-edge-secrets-cache')).toBe('upstream')
      expect(refreshed.json.SecretString).toBe(after)
      expect(h.upstreamCalls('GetSecretValue')).toBe(calls + 1)
      const next = await h.send(`/v1/secrets/${name}`, { token })
      expect(next.json.SecretString).toBe(after)
    })

    it.each(['yes', '1', 'TRUE', ''])('refuses refresh=%s', async (value) => {
      const res = await h.send(`/v1/secrets/rt/any?refresh=${value}`, { token })
      expectError(res, 400, 'ValidationException')
    })

    it('takes the id from the rest of the path, with / and %2F decoded once', async () => {
      const name = uniqueName('rt/deep/er')
      const value = secretValue()
      await create(name, { SecretString: value })
      const encoded = encodeURIComponent(name)
      expect(encoded).toContain('%2F')
      for (const path of [
        name,
        encoded,
        encoded.replaceAll('%2F', '%2f'),
        name.replace('/', '%2F'),
      ]) {
        const res = await h.send(`/v1/secrets/${path}`, { token })
        expect({ path, status: res.status, name: res.json.Name }).toEqual({
          path,
          status: 200,
          name,
        })
        expect(res.json.SecretString).toBe(value)
      }
    })

    it('refuses a double-encoded %252F (decoded once, it is no name) without calling upstream', async () => {
      const name = uniqueName('rt/double')
      await create(name)
      const calls = h.upstreamCalls()
      const res = await h.send(`/v1/secrets/${name.replaceAll('/', '%252F')}`, { token })
      expectError(res, 400, 'ValidationException')
      const partly = await h.send(`/v1/secrets/rt/${name.slice(3).replaceAll('/', '%252F')}`, {
        token,
      })
      expectError(partly, 400, 'ValidationException')
      const broken = await h.send('/v1/secrets/rt/%E0%A4%A', { token })
      expectError(broken, 400, 'ValidationException')
      expect(h.upstreamCalls()).toBe(calls)
    })
  })

  describe('POST /v1/secrets', () => {
    it('creates a secret: 201 with ARN, Name and VersionId', async () => {
      const name = uniqueName('rt/create')
      const res = await h.send('/v1/secrets', {
        ...json({ Name: name, SecretString: secretValue(), Description: 'made by a test' }),
        token,
      })
      expect(res.status).toBe(201)
      expect(Object.keys(res.json).sort()).toEqual(['ARN', 'Name', 'VersionId'])
      expect(res.json.Name).toBe(name)
      expect(res.json.ARN).toMatch(new RegExp(`:secret:${name}-[A-Za-z0-9]{6}$`))
      const meta = await h.send(`/v1/metadata/${name}`, { token })
      expect(meta.json.Description).toBe('made by a test')
    })

    it('creates a secret with no value, and with Tags', async () => {
      const name = uniqueName('rt/empty')
      const res = await h.send('/v1/secrets', {
        ...json({ Name: name, Tags: [{ Key: 'team', Value: 'edge' }] }),
        token,
      })
      expect(res.status).toBe(201)
      expect(res.json.VersionId).toBeUndefined()
      const meta = await h.send(`/v1/metadata/${name}`, { token })
      expect(meta.json.Tags).toEqual([{ Key: 'team', Value: 'edge' }])
    })

    it('round-trips SecretBinary as base64 encoded exactly once', async () => {
      const name = uniqueName('rt/binary')
      const raw = bytes(300)
      const base64 = toBase64(raw)
      await create(name, { SecretString: undefined, SecretBinary: base64 })
      // Stored upstream as the bytes themselves, not as the text of their base64.
      const stored = await clientBehindWorker(h).getSecretValue({ SecretId: name })
      expect(stored.SecretBinary).toEqual(raw)
      expect(stored.SecretString).toBeUndefined()
      const res = await h.send(`/v1/secrets/${name}`, { token })
      expect(res.status).toBe(200)
      expect(res.json.SecretBinary).toBe(base64)
      expect(res.json).not.toHaveProperty('SecretString')
      expect(Uint8Array.from(atob(res.json.SecretBinary), (c) => c.charCodeAt(0))).toEqual(raw)
    })

    it('makes a retry with the same ClientRequestToken a no-op: same VersionId, one version', async () => {
      const name = uniqueName('rt/idempotent')
      const value = secretValue()
      const ClientRequestToken = requestToken()
      const body = { Name: name, SecretString: value, ClientRequestToken }
      const first = await h.send('/v1/secrets', { ...json(body), token })
      const retry = await h.send('/v1/secrets', { ...json(body), token })
      expect(first.status).toBe(201)
      expect(retry.status).toBe(201)
      expect(retry.json).toEqual(first.json)
      expect(first.json.VersionId).toBe(ClientRequestToken)
      const putBody = { SecretString: secretValue('second'), ClientRequestToken: requestToken() }
      const put = await h.send(`/v1/secrets/${name}`, { ...json(putBody, 'PUT'), token })
      const putRetry = await h.send(`/v1/secrets/${name}`, { ...json(putBody, 'PUT'), token })
      expect(putRetry.status).toBe(200)
      expect(putRetry.json.VersionId).toBe(put.json.VersionId)
      const meta = await h.send(`/v1/metadata/${name}`, { token })
      expect(meta.json.VersionIdsToStages).toEqual({
        [ClientRequestToken]: ['AWSPREVIOUS'],
        [putBody.ClientRequestToken]: ['AWSCURRENT'],
      })
    })

    it('answers 409 ResourceExistsException for a name that exists, without the value', async () => {
      const name = uniqueName('rt/exists')
      await create(name)
      const value = secretValue('again')
      const res = await h.send('/v1/secrets', {
        ...json({ Name: name, SecretString: value }),
        token,
      })
      expectError(res, 409, 'ResourceExistsException', value)
    })

    it('refuses a missing Name, and an ARN as the Name', async () => {
      const value = secretValue()
      expectError(
        await h.send('/v1/secrets', { ...json({ SecretString: value }), token }),
        400,
        'ValidationException',
        value
      )
      const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:rt/arn-name`
      expectError(
        await h.send('/v1/secrets', { ...json({ Name: arn, SecretString: value }), token }),
        400,
        'ValidationException',
        value
      )
    })
  })

  describe('PUT /v1/secrets/{id}', () => {
    it('puts a new version: AWSCURRENT moves, the old one becomes AWSPREVIOUS', async () => {
      const name = uniqueName('rt/put')
      const created = await create(name)
      const value = secretValue('new')
      const res = await h.send(`/v1/secrets/${name}`, {
        ...json({ SecretString: value }, 'PUT'),
        token,
      })
      expect(res.status).toBe(200)
      expect(res.json).toEqual({
        ARN: created.json.ARN,
        Name: name,
        VersionId: expect.any(String),
        VersionStages: ['AWSCURRENT'],
      })
      expect(res.json.VersionId).not.toBe(created.json.VersionId)
      const meta = await h.send(`/v1/metadata/${name}`, { token })
      expect(meta.json.VersionIdsToStages).toEqual({
        [created.json.VersionId]: ['AWSPREVIOUS'],
        [res.json.VersionId]: ['AWSCURRENT'],
      })
      // The write invalidated the cached read.
      expect((await h.send(`/v1/secrets/${name}`, { token })).json.SecretString).toBe(value)
    })

    it('puts a version under the VersionStages given, leaving AWSCURRENT where it was', async () => {
      const name = uniqueName('rt/stages')
      const current = secretValue('current')
      const pending = secretValue('pending')
      await create(name, { SecretString: current })
      const res = await h.send(`/v1/secrets/${name}`, {
        ...json({ SecretString: pending, VersionStages: ['AWSPENDING'] }, 'PUT'),
        token,
      })
      expect(res.status).toBe(200)
      expect(res.json.VersionStages).toEqual(['AWSPENDING'])
      expect((await h.send(`/v1/secrets/${name}`, { token })).json.SecretString).toBe(current)
      const staged = await h.send(`/v1/secrets/${name}?versionStage=AWSPENDING`, { token })
      expect(staged.json).toMatchObject({ SecretString: pending, VersionId: res.json.VersionId })
    })

    it('puts a binary version', async () => {
      const name = uniqueName('rt/put-binary')
      await create(name)
      const base64 = toBase64(bytes(64))
      const res = await h.send(`/v1/secrets/${name}`, {
        ...json({ SecretBinary: base64 }, 'PUT'),
        token,
      })
      expect(res.status).toBe(200)
      const read = await h.send(`/v1/secrets/${name}`, { token })
      expect(read.json.SecretBinary).toBe(base64)
      expect(read.json).not.toHaveProperty('SecretString')
    })

    it('answers 404 ResourceNotFoundException for a secret that does not exist', async () => {
      const value = secretValue()
      const res = await h.send(`/v1/secrets/${uniqueName('rt/missing')}`, {
        ...json({ SecretString: value }, 'PUT'),
        token,
      })
      expectError(res, 404, 'ResourceNotFoundException', value)
    })
  })

  describe('PATCH /v1/secrets/{id}', () => {
    it('updates the description without a new version', async () => {
      const name = uniqueName('rt/patch')
      const created = await create(name)
      const res = await h.send(`/v1/secrets/${name}`, {
        ...json({ Description: 'patched' }, 'PATCH'),
        token,
      })
      expect(res.status).toBe(200)
      expect(res.json).toEqual({ ARN: created.json.ARN, Name: name })
      const meta = await h.send(`/v1/metadata/${name}`, { token })
      expect(meta.json.Description).toBe('patched')
      expect(Object.keys(meta.json.VersionIdsToStages)).toEqual([created.json.VersionId])
    })

    it('updates the value: a new current version, read at once', async () => {
      const name = uniqueName('rt/patch-value')
      await create(name)
      await h.send(`/v1/secrets/${name}`, { token })
      const value = secretValue('patched')
      const res = await h.send(`/v1/secrets/${name}`, {
        ...json({ SecretString: value }, 'PATCH'),
        token,
      })
      expect(res.status).toBe(200)
      expect(res.json.VersionId).toEqual(expect.any(String))
      const read = await h.send(`/v1/secrets/${name}`, { token })
      expect(read.json).toMatchObject({ SecretString: value, VersionId: res.json.VersionId })
    })

    it('refuses VersionStages, which only PUT takes', async () => {
      const res = await h.send('/v1/secrets/rt/any', {
        ...json({ VersionStages: ['AWSCURRENT'] }, 'PATCH'),
        token,
      })
      expectError(res, 400, 'ValidationException')
      expect(res.json.message).toContain('VersionStages')
    })
  })

  describe('DELETE /v1/secrets/{id} and POST /v1/restore/{id}', () => {
    it('schedules a deletion in recoveryWindowInDays, refuses reads, and restores', async () => {
      const name = uniqueName('rt/delete')
      const value = secretValue()
      await create(name, { SecretString: value })
      await h.send(`/v1/secrets/${name}`, { token })
      const res = await h.send(`/v1/secrets/${name}?recoveryWindowInDays=7`, {
        method: 'DELETE',
        token,
      })
      expect(res.status).toBe(200)
      expect(res.json).toEqual({
        ARN: expect.stringContaining(`:secret:${name}-`),
        Name: name,
        DeletionDate: NOW_SECONDS + 7 * DAY_SECONDS,
      })
      // The cached value is gone with it.
      const read = await h.send(`/v1/secrets/${name}`, { token })
      expectError(read, 400, 'InvalidRequestException', value)
      const meta = await h.send(`/v1/metadata/${name}`, { token })
      expect(meta.json.DeletedDate).toBe(NOW_SECONDS + 7 * DAY_SECONDS)
      const restored = await h.send(`/v1/restore/${name}`, { method: 'POST', token })
      expect(restored.status).toBe(200)
      expect(restored.json).toEqual({ ARN: res.json.ARN, Name: name })
      expect((await h.send(`/v1/secrets/${name}`, { token })).json.SecretString).toBe(value)
    })

    it('schedules a deletion in 30 days by default', async () => {
      const name = uniqueName('rt/delete-default')
      await create(name)
      const res = await h.send(`/v1/secrets/${name}`, { method: 'DELETE', token })
      expect(res.status).toBe(200)
      expect(res.json.DeletionDate).toBe(NOW_SECONDS + 30 * DAY_SECONDS)
    })

    it('deletes at once with force=true: then 404', async () => {
      const name = uniqueName('rt/force')
      await create(name)
      await h.send(`/v1/secrets/${name}`, { token })
      const res = await h.send(`/v1/secrets/${name}?force=true`, { method: 'DELETE', token })
      expect(res.status).toBe(200)
      expect(res.json.DeletionDate).toBe(NOW_SECONDS)
      expectError(await h.send(`/v1/secrets/${name}`, { token }), 404, 'ResourceNotFoundException')
      expectError(
        await h.send(`/v1/restore/${name}`, { method: 'POST', token }),
        404,
        'ResourceNotFoundException'
      )
    })

    it.each([
      'force=true&recoveryWindowInDays=7',
      'recoveryWindowInDays=6',
      'recoveryWindowInDays=31',
      'recoveryWindowInDays=7.5',
      'recoveryWindowInDays=abc',
      'recoveryWindowInDays=',
      'recoveryWindowInDays=-7',
      'force=yes',
      'force=1',
      'force=true&force=true',
    ])('refuses ?%s with 400 before any upstream call', async (query) => {
      const name = uniqueName('rt/delete-bad')
      const calls = h.upstreamCalls()
      const res = await h.send(`/v1/secrets/${name}?${query}`, { method: 'DELETE', token })
      expectError(res, 400, 'ValidationException')
      expect(h.upstreamCalls()).toBe(calls)
    })

    it('answers 404 for deleting a secret that does not exist', async () => {
      const res = await h.send(`/v1/secrets/${uniqueName('rt/nothing')}`, {
        method: 'DELETE',
        token,
      })
      expectError(res, 404, 'ResourceNotFoundException')
    })
  })

  describe('GET /v1/metadata/{id}', () => {
    it('describes a secret with epoch-second timestamps and no value', async () => {
      const name = uniqueName('rt/meta')
      const value = secretValue()
      const created = await create(name, { SecretString: value, Description: 'd' })
      const res = await h.send(`/v1/metadata/${name}`, { token })
      expect(res.status).toBe(200)
      expect(res.json).toEqual({
        ARN: created.json.ARN,
        Name: name,
        Description: 'd',
        CreatedDate: NOW_SECONDS,
        LastChangedDate: NOW_SECONDS,
        VersionIdsToStages: { [created.json.VersionId]: ['AWSCURRENT'] },
      })
      expect(res.text).not.toContain(value)
    })

    it('keeps a secret literally named …/metadata readable through /v1/secrets', async () => {
      const name = `${uniqueName('rt/named')}/metadata`
      const value = secretValue()
      await create(name, { SecretString: value })
      const read = await h.send(`/v1/secrets/${name}`, { token })
      expect(read.json).toMatchObject({ Name: name, SecretString: value })
      const meta = await h.send(`/v1/metadata/${name}`, { token })
      expect(meta.json.Name).toBe(name)
      expect(meta.json).not.toHaveProperty('SecretString')
    })

    it('answers 404 ResourceNotFoundException for a secret that does not exist', async () => {
      const res = await h.send(`/v1/metadata/${uniqueName('rt/nothing')}`, { token })
      expectError(res, 404, 'ResourceNotFoundException')
    })
  })

  describe('GET /v1/secrets?prefix=', () => {
    it('lists the secrets under a prefix, without values', async () => {
      const prefix = uniqueName('rt/list')
      const names = [`${prefix}/a`, `${prefix}/b`, `${prefix}/c/d`]
      const values = [secretValue(), secretValue(), secretValue()]
      for (const [i, name] of names.entries()) await create(name, { SecretString: values[i] })
      const res = await h.send(`/v1/secrets?prefix=${encodeURIComponent(`${prefix}/`)}`, { token })
      expect(res.status).toBe(200)
      expect(res.json.NextToken).toBeUndefined()
      expect(res.json.SecretList.map((s: { Name: string }) => s.Name).sort()).toEqual(names)
      for (const entry of res.json.SecretList) {
        // Names and ARNs only: descriptions, tags and versions are DescribeSecret's (read).
        expect(Object.keys(entry).sort()).toEqual(['ARN', 'Name'])
        expect(entry.ARN).toEqual(expect.stringContaining(`:secret:${entry.Name}-`))
      }
      for (const value of values) expect(res.text).not.toContain(value)
    })

    it('pages with maxResults and nextToken', async () => {
      const prefix = uniqueName('rt/page')
      const names = [`${prefix}/1`, `${prefix}/2`, `${prefix}/3`]
      for (const name of names) await create(name)
      const query = `prefix=${encodeURIComponent(prefix)}&maxResults=2`
      const first = await h.send(`/v1/secrets?${query}`, { token })
      expect(first.status).toBe(200)
      expect(first.json.SecretList).toHaveLength(2)
      expect(first.json.NextToken).toEqual(expect.any(String))
      const second = await h.send(
        `/v1/secrets?${query}&nextToken=${encodeURIComponent(first.json.NextToken)}`,
        { token }
      )
      expect(second.status).toBe(200)
      expect(second.json.NextToken).toBeUndefined()
      const listed = [...first.json.SecretList, ...second.json.SecretList].map(
        (s: { Name: string }) => s.Name
      )
      expect(listed.sort()).toEqual(names)
    })

    it('lists only names inside the grant', async () => {
      const outside = uniqueName('other')
      await clientBehindWorker(h).createSecret({ Name: outside, SecretString: secretValue() })
      const inside = uniqueName('rt/inside')
      await create(inside)
      const res = await h.send('/v1/secrets?maxResults=100', { token })
      expect(res.status).toBe(200)
      const listed = res.json.SecretList.map((s: { Name: string }) => s.Name)
      expect(listed).toContain(inside)
      expect(listed).not.toContain(outside)
      expect(listed.every((n: string) => n.startsWith('rt/'))).toBe(true)
    })

    it.each([
      'maxResults=0',
      'maxResults=101',
      'maxResults=ten',
      'prefix=',
      'prefix=rt%2F%E2%98%83',
      'prefix=rt&prefix=rt',
      'name=rt',
    ])('refuses ?%s with 400', async (query) => {
      const calls = h.upstreamCalls()
      expectError(await h.send(`/v1/secrets?${query}`, { token }), 400, 'ValidationException')
      expect(h.upstreamCalls()).toBe(calls)
    })

    it('refuses a nextToken the upstream did not give with 400', async () => {
      const res = await h.send(`/v1/secrets?nextToken=${btoa('{"offset":1}')}`, { token })
      expectError(res, 400, 'InvalidNextTokenException')
    })
  })

  describe('POST /v1/batch-get', () => {
    it('answers each value, binary as base64, and a per-id error for a missing one', async () => {
      const text = uniqueName('rt/batch')
      const binary = uniqueName('rt/batch')
      const missing = uniqueName('rt/batch')
      const value = secretValue()
      const base64 = toBase64(bytes(40))
      await create(text, { SecretString: value })
      await create(binary, { SecretString: undefined, SecretBinary: base64 })
      const res = await h.send('/v1/batch-get', {
        ...json({ SecretIdList: [text, binary, missing] }),
        token,
      })
      expect(res.status).toBe(200)
      const byName = Object.fromEntries(
        res.json.SecretValues.map((v: { Name: string }) => [v.Name, v])
      )
      expect(Object.keys(byName).sort()).toEqual([text, binary].sort())
      expect(byName[text]).toMatchObject({
        SecretString: value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: NOW_SECONDS,
      })
      expect(byName[binary].SecretBinary).toBe(base64)
      expect(byName[binary]).not.toHaveProperty('SecretString')
      expect(res.json.Errors).toEqual([
        { SecretId: missing, ErrorCode: 'ResourceNotFoundException', Message: expect.any(String) },
      ])
    })

    it.each([
      ['an empty list', { SecretIdList: [] }],
      ['no list', {}],
      ['21 ids', { SecretIdList: Array.from({ length: 21 }, (_, i) => `rt/${i}`) }],
      ['a string', { SecretIdList: 'rt/a' }],
      ['a number in the list', { SecretIdList: ['rt/a', 1] }],
      ['Filters', { Filters: [{ Key: 'name', Values: ['rt/'] }] }],
    ])('refuses %s with 400', async (_, body) => {
      expectError(
        await h.send('/v1/batch-get', { ...json(body), token }),
        400,
        'ValidationException'
      )
    })
  })

  describe('POST /v1/random-password', () => {
    it('answers a password without a body', async () => {
      const res = await h.send('/v1/random-password', { method: 'POST', token })
      expect(res.status).toBe(200)
      expect(Object.keys(res.json)).toEqual(['RandomPassword'])
      expect(res.json.RandomPassword).toHaveLength(32)
    })

    it('follows the options in a body', async () => {
      const res = await h.send('/v1/random-password', {
        ...json({ PasswordLength: 20, ExcludePunctuation: true, ExcludeNumbers: true }),
        token,
      })
      expect(res.status).toBe(200)
      expect(res.json.RandomPassword).toMatch(/^[A-Za-z]{20}$/)
    })

    it('refuses options of the wrong type', async () => {
      const res = await h.send('/v1/random-password', { ...json({ PasswordLength: '20' }), token })
      expectError(res, 400, 'ValidationException')
    })
  })

  describe('errors', () => {
    const BODY_ROUTES: [string, string][] = [
      ['POST', '/v1/secrets'],
      ['PUT', '/v1/secrets/rt/x'],
      ['PATCH', '/v1/secrets/rt/x'],
      ['POST', '/v1/batch-get'],
      ['POST', '/v1/random-password'],
    ]

    it.each(BODY_ROUTES)(
      '%s %s: 400 SerializationException for malformed JSON',
      async (method, path) => {
        const value = secretValue()
        for (const body of [`{"SecretString":"${value}"`, `{SecretString:'${value}'}`, '\u00ff']) {
          const res = await h.send(path, { method, body, token })
          expectError(res, 400, 'SerializationException', value)
        }
      }
    )

    it.each(BODY_ROUTES)(
      '%s %s: 400 SerializationException for a body that is no object',
      async (method, path) => {
        for (const body of ['[]', '"text"', '1', 'null', 'true']) {
          expectError(await h.send(path, { method, body, token }), 400, 'SerializationException')
        }
      }
    )

    it('400 SerializationException for a body that is not UTF-8', async () => {
      const res = await h.send('/v1/secrets', {
        method: 'POST',
        body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
        token,
      })
      expectError(res, 400, 'SerializationException')
    })

    it.each([
      ['POST', '/v1/secrets', { Name: 'rt/x', SecretStrng: 'v' }, 'SecretStrng'],
      ['PUT', '/v1/secrets/rt/x', { Name: 'rt/x', SecretString: 'v' }, 'Name'],
      ['PATCH', '/v1/secrets/rt/x', { VersionStages: ['AWSCURRENT'] }, 'VersionStages'],
      ['POST', '/v1/batch-get', { SecretIdList: ['rt/x'], MaxResults: 1 }, 'MaxResults'],
      ['POST', '/v1/random-password', { Length: 10 }, 'Length'],
    ])(
      '%s %s: 400 ValidationException naming an unknown member',
      async (method, path, body, member) => {
        const calls = h.upstreamCalls()
        const res = await h.send(path, { ...json(body, method), token })
        expectError(res, 400, 'ValidationException')
        expect(res.json.message).toContain(member)
        expect(h.upstreamCalls()).toBe(calls)
      }
    )

    it.each([
      ['POST', '/v1/secrets', { Name: 1 }, 'Name'],
      ['POST', '/v1/secrets', { Name: 'rt/x', SecretString: 12345 }, 'SecretString'],
      ['POST', '/v1/secrets', { Name: 'rt/x', Tags: { Key: 'k' } }, 'Tags'],
      ['POST', '/v1/secrets', { Name: 'rt/x', Tags: [{ Key: 'k', Value: 1 }] }, 'Tags'],
      ['POST', '/v1/secrets', { Name: 'rt/x', SecretBinary: 'not base64!' }, 'SecretBinary'],
      ['POST', '/v1/secrets', { Name: 'rt/x', SecretBinary: 'YWJj' + '\n' }, 'SecretBinary'],
      ['POST', '/v1/secrets', { Name: 'rt/x', SecretBinary: [1, 2] }, 'SecretBinary'],
      [
        'PUT',
        '/v1/secrets/rt/x',
        { SecretString: 'v', VersionStages: 'AWSCURRENT' },
        'VersionStages',
      ],
      ['PATCH', '/v1/secrets/rt/x', { Description: false }, 'Description'],
      ['POST', '/v1/random-password', { PasswordLength: 10.5 }, 'PasswordLength'],
      ['POST', '/v1/random-password', { ExcludeNumbers: 'true' }, 'ExcludeNumbers'],
    ])('%s %s: 400 ValidationException for %j', async (method, path, body, member) => {
      const calls = h.upstreamCalls()
      const res = await h.send(path, { ...json(body, method), token })
      expectError(res, 400, 'ValidationException')
      expect(res.json.message).toContain(member)
      expect(h.upstreamCalls()).toBe(calls)
    })

    it('never quotes a value in a member error', async () => {
      const value = secretValue()
      const res = await h.send('/v1/secrets', {
        ...json({ Name: 'rt/x', SecretString: value, Extra: value }),
        token,
      })
      expectError(res, 400, 'ValidationException', value)
    })

    it.each([
      ['GET', '/v1/secrets/rt/x?foo=1'],
      ['GET', '/v1/secrets/rt/x?versionId=a&versionId=b'],
      ['GET', '/v1/secrets/rt/x?VersionStage=AWSCURRENT'],
      ['GET', '/v1/metadata/rt/x?versionId=a'],
      ['POST', '/v1/secrets?name=rt/x'],
      ['PUT', '/v1/secrets/rt/x?versionStages=AWSCURRENT'],
      ['PATCH', '/v1/secrets/rt/x?x'],
      ['DELETE', '/v1/secrets/rt/x?force=true&window=7'],
      ['POST', '/v1/restore/rt/x?now=1'],
      ['POST', '/v1/batch-get?x=1'],
      ['POST', '/v1/random-password?PasswordLength=8'],
    ])(
      '%s %s: 400 ValidationException for an unknown or repeated query parameter',
      async (method, path) => {
        const calls = h.upstreamCalls()
        const res = await h.send(path, { method, token, body: method === 'GET' ? null : '{}' })
        expectError(res, 400, 'ValidationException')
        expect(res.json.message).toMatch(/^(Unknown|Repeated) query parameter/)
        expect(h.upstreamCalls()).toBe(calls)
      }
    )

    it('404 ResourceNotFoundException for a secret that does not exist', async () => {
      const res = await h.send(`/v1/secrets/${uniqueName('rt/nothing')}`, { token })
      expectError(res, 404, 'ResourceNotFoundException')
      expect(res.headers.get('x-edge-secrets-cache')).toBeNull()
    })

    it.each(['/v1/nothing', '/v1/secret/rt/x', '/v1', '/v2/secrets/rt/x', '/secrets/rt/x', '/'])(
      '404 NotFoundException for the unknown route %s',
      async (path) => {
        expectError(await h.send(path, { token }), 404, 'NotFoundException')
      }
    )

    it('404 NotFoundException outside /v1 even without a token', async () => {
      expectError(await h.send('/nothing/here'), 404, 'NotFoundException')
    })

    it.each([
      ['/v1/secrets', ['PUT', 'PATCH', 'DELETE'], 'GET, POST'],
      ['/v1/secrets/rt/x', ['POST'], 'GET, PUT, PATCH, DELETE'],
      ['/v1/restore/rt/x', ['GET', 'PUT', 'PATCH', 'DELETE'], 'POST'],
      ['/v1/metadata/rt/x', ['POST', 'PUT', 'PATCH', 'DELETE'], 'GET'],
      ['/v1/batch-get', ['GET', 'PUT', 'PATCH', 'DELETE'], 'POST'],
      ['/v1/random-password', ['GET', 'PUT', 'PATCH', 'DELETE'], 'POST'],
    ])('405 on %s for %j, with Allow: %s', async (path, methods, allow) => {
      const calls = h.upstreamCalls()
      for (const method of methods) {
        const res = await h.send(path, { method, token, body: method === 'GET' ? null : '{}' })
        expectError(res, 405, 'MethodNotAllowedException')
        expect({ method, allow: res.headers.get('allow') }).toEqual({ method, allow })
      }
      expect(h.upstreamCalls()).toBe(calls)
    })

    it('413 for a body over maxBodyBytes with Content-Length, before reading it', async () => {
      const calls = h.upstreamCalls()
      const value = 'x'.repeat(MAX_BODY_BYTES)
      const body = JSON.stringify({ Name: 'rt/big', SecretString: value })
      const res = await h.send('/v1/secrets', {
        method: 'POST',
        body,
        headers: { 'content-length': String(body.length) },
        token,
      })
      expectError(res, 413, 'PayloadTooLargeException', value)
      // A declared length over the limit is refused on its own, whatever follows.
      const declared = await h.send('/v1/secrets', {
        method: 'POST',
        body: '{}',
        headers: { 'content-length': String(MAX_BODY_BYTES + 1) },
        token,
      })
      expectError(declared, 413, 'PayloadTooLargeException')
      expect(h.upstreamCalls()).toBe(calls)
    })

    it('413 for an endless streamed body without Content-Length: it stops reading', async () => {
      const chunk = new TextEncoder().encode('x'.repeat(16_384))
      let pulled = 0
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"Name":"rt/stream","SecretString":"'))
        },
        pull(controller) {
          pulled++
          controller.enqueue(chunk)
        },
      })
      const calls = h.upstreamCalls()
      const res = await h.send('/v1/secrets', { method: 'POST', body, token })
      expectError(res, 413, 'PayloadTooLargeException')
      expect(pulled).toBeLessThan(MAX_BODY_BYTES / chunk.byteLength + 4)
      expect(h.upstreamCalls()).toBe(calls)
    })

    it.each(BODY_ROUTES)('%s %s: 413 for a streamed body over the limit', async (method, path) => {
      const parts = ['{"SecretString":"', 'x'.repeat(MAX_BODY_BYTES), '"}']
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          const part = parts.shift()
          if (part === undefined) controller.close()
          else controller.enqueue(new TextEncoder().encode(part))
        },
      })
      const calls = h.upstreamCalls()
      expectError(await h.send(path, { method, body, token }), 413, 'PayloadTooLargeException')
      expect(h.upstreamCalls()).toBe(calls)
    })

    it('413 for a SecretString over 65,536 characters, before any upstream call; 65,536 is taken', async () => {
      const name = uniqueName('rt/size')
      const over = 'y'.repeat(65_537)
      const calls = h.upstreamCalls()
      const create = await h.send('/v1/secrets', {
        ...json({ Name: name, SecretString: over }),
        token,
      })
      expectError(create, 413, 'PayloadTooLargeException', over)
      const put = await h.send(`/v1/secrets/${name}`, {
        ...json({ SecretString: over }, 'PUT'),
        token,
      })
      expectError(put, 413, 'PayloadTooLargeException', over)
      const binary = await h.send('/v1/secrets', {
        ...json({ Name: name, SecretBinary: toBase64(bytes(65_537)) }),
        token,
      })
      expectError(binary, 413, 'PayloadTooLargeException')
      expect(h.upstreamCalls()).toBe(calls)
      const exact = await h.send('/v1/secrets', {
        ...json({ Name: name, SecretString: 'y'.repeat(65_536) }),
        token,
      })
      expect(exact.status).toBe(201)
    })
  })

  describe('Cache-Control: no-store', () => {
    it('is on every response: success, error, unknown route, 405, preflight and /ping', async () => {
      const name = uniqueName('rt/no-store')
      const responses: [string, Sent][] = [
        ['create', await create(name)],
        ['read', await h.send(`/v1/secrets/${name}`, { token })],
        ['cached read', await h.send(`/v1/secrets/${name}`, { token })],
        ['metadata', await h.send(`/v1/metadata/${name}`, { token })],
        ['list', await h.send('/v1/secrets?prefix=rt', { token })],
        ['password', await h.send('/v1/random-password', { method: 'POST', token })],
        ['no token', await h.send(`/v1/secrets/${name}`)],
        ['bad request', await h.send('/v1/secrets', { method: 'POST', body: '{', token })],
        ['not found', await h.send(`/v1/secrets/${name}-gone`, { token })],
        ['no route', await h.send('/v9', { token })],
        ['405', await h.send('/v1/batch-get', { token })],
        ['ping', await h.send('/ping')],
        [
          'preflight',
          await h.send(`/v1/secrets/${name}`, {
            method: 'OPTIONS',
            headers: {
              origin: ORIGIN,
              'access-control-request-method': 'GET',
              'access-control-request-headers': 'authorization',
            },
          }),
        ],
        ['cors read', await h.send(`/v1/secrets/${name}`, { token, headers: { origin: ORIGIN } })],
      ]
      for (const [what, res] of responses) {
        expect({ what, cacheControl: res.headers.get('cache-control') }).toEqual({
          what,
          cacheControl: 'no-store',
        })
      }
      const preflight = responses.find(([what]) => what === 'preflight')?.[1]
      expect(preflight?.status).toBe(204)
      expect(preflight?.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    })
  })

  describe('the log line', () => {
    it('is exactly one RequestLog per request, with its status and X-Request-Id', async () => {
      const name = uniqueName('rt/log-count')
      const before = requestLogs(h).length
      const sent: Sent[] = [
        await create(name),
        await h.send(`/v1/secrets/${name}`, { token }),
        await h.send('/v1/secrets', { method: 'POST', body: '[', token }),
        await h.send('/nowhere'),
        await h.send('/v1/secrets/rt/x', { method: 'POST', token }),
        await h.send('/ping'),
        await h.send(`/v1/secrets/${name}`, { method: 'OPTIONS', headers: { origin: ORIGIN } }),
      ]
      const lines = requestLogs(h).slice(before)
      expect(lines).toHaveLength(sent.length)
      expect(lines.map((line) => line.status)).toEqual(sent.map((res) => res.status))
      expect(lines.map((line) => line.requestId)).toEqual(
        sent.map((res) => res.headers.get('x-request-id'))
      )
      expect(new Set(lines.map((line) => line.requestId)).size).toBe(sent.length)
    })

    it('names grant, action, secret id, status, cache outcome and upstream time', async () => {
      const name = uniqueName('rt/log')
      await create(name)
      const grant = h.grantName('all')
      const created = requestLogs(h).at(-1)
      expect(created).toMatchObject({
        method: 'POST',
        path: '/v1/secrets',
        grant,
        action: 'write',
        secretId: name,
        status: 201,
        upstreamMs: expect.any(Number),
      })
      expect(created).not.toHaveProperty('cache')

      await h.send(`/v1/secrets/${name}`, { token })
      expect(requestLogs(h).at(-1)).toMatchObject({
        method: 'GET',
        path: `/v1/secrets/${name}`,
        grant,
        action: 'read',
        secretId: name,
        status: 200,
        cache: 'upstream',
        upstreamMs: expect.any(Number),
        durationMs: expect.any(Number),
      })

      await h.send(`/v1/secrets/${encodeURIComponent(name)}`, { token })
      const cached = requestLogs(h).at(-1)
      expect(cached).toMatchObject({ action: 'read', secretId: name, status: 200, cache: 'memory' })
      expect(cached).not.toHaveProperty('upstreamMs')

      await h.send(`/v1/secrets/${name}?refresh=true`, { token })
      expect(requestLogs(h).at(-1)).toMatchObject({
        cache: 'upstream',
        upstreamMs: expect.any(Number),
      })

      await h.send(`/v1/secrets/${name}?recoveryWindowInDays=7`, { method: 'DELETE', token })
      expect(requestLogs(h).at(-1)).toMatchObject({
        grant,
        action: 'delete',
        secretId: name,
        status: 200,
        upstreamMs: expect.any(Number),
      })

      await h.send(`/v1/metadata/${name}-missing`, { token })
      expect(requestLogs(h).at(-1)).toMatchObject({
        grant,
        action: 'read',
        secretId: `${name}-missing`,
        status: 404,
        error: 'ResourceNotFoundException',
        upstreamMs: expect.any(Number),
      })

      await h.send('/v1/batch-get', { ...json({ SecretIdList: [name, `${name}-b`] }), token })
      expect(requestLogs(h).at(-1)).toMatchObject({
        action: 'read',
        secretId: [name, `${name}-b`],
        status: 200,
      })

      await h.send('/v1/random-password', { method: 'POST', token })
      expect(requestLogs(h).at(-1)).toMatchObject({
        action: 'random-password',
        status: 200,
        upstreamMs: expect.any(Number),
      })

      await h.send('/v1/secrets?prefix=rt', { token })
      expect(requestLogs(h).at(-1)).toMatchObject({ action: 'list', status: 200 })

      // Refused before any upstream call: no upstream time.
      await h.send('/v1/secrets', { ...json({ Name: name, Bogus: 1 }), token })
      const refused = requestLogs(h).at(-1)
      expect(refused).toMatchObject({ grant, status: 400, error: 'ValidationException' })
      expect(refused).not.toHaveProperty('upstreamMs')

      await h.send(`/v1/secrets/${name}`)
      const anonymous = requestLogs(h).at(-1)
      expect(anonymous).toMatchObject({ status: 401, error: 'MissingAuthenticationTokenException' })
      expect(anonymous).not.toHaveProperty('grant')
    })

    it('never holds a token or a value, whatever the request', async () => {
      const name = uniqueName('rt/log-secret')
      const value = secretValue('logged')
      const second = secretValue('logged2')
      const raw = bytes(48)
      const base64 = toBase64(raw)
      const binaryName = uniqueName('rt/log-secret')
      const before = h.logs.length
      await create(name, { SecretString: value })
      await create(binaryName, { SecretString: undefined, SecretBinary: base64 })
      await h.send(`/v1/secrets/${name}`, { token })
      await h.send(`/v1/secrets/${binaryName}`, { token })
      await h.send(`/v1/secrets/${name}`, { ...json({ SecretString: second }, 'PUT'), token })
      await h.send(`/v1/secrets/${name}?refresh=true`, { token })
      await h.send('/v1/batch-get', { ...json({ SecretIdList: [name, binaryName] }), token })
      await h.send(`/secretsmanager/get?secretId=${name}`, {
        headers: { 'x-aws-parameters-secrets-token': token },
      })
      await h.send('/v1/secrets', { ...json({ Name: name, SecretString: value }), token })
      await h.send('/v1/secrets', { ...json({ Name: name, SecretString: 7, Extra: value }), token })
      await h.send('/v1/secrets', { method: 'POST', body: `{"SecretString":"${value}"`, token })
      await h.send(`/v1/secrets/${name}`, { token: `${token}x` })
      await h.send(`/v1/secrets/${name}`, { headers: { authorization: `Basic ${token}` } })
      const password = await h.send('/v1/random-password', { method: 'POST', token })
      const logged = JSON.stringify(h.logs.slice(before))
      expect(requestLogs(h).length).toBeGreaterThan(0)
      for (const secret of [token, value, second, base64, password.json.RandomPassword]) {
        expect(logged).not.toContain(secret)
      }
      expect(logged).not.toContain(token.slice(4))
    })
  })
})

describe('worker REST routes mounted under a sub-path', () => {
  let h: Harness
  let token: string
  beforeAll(async () => {
    ;({ h, token } = await setup('/secrets'))
  })

  it('takes the id from the rest of the path after the mount and the route', async () => {
    // A name that repeats the mount and the route: only the fixed leading segments are cut.
    const name = `${uniqueName('rt/mounted')}/secrets/v1/secrets/x`
    const value = secretValue()
    const created = await h.send('/secrets/v1/secrets', {
      ...json({ Name: name, SecretString: value }),
      token,
    })
    expect(created.status).toBe(201)
    for (const path of [name, encodeURIComponent(name)]) {
      const res = await h.send(`/secrets/v1/secrets/${path}`, { token })
      expect(res.status).toBe(200)
      expect(res.json).toMatchObject({ Name: name, SecretString: value })
      expect(res.headers.get('cache-control')).toBe('no-store')
    }
    expect(requestLogs(h).at(-1)).toMatchObject({
      path: `/secrets/v1/secrets/${encodeURIComponent(name)}`,
      secretId: name,
      action: 'read',
      cache: 'memory',
    })
    const meta = await h.send(`/secrets/v1/metadata/${name}`, { token })
    expect(meta.json.Name).toBe(name)
    const agent = await h.send(`/secrets/secretsmanager/get?secretId=${encodeURIComponent(name)}`, {
      headers: { 'x-aws-parameters-secrets-token': token },
    })
    expect(agent.json).toMatchObject({ Name: name, SecretString: value })
  })

  it('writes, deletes and restores by the rest of the path', async () => {
    const name = uniqueName('rt/mounted')
    await h.send('/secrets/v1/secrets', { ...json({ Name: name, SecretString: 'a' }), token })
    const put = await h.send(`/secrets/v1/secrets/${name}`, {
      ...json({ SecretString: 'b' }, 'PUT'),
      token,
    })
    expect(put.json.Name).toBe(name)
    const patch = await h.send(`/secrets/v1/secrets/${name}`, {
      ...json({ Description: 'mounted' }, 'PATCH'),
      token,
    })
    expect(patch.json.Name).toBe(name)
    const deleted = await h.send(`/secrets/v1/secrets/${name}?recoveryWindowInDays=7`, {
      method: 'DELETE',
      token,
    })
    expect(deleted.json).toMatchObject({ Name: name, DeletionDate: NOW_SECONDS + 7 * DAY_SECONDS })
    const restored = await h.send(`/secrets/v1/restore/${name}`, { method: 'POST', token })
    expect(restored.json.Name).toBe(name)
    const read = await h.send(`/secrets/v1/secrets/${name}`, { token })
    expect(read.json.SecretString).toBe('b')
    const list = await h.send(`/secrets/v1/secrets?prefix=${encodeURIComponent(name)}`, { token })
    expect(list.json.SecretList.map((s: { Name: string }) => s.Name)).toEqual([name])
  })

  it('answers errors, 405 and /ping as it does unmounted', async () => {
    expectError(
      await h.send(`/secrets/v1/secrets/${uniqueName('rt/none')}`, { token }),
      404,
      'ResourceNotFoundException'
    )
    expectError(
      await h.send('/secrets/v1/secrets/rt/x'),
      401,
      'MissingAuthenticationTokenException'
    )
    expectError(await h.send('/secrets/v1/secrets/rt%252Fx', { token }), 400, 'ValidationException')
    const wrong = await h.send('/secrets/v1/metadata/rt/x', { method: 'DELETE', token })
    expectError(wrong, 405, 'MethodNotAllowedException')
    expect(wrong.headers.get('allow')).toBe('GET')
    const ping = await h.send('/secrets/ping')
    expect({ status: ping.status, text: ping.text }).toEqual({ status: 200, text: 'healthy' })
    // Not the mount's own paths: the outer app answers.
    expect((await h.send('/v1/secrets/rt/x', { token })).status).toBe(404)
  })

  it('works under a mount path with a parameter', async () => {
    const { h: deep, token: deepToken } = await setup('/t/:tenant/secrets')
    const name = uniqueName('rt/tenant')
    await deep.send('/t/acme/secrets/v1/secrets', {
      ...json({ Name: name, SecretString: 'tenant' }),
      token: deepToken,
    })
    const res = await deep.send(`/t/acme/secrets/v1/secrets/${name}`, { token: deepToken })
    expect(res.json).toMatchObject({ Name: name, SecretString: 'tenant' })
  })
})
