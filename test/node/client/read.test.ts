import { HttpResponse, http } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import { SecretCache } from '../../../src/cache/index.js'
import {
  createSecretReader,
  isSecretsManagerError,
  type SecretsManagerClientOptions,
} from '../../../src/client/index.js'
import { rejection, testClient } from '../../mocks/client.js'
import { until, useFakeTimers } from '../../mocks/clock.js'
import { CREDENTIALS, ENDPOINT, REGION, setupEmulatorServer } from '../../mocks/server.js'

const { emulator, server, targets, received } = setupEmulatorServer()

let counter = 0
// Storage is shared by the whole file: every test uses its own names.
function uniqueName(label: string): string {
  counter++
  return `test/read/${label}/${counter}-${Math.random().toString(36).slice(2, 8)}`
}

// A reader for the mocked endpoint, with zero backoff unless overridden (as testClient).
function testReader(options: Partial<SecretsManagerClientOptions> = {}) {
  return createSecretReader({
    region: REGION,
    credentials: CREDENTIALS,
    random: () => 0,
    ...options,
  })
}

// Writes go through the class; the reader under test only reads.
const sm = testClient()

async function stored(label: string, value: string | Uint8Array = 's'): Promise<string> {
  const Name = uniqueName(label)
  await sm.createSecret(
    typeof value === 'string' ? { Name, SecretString: value } : { Name, SecretBinary: value }
  )
  targets.length = 0
  received.length = 0
  return Name
}

describe('createSecretReader', () => {
  describe('options', () => {
    it('resolves the same region, endpoint and time limit as the client', () => {
      const options = { region: 'cn-north-1', credentials: CREDENTIALS, timeoutMs: 2500 }
      const reader = createSecretReader(options)
      expect(reader).toMatchObject({
        region: 'cn-north-1',
        endpoint: 'https://secretsmanager.cn-north-1.amazonaws.com.cn/',
        timeoutMs: 2500,
      })
      expect(testReader().timeoutMs).toBe(10_000)
    })

    it.each([
      [{ credentials: CREDENTIALS }, 'region is a required option'],
      [{ region: REGION }, 'credentials is a required option'],
      [{ region: REGION, credentials: CREDENTIALS, maxAttempts: 0 }, 'maxAttempts'],
      [{ region: 'us-east-1/evil', credentials: CREDENTIALS }, 'region'],
    ])('refuses %j with a TypeError', (options, message) => {
      expect(() => createSecretReader(options as SecretsManagerClientOptions)).toThrow(TypeError)
      expect(() => createSecretReader(options as SecretsManagerClientOptions)).toThrow(message)
    })
  })

  describe('getSecretValue', () => {
    it('reads the current value with its version metadata, as the client does', async () => {
      const Name = await stored('string', 'v1')
      const read = await testReader().getSecretValue({ SecretId: Name })
      expect(read).toMatchObject({ Name, SecretString: 'v1', VersionStages: ['AWSCURRENT'] })
      expect(read.CreatedDate).toBeInstanceOf(Date)
      expect(read.SecretBinary).toBeUndefined()
      expect(read).toEqual(await sm.getSecretValue({ SecretId: Name }))
    })

    it('reads a version by stage or by VersionId', async () => {
      const Name = await stored('versions', 'v1')
      const { VersionId: v1 } = await sm.getSecretValue({ SecretId: Name })
      await sm.putSecretValue({ SecretId: Name, SecretString: 'v2' })
      const reader = testReader()
      expect(await reader.getSecretValue({ SecretId: Name })).toMatchObject({ SecretString: 'v2' })
      await expect(
        reader.getSecretValue({ SecretId: Name, VersionStage: 'AWSPREVIOUS' })
      ).resolves.toMatchObject({ SecretString: 'v1', VersionId: v1 })
      await expect(
        reader.getSecretValue({ SecretId: Name, VersionId: v1 ?? '' })
      ).resolves.toMatchObject({ SecretString: 'v1' })
    })

    it('returns SecretBinary as the stored bytes, decoded from base64 once', async () => {
      const bytes = new Uint8Array([0, 1, 2, 250, 255, 104, 105])
      const Name = await stored('binary', bytes)
      const read = await testReader().getSecretValue({ SecretId: Name })
      expect(read.SecretBinary).toBeInstanceOf(Uint8Array)
      expect([...(read.SecretBinary ?? [])]).toEqual([...bytes])
      expect(read.SecretString).toBeUndefined()
    })

    it('sends one signed GetSecretValue with the AWS member names', async () => {
      const Name = await stored('signed')
      const bodies: unknown[] = []
      await testReader({
        credentials: { ...CREDENTIALS, sessionToken: 'session-token' },
        fetch: (input, init) => {
          bodies.push(JSON.parse(String(init?.body)))
          return fetch(input, init)
        },
      }).getSecretValue({ SecretId: Name, VersionStage: 'AWSCURRENT' })
      expect(targets).toEqual(['GetSecretValue'])
      const headers = received[0] as Headers
      expect(headers.get('content-type')).toBe('application/x-amz-json-1.1')
      expect(headers.get('authorization')).toContain(`Credential=${CREDENTIALS.accessKeyId}/`)
      expect(headers.get('authorization')).toMatch(/\/us-east-1\/secretsmanager\/aws4_request,/)
      expect(headers.get('x-amz-security-token')).toBe('session-token')
      expect(bodies).toEqual([{ SecretId: Name, VersionStage: 'AWSCURRENT' }])
    })

    it('serves SecretCache as its client', async () => {
      const Name = await stored('cache', 'cached')
      const cache = new SecretCache({ client: testReader() })
      expect(await cache.getSecretString(Name)).toBe('cached')
      expect(await cache.getSecretString(Name)).toBe('cached')
      expect(targets).toEqual(['GetSecretValue'])
    })

    it('asks a credentials provider once for credentials without expiration', async () => {
      const Name = await stored('provider')
      const provider = vi.fn(async () => CREDENTIALS)
      const reader = testReader({ credentials: provider })
      await reader.getSecretValue({ SecretId: Name })
      await reader.getSecretValue({ SecretId: Name })
      expect(provider).toHaveBeenCalledTimes(1)
    })
  })

  describe('errors', () => {
    it('fails with the service error: code, status, request id, not retried', async () => {
      const error = await rejection(testReader().getSecretValue({ SecretId: uniqueName('none') }))
      expect(isSecretsManagerError(error, 'ResourceNotFoundException')).toBe(true)
      expect(error).toMatchObject({ operation: 'GetSecretValue', status: 400, retryable: false })
      expect((error as { requestId?: string }).requestId).toBeTruthy()
      expect(String(error)).toContain('GetSecretValue failed with ResourceNotFoundException')
      expect(targets).toEqual(['GetSecretValue'])
    })

    it('fails with InvalidResponseError, quoting nothing, for a 200 that is not JSON', async () => {
      server.use(http.post(ENDPOINT, () => new HttpResponse('hunter2 <html>', { status: 200 })))
      const error = await rejection(testReader().getSecretValue({ SecretId: 'x' }))
      expect(error).toMatchObject({ code: 'InvalidResponseError', status: 200, retryable: false })
      expect(String(error)).not.toContain('hunter2')
    })

    it('fails with InvalidResponseError for a SecretBinary that is not base64', async () => {
      server.use(http.post(ENDPOINT, () => HttpResponse.json({ SecretBinary: '%%%' })))
      const error = await rejection(testReader().getSecretValue({ SecretId: 'x' }))
      expect(error).toMatchObject({ code: 'InvalidResponseError' })
    })

    it('fails with CredentialsProviderError when the provider fails, sending nothing', async () => {
      const reader = testReader({
        credentials: async () => {
          throw new Error('no role')
        },
      })
      const error = await rejection(reader.getSecretValue({ SecretId: 'x' }))
      expect(error).toMatchObject({ code: 'CredentialsProviderError', retryable: false })
      expect(targets).toEqual([])
    })

    it('does not start when the signal is already aborted', async () => {
      const reason = new Error('gone')
      const error = await rejection(
        testReader().getSecretValue({ SecretId: 'x' }, { signal: AbortSignal.abort(reason) })
      )
      expect(error).toBe(reason)
      expect(targets).toEqual([])
    })
  })

  describe('retries', { timeout: 20_000 }, () => {
    it('retries throttling, then succeeds', async () => {
      const Name = await stored('throttle')
      emulator.injectFault({ kind: 'throttle', operations: ['GetSecretValue'], count: 2 })
      await expect(testReader().getSecretValue({ SecretId: Name })).resolves.toMatchObject({
        SecretString: 's',
      })
      expect(targets).toEqual(['GetSecretValue', 'GetSecretValue', 'GetSecretValue'])
    })

    it('gives up after maxAttempts with the last error', async () => {
      const Name = await stored('5xx')
      emulator.injectFault({ kind: 'server-error', operations: ['GetSecretValue'], count: 3 })
      const error = await rejection(testReader().getSecretValue({ SecretId: Name }))
      expect(error).toMatchObject({ code: 'InternalServiceError', status: 500, retryable: true })
      expect(targets).toHaveLength(3)
    })

    it('retries a lost response (a network error), keeping nothing of its message', async () => {
      const Name = await stored('network')
      emulator.injectFault({ kind: 'drop-response', operations: ['GetSecretValue'] })
      await expect(testReader().getSecretValue({ SecretId: Name })).resolves.toMatchObject({
        SecretString: 's',
      })
      expect(targets).toEqual(['GetSecretValue', 'GetSecretValue'])

      emulator.injectFault({ kind: 'drop-response', operations: ['GetSecretValue'] })
      const error = await rejection(
        testReader({ maxAttempts: 1 }).getSecretValue({ SecretId: Name })
      )
      expect(error).toMatchObject({ code: 'NetworkError', retryable: true, status: undefined })
      expect((error as Error).cause).toEqual({ name: 'TypeError' })
    })

    it('never retries with maxAttempts 1', async () => {
      const Name = await stored('once')
      emulator.injectFault({ kind: 'throttle', operations: ['GetSecretValue'] })
      const error = await rejection(
        testReader({ maxAttempts: 1 }).getSecretValue({ SecretId: Name })
      )
      expect(error).toMatchObject({ code: 'ThrottlingException' })
      expect(targets).toEqual(['GetSecretValue'])
    })

    it('times out a slow attempt after timeoutMs and retries it', async () => {
      const Name = await stored('slow')
      useFakeTimers()
      emulator.injectFault({ kind: 'latency', ms: 60_000, operations: ['GetSecretValue'] })
      const read = testReader({ timeoutMs: 1000 }).getSecretValue({ SecretId: Name })
      // Pending: the emulator's 60 s latency and the reader's 1 s attempt timeout.
      await until(() => targets.length === 1 && vi.getTimerCount() === 2)
      vi.advanceTimersByTime(1000)
      await until(() => targets.length === 2)
      await expect(read).resolves.toMatchObject({ SecretString: 's' })
    })

    it('fails with TimeoutError when every attempt times out', async () => {
      useFakeTimers()
      const hanging = vi.fn(() => new Promise<Response>(() => {}))
      let error: unknown
      rejection(
        testReader({ fetch: hanging, timeoutMs: 500, maxAttempts: 2 }).getSecretValue({
          SecretId: 'x',
        })
      ).then((e) => {
        error = e
      })
      await until(() => hanging.mock.calls.length === 1 && vi.getTimerCount() === 1)
      vi.advanceTimersByTime(500)
      await until(() => hanging.mock.calls.length === 2 && vi.getTimerCount() === 1)
      vi.advanceTimersByTime(500)
      await until(() => error !== undefined)
      expect(error).toMatchObject({ code: 'TimeoutError', retryable: true })
      expect(String(error)).toContain('500 ms')
      expect(vi.getTimerCount()).toBe(0)
    })

    it('stops when the caller aborts during the backoff, with the abort reason', async () => {
      const Name = await stored('abort')
      useFakeTimers()
      emulator.injectFault({ kind: 'throttle', count: 5 })
      const controller = new AbortController()
      const read = rejection(
        testReader({ random: () => 0.9, timeoutMs: 0 }).getSecretValue(
          { SecretId: Name },
          { signal: controller.signal }
        )
      )
      await until(() => targets.length === 1 && vi.getTimerCount() === 1) // in a 450 ms backoff
      controller.abort()
      expect(((await read) as Error).name).toBe('AbortError')
      expect(vi.getTimerCount()).toBe(0)
      expect(targets).toHaveLength(1)
    })

    it('stops retrying once its retry quota is exhausted', async () => {
      const Name = await stored('quota')
      const patient = testReader({ maxAttempts: 1000 })
      emulator.injectFault({ kind: 'server-error', operations: ['GetSecretValue'], count: 1000 })
      await rejection(patient.getSecretValue({ SecretId: Name }))
      expect(targets).toHaveLength(51) // 500 tokens, 10 per retry after a 5xx
      targets.length = 0
      await rejection(patient.getSecretValue({ SecretId: Name }))
      expect(targets).toHaveLength(1)
    })

    it('corrects its clock from a clock-skew error and re-signs once', async () => {
      const Name = await stored('skew')
      // Our clock is an hour slow: the emulator refuses the signature, and its Date header says
      // what time it is.
      const reader = testReader({ now: () => Date.now() - 3_600_000 })
      await expect(reader.getSecretValue({ SecretId: Name })).resolves.toMatchObject({
        SecretString: 's',
      })
      expect(targets).toEqual(['GetSecretValue', 'GetSecretValue'])
      targets.length = 0
      await reader.getSecretValue({ SecretId: Name })
      expect(targets).toEqual(['GetSecretValue'])
    })
  })
})
