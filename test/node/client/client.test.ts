import { HttpResponse, http } from 'msw'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type AwsCredentials,
  isSecretsManagerError,
  SecretsManagerError,
} from '../../../src/client/index.js'
import { rejection, testClient } from '../../mocks/client.js'
import { nextTimerMs, until, useFakeTimers } from '../../mocks/clock.js'
import { CREDENTIALS, ENDPOINT, setupMockServer } from '../../mocks/server.js'

interface Call {
  target: string
  body: Record<string, unknown>
  headers: Headers
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0)

const server = setupMockServer()

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

// Serves the endpoint with `reply`, recording each call (the 1-based call number is passed on).
function mockService(
  reply: (call: Call, n: number) => Response | Promise<Response> = () => HttpResponse.json({})
): Call[] {
  const calls: Call[] = []
  server.use(
    http.post(ENDPOINT, async ({ request }) => {
      const text = await request.text()
      const call = {
        target: request.headers.get('x-amz-target')?.replace(/^secretsmanager\./, '') ?? '',
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        headers: request.headers,
      }
      calls.push(call)
      return reply(call, calls.length)
    })
  )
  return calls
}

// An AWS JSON 1.1 error response.
function awsError(type: string, status = 400, message = `${type} happened`, headers = {}) {
  return HttpResponse.json(
    { __type: type, message },
    { status, headers: { 'x-amzn-ErrorType': type, 'x-amzn-RequestId': 'req-err', ...headers } }
  )
}

describe('SecretsManagerClient', () => {
  describe('operations', () => {
    it.each([
      [
        'createSecret',
        'CreateSecret',
        { Name: 'n', Description: 'd', ClientRequestToken: 'x'.repeat(32) },
      ],
      ['getSecretValue', 'GetSecretValue', { SecretId: 'n', VersionStage: 'AWSPREVIOUS' }],
      [
        'updateSecret',
        'UpdateSecret',
        { SecretId: 'n', Description: 'd', ClientRequestToken: 'x'.repeat(32) },
      ],
      [
        'putSecretValue',
        'PutSecretValue',
        { SecretId: 'n', SecretString: 's', ClientRequestToken: 'x'.repeat(32) },
      ],
      ['deleteSecret', 'DeleteSecret', { SecretId: 'n', RecoveryWindowInDays: 7 }],
      ['getRandomPassword', 'GetRandomPassword', { PasswordLength: 12, ExcludePunctuation: true }],
      ['describeSecret', 'DescribeSecret', { SecretId: 'n' }],
      ['restoreSecret', 'RestoreSecret', { SecretId: 'n' }],
      ['listSecrets', 'ListSecrets', { MaxResults: 5, SortOrder: 'asc' }],
      ['batchGetSecretValue', 'BatchGetSecretValue', { SecretIdList: ['a', 'b'] }],
    ] as const)('%s POSTs %s with the input as its JSON body', async (method, target, input) => {
      const calls = mockService()
      const sm = testClient()
      const output = await (sm[method] as unknown as (input: object) => Promise<unknown>)(input)
      expect(output).toEqual({})
      expect(calls).toHaveLength(1)
      expect(calls[0]?.target).toBe(target)
      expect(calls[0]?.body).toEqual(input)
      expect(calls[0]?.headers.get('content-type')).toBe('application/x-amz-json-1.1')
      expect(calls[0]?.headers.get('authorization')).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/secretsmanager\/aws4_request, /
      )
    })

    it('sends {} for an operation without input', async () => {
      const calls = mockService()
      await testClient().listSecrets()
      await testClient().getRandomPassword()
      expect(calls.map((c) => c.body)).toEqual([{}, {}])
    })

    it('parses success bodies whatever their content type, and treats null as absent', async () => {
      mockService(
        () =>
          new HttpResponse(
            '{"ARN":"arn:x","Name":"n","DeletionDate":1795167000.5,"VersionId":null}',
            { headers: { 'content-type': 'text/html' } }
          )
      )
      const output = await testClient().deleteSecret({ SecretId: 'n' })
      expect(output).toEqual({ ARN: 'arn:x', Name: 'n', DeletionDate: new Date(1795167000500) })
      expect('VersionId' in output).toBe(false)
    })

    it('turns a non-JSON success body into InvalidResponseError, never a TypeError', async () => {
      mockService(() => new HttpResponse('<html>captive portal</html>', { status: 200 }))
      const error = await rejection(testClient().getSecretValue({ SecretId: 'n' }))
      expect(isSecretsManagerError(error, 'InvalidResponseError')).toBe(true)
      expect(String(error)).toContain('GetSecretValue')
      expect(String(error)).not.toContain('captive')
    })

    it('reads the global fetch at call time, or the injected one', async () => {
      const sm = testClient()
      const stub = vi.fn(async () => HttpResponse.json({ RandomPassword: 'p' }))
      vi.stubGlobal('fetch', stub)
      await expect(sm.getRandomPassword()).resolves.toEqual({ RandomPassword: 'p' })
      expect(stub).toHaveBeenCalledTimes(1)

      const injected = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) =>
        Response.json({ Name: 'x' })
      )
      await testClient({ fetch: injected }).restoreSecret({ SecretId: 'x' })
      expect(injected).toHaveBeenCalledTimes(1)
      expect(String(injected.mock.calls[0]?.[0])).toBe(ENDPOINT)
    })
  })

  describe('SecretBinary', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)

    it('sends bytes as base64 exactly once, from a Uint8Array or an ArrayBuffer', async () => {
      const calls = mockService()
      await testClient().putSecretValue({ SecretId: 'b', SecretBinary: bytes })
      await testClient().createSecret({ Name: 'b', SecretBinary: bytes.buffer })
      const base64 = Buffer.from(bytes).toString('base64')
      expect(calls.map((c) => c.body.SecretBinary)).toEqual([base64, base64])
    })

    it('returns bytes decoded exactly once', async () => {
      mockService(() => HttpResponse.json({ SecretBinary: Buffer.from(bytes).toString('base64') }))
      const output = await testClient().getSecretValue({ SecretId: 'b' })
      expect(output.SecretBinary).toBeInstanceOf(Uint8Array)
      expect(output.SecretBinary).toEqual(bytes)
    })
  })

  describe('ClientRequestToken', () => {
    it('is generated (UUID v4) when a value is written without one', async () => {
      const calls = mockService()
      const sm = testClient()
      await sm.createSecret({ Name: 'n', SecretString: 's' })
      await sm.putSecretValue({ SecretId: 'n', SecretBinary: new Uint8Array([1]) })
      await sm.updateSecret({ SecretId: 'n', SecretString: 't' })
      for (const call of calls) expect(call.body.ClientRequestToken).toMatch(UUID)
      expect(new Set(calls.map((c) => c.body.ClientRequestToken)).size).toBe(3)
    })

    it('is generated for writes without a value too, as the SDKs do', async () => {
      const calls = mockService()
      const sm = testClient()
      await sm.createSecret({ Name: 'n' })
      await sm.updateSecret({ SecretId: 'n', Description: 'd' })
      await sm.updateSecret({ SecretId: 'n', KmsKeyId: '' })
      expect(calls.map((c) => c.target)).toEqual(['CreateSecret', 'UpdateSecret', 'UpdateSecret'])
      for (const call of calls) expect(call.body.ClientRequestToken).toMatch(UUID)
      expect(new Set(calls.map((c) => c.body.ClientRequestToken)).size).toBe(3)
    })

    it('keeps a given one, and is never added to reads or deletes', async () => {
      const calls = mockService()
      const sm = testClient()
      await sm.putSecretValue({
        SecretId: 'n',
        SecretString: 's',
        ClientRequestToken: 't'.repeat(40),
      })
      await sm.updateSecret({ SecretId: 'n', Description: 'd', ClientRequestToken: 'u'.repeat(40) })
      await sm.getSecretValue({ SecretId: 'n' })
      await sm.deleteSecret({ SecretId: 'n', RecoveryWindowInDays: 7 })
      expect(calls.map((c) => c.body.ClientRequestToken)).toEqual([
        't'.repeat(40),
        'u'.repeat(40),
        undefined,
        undefined,
      ])
    })

    it('is the same on every retry of one call', async () => {
      const calls = mockService((_, n) => (n < 3 ? HttpResponse.error() : HttpResponse.json({})))
      await testClient().putSecretValue({ SecretId: 'n', SecretString: 's' })
      expect(calls).toHaveLength(3)
      expect(calls[0]?.body.ClientRequestToken).toMatch(UUID)
      expect(new Set(calls.map((c) => c.body.ClientRequestToken)).size).toBe(1)
    })

    it('is the same on every retry of a write without a value', async () => {
      const calls = mockService((_, n) => (n < 2 ? HttpResponse.error() : HttpResponse.json({})))
      await testClient().createSecret({ Name: 'n' })
      expect(calls).toHaveLength(2)
      expect(calls[0]?.body.ClientRequestToken).toMatch(UUID)
      expect(calls[1]?.body.ClientRequestToken).toBe(calls[0]?.body.ClientRequestToken)
    })
  })

  describe('pre-flight validation', () => {
    it.each([
      [
        'both values',
        'createSecret',
        { Name: 'n', SecretString: 's', SecretBinary: new Uint8Array([1]) },
        'InvalidParameterException',
      ],
      [
        '65,537 characters',
        'putSecretValue',
        { SecretId: 'n', SecretString: 'x'.repeat(65_537) },
        'ValidationException',
      ],
      [
        "65,537 '🔑' (code points, as the model counts)",
        'createSecret',
        { Name: 'n', SecretString: '🔑'.repeat(65_537) },
        'ValidationException',
      ],
      [
        '65,537 bytes',
        'updateSecret',
        { SecretId: 'n', SecretBinary: new Uint8Array(65_537) },
        'ValidationException',
      ],
      [
        'a 3-day window',
        'deleteSecret',
        { SecretId: 'n', RecoveryWindowInDays: 3 },
        'InvalidParameterException',
      ],
      [
        'a window with force',
        'deleteSecret',
        { SecretId: 'n', RecoveryWindowInDays: 10, ForceDeleteWithoutRecovery: true },
        'InvalidParameterException',
      ],
      ['length 5000', 'getRandomPassword', { PasswordLength: 5000 }, 'ValidationException'],
      ['length 0', 'getRandomPassword', { PasswordLength: 0 }, 'ValidationException'],
    ] as const)(
      'refuses %s in %s with %s, without a network call',
      async (_, method, input, code) => {
        const fetchSpy = vi.fn(globalThis.fetch)
        vi.stubGlobal('fetch', fetchSpy)
        const calls = mockService()
        const error = await rejection(
          (testClient()[method] as unknown as (input: object) => Promise<unknown>)(input)
        )
        expect(isSecretsManagerError(error, code)).toBe(true)
        expect(isSecretsManagerError(error) && error.retryable).toBe(false)
        expect(calls).toHaveLength(0)
        expect(fetchSpy).not.toHaveBeenCalled()
      }
    )

    it("sends 40,000 '🔑': 80,000 UTF-16 units, but 40,000 code points", async () => {
      const calls = mockService()
      await testClient().putSecretValue({ SecretId: 'n', SecretString: '🔑'.repeat(40_000) })
      expect(calls).toHaveLength(1)
      expect(calls[0]?.body.SecretString).toBe('🔑'.repeat(40_000))
    })

    it('does not even ask the credentials provider', async () => {
      const provider = vi.fn(async () => CREDENTIALS)
      const error = await rejection(
        testClient({ credentials: provider }).getRandomPassword({ PasswordLength: -1 })
      )
      expect(isSecretsManagerError(error, 'ValidationException')).toBe(true)
      expect(provider).not.toHaveBeenCalled()
    })
  })

  describe('errors', () => {
    it('carries code, status, request id, retryable and a message naming the operation', async () => {
      mockService(() =>
        awsError(
          'ResourceNotFoundException',
          400,
          "Secrets Manager can't find the specified secret."
        )
      )
      const error = await rejection(testClient().getSecretValue({ SecretId: 'missing' }))
      expect(error).toBeInstanceOf(SecretsManagerError)
      expect(error).toMatchObject({
        name: 'SecretsManagerError',
        code: 'ResourceNotFoundException',
        status: 400,
        requestId: 'req-err',
        retryable: false,
        message:
          "GetSecretValue failed with ResourceNotFoundException: Secrets Manager can't find the specified secret.",
      })
    })

    it('never holds a secret value: not in the message, the cause or its serialisation', async () => {
      const secret = 'hunter2-very-secret'
      const cases: Array<() => Response> = [
        () => awsError('ValidationException'),
        () => HttpResponse.error(),
        () => new HttpResponse(`{"oops":"${secret}`, { status: 200 }),
        () => new HttpResponse(`<pre>${secret}</pre>`, { status: 500 }),
      ]
      for (const reply of cases) {
        mockService(reply)
        const error = await rejection(
          testClient({ maxAttempts: 1 }).putSecretValue({ SecretId: 'n', SecretString: secret })
        )
        expect(isSecretsManagerError(error)).toBe(true)
        const e = error as SecretsManagerError
        const seen = [
          e.message,
          e.stack,
          String(e.cause),
          JSON.stringify(e),
          JSON.stringify(e.cause),
        ]
        for (const text of seen) expect(text ?? '').not.toContain(secret)
      }
    })

    it.each([
      ['a TypeError quoting the body', (body: string) => new TypeError(`could not send ${body}`)],
      ['a custom error', (body: string) => new (class BunFetchError extends Error {})(body)],
      ['a string', (body: string) => body],
    ])('keeps the message of %s from fetch out of NetworkError and its cause', async (_, make) => {
      const secret = 'hunter2-very-secret'
      const leaky = vi.fn(async (_input: RequestInfo | URL, init?: RequestInit) => {
        throw make(String(init?.body))
      })
      const error = await rejection(
        testClient({ fetch: leaky, maxAttempts: 1 }).putSecretValue({
          SecretId: 'n',
          SecretString: secret,
        })
      )
      expect(error).toMatchObject({ code: 'NetworkError', retryable: true })
      const { message, cause } = error as SecretsManagerError
      expect(message).toMatch(/^PutSecretValue failed with NetworkError: fetch failed \(\w+\)$/)
      expect(message).not.toContain(secret)
      expect(JSON.stringify(cause)).not.toContain(secret)
      expect(cause).toEqual({ name: expect.stringMatching(/^\w+$/) })
    })

    it('keeps only the name and code of a fetch rejection that quotes the body', async () => {
      const cases = [
        new TypeError('failed to send {"SecretString":"hunter2"}'),
        Object.assign(new TypeError('failed to send {"SecretString":"hunter2"}'), {
          code: 'ECONNRESET',
        }),
        // Node's fetch: TypeError('fetch failed') with the system error as its cause.
        new TypeError('fetch failed', {
          cause: Object.assign(new Error('read ECONNRESET {"SecretString":"hunter2"}'), {
            code: 'ECONNRESET',
          }),
        }),
        // A code that is not a code is dropped, not kept.
        Object.assign(new TypeError('failed'), { code: '{"SecretString":"hunter2"}' }),
      ]
      const causes: unknown[] = []
      for (const rejected of cases) {
        const failing = async () => {
          throw rejected
        }
        const error = await rejection(
          testClient({ fetch: failing, maxAttempts: 1 }).putSecretValue({
            SecretId: 'n',
            SecretString: 'hunter2',
          })
        )
        expect(isSecretsManagerError(error, 'NetworkError')).toBe(true)
        const e = error as SecretsManagerError
        const seen = [
          e.message,
          e.stack,
          String(e),
          JSON.stringify(e),
          String(e.cause),
          JSON.stringify(e.cause),
        ]
        for (const text of seen) expect(text ?? '').not.toContain('hunter2')
        causes.push(e.cause)
      }
      expect(causes).toEqual([
        { name: 'TypeError' },
        { name: 'TypeError', code: 'ECONNRESET' },
        { name: 'TypeError', code: 'ECONNRESET' },
        { name: 'TypeError' },
      ])
    })

    it('names the class of the fetch failure', async () => {
      const failing = async () => {
        throw new TypeError('fetch failed')
      }
      const error = await rejection(testClient({ fetch: failing, maxAttempts: 1 }).listSecrets())
      expect((error as Error).message).toBe(
        'ListSecrets failed with NetworkError: fetch failed (TypeError)'
      )
    })
  })

  // until() waits up to 10 s of real time; let it report first.
  describe('retries', { timeout: 20_000 }, () => {
    it('retries throttling (HTTP 400) and then succeeds', async () => {
      const calls = mockService((_, n) =>
        n === 1 ? awsError('ThrottlingException') : HttpResponse.json({ Name: 'n' })
      )
      await expect(testClient().describeSecret({ SecretId: 'n' })).resolves.toEqual({ Name: 'n' })
      expect(calls).toHaveLength(2)
    })

    it.each([500, 502, 503, 504])('retries HTTP %i', async (status) => {
      const calls = mockService((_, n) =>
        n === 1 ? new HttpResponse('<html>bad gateway</html>', { status }) : HttpResponse.json({})
      )
      await testClient().describeSecret({ SecretId: 'n' })
      expect(calls).toHaveLength(2)
    })

    it('retries InternalServiceError even when sent as HTTP 400', async () => {
      const calls = mockService((_, n) =>
        n === 1 ? awsError('InternalServiceError', 400) : HttpResponse.json({})
      )
      await testClient().describeSecret({ SecretId: 'n' })
      expect(calls).toHaveLength(2)
    })

    it('retries network errors', async () => {
      const calls = mockService((_, n) =>
        n < 3 ? HttpResponse.error() : HttpResponse.json({ Name: 'n' })
      )
      await expect(testClient().describeSecret({ SecretId: 'n' })).resolves.toEqual({ Name: 'n' })
      expect(calls).toHaveLength(3)
    })

    it('gives up after maxAttempts with the last error', async () => {
      const calls = mockService(() => HttpResponse.error())
      const error = await rejection(testClient().describeSecret({ SecretId: 'n' }))
      expect(calls).toHaveLength(3)
      expect(error).toMatchObject({ code: 'NetworkError', retryable: true, status: undefined })
      expect((error as Error).cause).toMatchObject({ name: 'TypeError' })

      const five = mockService(() => awsError('ThrottlingException'))
      await rejection(testClient({ maxAttempts: 5 }).describeSecret({ SecretId: 'n' }))
      expect(five).toHaveLength(5)
    })

    it('never retries LimitExceededException, a hard quota in Secrets Manager', async () => {
      const calls = mockService(() =>
        awsError('LimitExceededException', 400, 'The secret has reached its quota of versions.')
      )
      const error = await rejection(
        testClient().putSecretValue({ SecretId: 'n', SecretString: 's' })
      )
      expect(error).toMatchObject({ code: 'LimitExceededException', retryable: false })
      expect(calls).toHaveLength(1)
    })

    it('never retries other client errors', async () => {
      for (const type of [
        'ResourceNotFoundException',
        'InvalidRequestException',
        'AccessDeniedException',
      ]) {
        const calls = mockService(() => awsError(type))
        const error = await rejection(testClient().describeSecret({ SecretId: 'n' }))
        expect(isSecretsManagerError(error, type)).toBe(true)
        expect(calls).toHaveLength(1)
      }
    })

    it('waits full-jitter backoff: 100 ms base, 500 ms after throttling', async () => {
      useFakeTimers()
      const calls = mockService((_, n) =>
        n === 1
          ? awsError('InternalFailure', 500)
          : n === 2
            ? awsError('ThrottlingException')
            : HttpResponse.json({})
      )
      const done = testClient({ random: () => 0.5, timeoutMs: 0 }).describeSecret({ SecretId: 'n' })
      await until(() => calls.length === 1 && vi.getTimerCount() === 1)
      expect(nextTimerMs()).toBe(50) // 0.5 × 100 ms × 2^0
      await until(() => calls.length === 2 && vi.getTimerCount() === 1)
      expect(nextTimerMs()).toBe(500) // 0.5 × 500 ms × 2^1
      await until(() => calls.length === 3)
      await done
    })

    it('honours Retry-After within [computed, computed + 5 s]', async () => {
      useFakeTimers()
      const calls = mockService((_, n) =>
        n === 1
          ? awsError('ThrottlingException', 400, 'slow down', { 'Retry-After': '2' })
          : n === 2
            ? awsError('ThrottlingException', 400, 'slow down', { 'x-amz-retry-after': '60000' })
            : HttpResponse.json({})
      )
      const done = testClient({ timeoutMs: 0 }).describeSecret({ SecretId: 'n' })
      await until(() => calls.length === 1 && vi.getTimerCount() === 1)
      expect(nextTimerMs()).toBe(2000)
      await until(() => calls.length === 2 && vi.getTimerCount() === 1)
      expect(nextTimerMs()).toBe(5000) // clamped to computed (0) + 5 s
      await until(() => calls.length === 3)
      await done
    })

    it('times out each attempt after timeoutMs and retries it', async () => {
      useFakeTimers()
      const calls = mockService((_, n) =>
        n < 3 ? new Promise<Response>(() => {}) : HttpResponse.json({ Name: 'n' })
      )
      const done = testClient({ timeoutMs: 1000 }).describeSecret({ SecretId: 'n' })
      await until(() => calls.length === 1 && vi.getTimerCount() === 1)
      expect(nextTimerMs()).toBe(1000)
      await until(() => calls.length === 2 && vi.getTimerCount() === 1)
      expect(nextTimerMs()).toBe(1000)
      await until(() => calls.length === 3)
      await expect(done).resolves.toEqual({ Name: 'n' })
    })

    it('fails with TimeoutError when every attempt times out', async () => {
      useFakeTimers()
      const calls = mockService(() => new Promise<Response>(() => {}))
      const sm = testClient({ timeoutMs: 500, maxAttempts: 2 })
      let error: unknown
      rejection(sm.describeSecret({ SecretId: 'n' })).then((e) => {
        error = e
      })
      await until(() => calls.length === 1 && vi.getTimerCount() === 1)
      nextTimerMs()
      await until(() => calls.length === 2 && vi.getTimerCount() === 1)
      nextTimerMs()
      await until(() => error !== undefined)
      expect(error).toMatchObject({ code: 'TimeoutError', retryable: true })
      expect(String(error)).toContain('500 ms')
    })

    it('times out a custom fetch that ignores the signal', async () => {
      useFakeTimers()
      const hanging = vi.fn(() => new Promise<Response>(() => {}))
      const sm = testClient({ fetch: hanging, timeoutMs: 100, maxAttempts: 1 })
      let error: unknown
      rejection(sm.listSecrets()).then((e) => {
        error = e
      })
      await until(() => hanging.mock.calls.length === 1 && vi.getTimerCount() === 1)
      expect(nextTimerMs()).toBe(100)
      await until(() => error !== undefined)
      expect(error).toMatchObject({ code: 'TimeoutError' })
    })

    it('stops at once when the caller aborts mid-backoff, with the abort reason', async () => {
      useFakeTimers()
      const calls = mockService(() => awsError('ThrottlingException'))
      const controller = new AbortController()
      const sm = testClient({ random: () => 0.99, timeoutMs: 0 })
      const done = rejection(sm.describeSecret({ SecretId: 'n' }, { signal: controller.signal }))
      await until(() => calls.length === 1 && vi.getTimerCount() === 1) // sleeping 495 ms
      const reason = new Error('user navigated away')
      controller.abort(reason)
      expect(await done).toBe(reason)
      expect(vi.getTimerCount()).toBe(0)
      expect(calls).toHaveLength(1)
    })

    it('never retries an abort during the request', async () => {
      const controller = new AbortController()
      const calls = mockService(() => {
        controller.abort()
        return new Promise<Response>(() => {})
      })
      const error = await rejection(
        testClient().describeSecret({ SecretId: 'n' }, { signal: controller.signal })
      )
      expect(error).toBe(controller.signal.reason)
      expect((error as Error).name).toBe('AbortError')
      expect(calls).toHaveLength(1)
    })

    it('ends with the abort reason, not a NetworkError, when the last attempt is aborted', async () => {
      const controller = new AbortController()
      const reason = new Error('user navigated away')
      const calls = mockService(() => {
        controller.abort(reason)
        return new Promise<Response>(() => {})
      })
      const error = await rejection(
        testClient({ maxAttempts: 1 }).describeSecret(
          { SecretId: 'n' },
          { signal: controller.signal }
        )
      )
      expect(error).toBe(reason)
      expect(calls).toHaveLength(1)
    })

    it('sends nothing when the caller aborts while the request is being signed', async () => {
      const controller = new AbortController()
      const reason = new Error('cancelled')
      const fetchSpy = vi.fn(async () => Response.json({}))
      // The signing date is read while the request is signed: abort right then.
      const now = () => {
        controller.abort(reason)
        return T0
      }
      const sm = testClient({ fetch: fetchSpy, now })
      await expect(sm.listSecrets({}, { signal: controller.signal })).rejects.toBe(reason)
      expect(fetchSpy).not.toHaveBeenCalled()
    })

    // Each attempt's limit is an AbortSignal.timeout, which cannot be cleared: it fires later
    // into nothing (and holds no process open in Node, Deno or Bun). Nothing else may be left.
    it("leaves no timer running after a call but its attempts' limits, which do nothing", async () => {
      useFakeTimers()
      const calls = mockService((_, n) => (n === 2 ? HttpResponse.error() : HttpResponse.json({})))
      const sm = testClient({ timeoutMs: 1000 })
      let done = false
      sm.describeSecret({ SecretId: 'n' }).then(() => {
        done = true
      })
      await until(() => done)
      expect(vi.getTimerCount()).toBe(1)

      done = false
      sm.describeSecret({ SecretId: 'n' }).then(() => {
        done = true
      })
      await until(() => done) // the 0 ms backoff fires as soon as it is due
      expect(calls).toHaveLength(3)
      expect(vi.getTimerCount()).toBe(3)
      vi.advanceTimersByTime(1000)
      await new Promise((resolve) => setImmediate(resolve))
      expect(vi.getTimerCount()).toBe(0)
      expect(calls).toHaveLength(3)
    })

    it("removes every listener it adds to the caller's signal", async () => {
      const calls = mockService((_, n) =>
        n === 1
          ? awsError('ThrottlingException')
          : n === 2
            ? HttpResponse.error()
            : Response.json({})
      )
      const { signal } = new AbortController()
      const add = vi.spyOn(signal, 'addEventListener')
      const remove = vi.spyOn(signal, 'removeEventListener')
      // A provider, so the call also waits for credentials.
      const sm = testClient({ credentials: async () => CREDENTIALS })
      await sm.describeSecret({ SecretId: 'n' }, { signal })
      expect(calls).toHaveLength(3)
      const added = add.mock.calls.map(([, listener]) => listener)
      const removed = remove.mock.calls.map(([, listener]) => listener)
      expect(added.length).toBeGreaterThan(0)
      expect(removed).toHaveLength(added.length)
      for (const listener of added) expect(removed).toContain(listener)
    })

    it('does not start when the signal is already aborted', async () => {
      const calls = mockService()
      const reason = new Error('gone')
      await expect(
        testClient().listSecrets({}, { signal: AbortSignal.abort(reason) })
      ).rejects.toBe(reason)
      expect(calls).toHaveLength(0)
    })

    it('stops retrying when the retry quota is exhausted, and refunds on success', async () => {
      let failing = true
      const calls = mockService(() =>
        failing ? awsError('InternalFailure', 500) : HttpResponse.json({})
      )
      const sm = testClient({ maxAttempts: 1000 })

      await rejection(sm.describeSecret({ SecretId: 'n' }))
      expect(calls).toHaveLength(51) // 500 tokens / 10 per transient retry = 50 retries

      calls.length = 0
      await rejection(sm.describeSecret({ SecretId: 'n' }))
      expect(calls).toHaveLength(1) // no tokens left: no retry at all

      failing = false
      for (let i = 0; i < 10; i++) await sm.describeSecret({ SecretId: 'n' }) // +1 token each
      failing = true
      calls.length = 0
      await rejection(sm.describeSecret({ SecretId: 'n' }))
      expect(calls).toHaveLength(2) // 10 tokens buy exactly one transient retry

      const other = testClient({ maxAttempts: 1000 })
      calls.length = 0
      await rejection(other.describeSecret({ SecretId: 'n' }))
      expect(calls).toHaveLength(51) // the quota belongs to the client instance
    })

    it('charges the quota for retries only, never for the last attempt', async () => {
      const calls = mockService(() => awsError('InternalFailure', 500))
      const sm = testClient() // 3 attempts: 2 retries of 10 tokens per failing call
      const requestsPerCall: number[] = []
      for (let i = 0; i < 28; i++) {
        calls.length = 0
        await rejection(sm.describeSecret({ SecretId: 'n' }))
        requestsPerCall.push(calls.length)
      }
      // 500 tokens pay for 25 calls with both retries; then no call gets a retry.
      expect(requestsPerCall).toEqual([...Array(25).fill(3), 1, 1, 1])
    })

    it('charges 5 tokens per throttling retry', async () => {
      const calls = mockService(() => awsError('ThrottlingException'))
      await rejection(testClient({ maxAttempts: 1000 }).describeSecret({ SecretId: 'n' }))
      expect(calls).toHaveLength(101)
    })

    it('corrects its clock from the Date header on a clock-skew error and re-signs once', async () => {
      const serverNow = T0 + 20 * 60_000
      const calls = mockService((call) =>
        call.headers.get('x-amz-date') === '20261123T122000Z'
          ? HttpResponse.json({ Name: 'n' })
          : awsError(
              'InvalidSignatureException',
              400,
              'Signature expired: 20261123T120000Z is now earlier than …',
              {
                Date: new Date(serverNow).toUTCString(),
              }
            )
      )
      const sm = testClient({ now: () => T0, maxAttempts: 2 })
      await expect(sm.describeSecret({ SecretId: 'n' })).resolves.toEqual({ Name: 'n' })
      expect(calls.map((c) => c.headers.get('x-amz-date'))).toEqual([
        '20261123T120000Z',
        '20261123T122000Z',
      ])

      // The offset is kept for later calls.
      await sm.describeSecret({ SecretId: 'n' })
      expect(calls).toHaveLength(3)
    })

    it('learns the clock offset from a successful response, for the next call', async () => {
      const calls = mockService(() =>
        HttpResponse.json({}, { headers: { Date: new Date(T0 + 20 * 60_000).toUTCString() } })
      )
      const sm = testClient({ now: () => T0 })
      await sm.listSecrets()
      await sm.listSecrets()
      expect(calls.map((c) => c.headers.get('x-amz-date'))).toEqual([
        '20261123T120000Z',
        '20261123T122000Z',
      ])
    })

    it('keeps its clock when a Date is less than 5 minutes off', async () => {
      const calls = mockService(() =>
        HttpResponse.json({}, { headers: { Date: new Date(T0 + 4 * 60_000).toUTCString() } })
      )
      const sm = testClient({ now: () => T0 })
      await sm.listSecrets()
      await sm.listSecrets()
      expect(calls.map((c) => c.headers.get('x-amz-date'))).toEqual([
        '20261123T120000Z',
        '20261123T120000Z',
      ])
    })

    it('learns from a clock-skew error on the last attempt, so the next call is signed right', async () => {
      const serverNow = T0 + 60 * 60_000
      const calls = mockService((call) =>
        call.headers.get('x-amz-date') === '20261123T130000Z'
          ? HttpResponse.json({ Name: 'n' })
          : awsError('InvalidSignatureException', 400, 'Signature not yet current: …', {
              Date: new Date(serverNow).toUTCString(),
            })
      )
      const sm = testClient({ now: () => T0, maxAttempts: 1 })
      const error = await rejection(sm.describeSecret({ SecretId: 'n' }))
      expect(isSecretsManagerError(error, 'InvalidSignatureException')).toBe(true)
      expect(calls).toHaveLength(1)
      await expect(sm.describeSecret({ SecretId: 'n' })).resolves.toEqual({ Name: 'n' })
      expect(calls.map((c) => c.headers.get('x-amz-date'))).toEqual([
        '20261123T120000Z',
        '20261123T130000Z',
      ])
    })

    it('re-signs when a concurrent call corrected the clock after this one was signed', async () => {
      let release: () => void = () => {}
      const bothArrived = new Promise<void>((resolve) => {
        release = resolve
      })
      let early = 0
      const calls = mockService(async (call) => {
        if (call.headers.get('x-amz-date') !== '20261123T120000Z') return HttpResponse.json({})
        // Hold both wrongly signed requests until both have been sent.
        if (++early === 2) release()
        await bothArrived
        return awsError('InvalidSignatureException', 400, 'Signature not yet current: …', {
          Date: new Date(T0 + 20 * 60_000).toUTCString(),
        })
      })
      const sm = testClient({ now: () => T0, maxAttempts: 2 })
      await expect(Promise.all([sm.listSecrets(), sm.listSecrets()])).resolves.toEqual([{}, {}])
      expect(calls.map((c) => c.headers.get('x-amz-date'))).toEqual([
        '20261123T120000Z',
        '20261123T120000Z',
        '20261123T122000Z',
        '20261123T122000Z',
      ])
    })

    it('does not retry a clock-skew code when the clock is right', async () => {
      const calls = mockService(() =>
        awsError('AccessDeniedException', 400, 'not authorized', {
          Date: new Date(T0 + 2000).toUTCString(),
        })
      )
      const error = await rejection(testClient({ now: () => T0 }).describeSecret({ SecretId: 'n' }))
      expect(isSecretsManagerError(error, 'AccessDeniedException')).toBe(true)
      expect(calls).toHaveLength(1)
    })
  })

  describe('credentials', () => {
    it('calls a provider once for concurrent calls, and again 5 min before expiry', async () => {
      let nowMs = T0
      let version = 0
      const provider = vi.fn(async () => {
        version++
        await Promise.resolve()
        return {
          accessKeyId: `AKID${version}`,
          secretAccessKey: `secret${version}`,
          sessionToken: `token${version}`,
          expiration: new Date(nowMs + 60 * 60_000),
        }
      })
      const calls = mockService()
      const sm = testClient({ credentials: provider, now: () => nowMs })

      await Promise.all([sm.listSecrets(), sm.listSecrets(), sm.listSecrets()])
      expect(provider).toHaveBeenCalledTimes(1)

      nowMs = T0 + 54 * 60_000 // 6 min before expiry
      await sm.listSecrets()
      expect(provider).toHaveBeenCalledTimes(1)

      nowMs = T0 + 55 * 60_000 // 5 min before expiry
      await Promise.all([sm.listSecrets(), sm.listSecrets()])
      expect(provider).toHaveBeenCalledTimes(2)

      const last = calls.at(-1)?.headers
      expect(last?.get('x-amz-security-token')).toBe('token2')
      expect(last?.get('authorization')).toContain('Credential=AKID2/')
      expect(calls[0]?.headers.get('x-amz-security-token')).toBe('token1')
    })

    it('never calls a provider again for credentials without expiration', async () => {
      const provider = vi.fn(() => CREDENTIALS)
      mockService()
      const sm = testClient({ credentials: provider })
      for (let i = 0; i < 3; i++) await sm.listSecrets()
      expect(provider).toHaveBeenCalledTimes(1)
    })

    it('fails with CredentialsProviderError when the provider fails', async () => {
      const calls = mockService()
      const cause = new Error('IMDS unreachable')
      const error = await rejection(
        testClient({ credentials: () => Promise.reject(cause) }).listSecrets()
      )
      expect(error).toMatchObject({ code: 'CredentialsProviderError', retryable: false, cause })
      expect(calls).toHaveLength(0)

      // @ts-expect-error a provider returning nothing usable
      const empty = await rejection(testClient({ credentials: async () => ({}) }).listSecrets())
      expect(isSecretsManagerError(empty, 'CredentialsProviderError')).toBe(true)
    })

    it('stops waiting for a provider that never settles when the caller aborts', async () => {
      const provider = vi.fn(() => new Promise<AwsCredentials>(() => {}))
      const fetchSpy = vi.fn(async () => Response.json({}))
      const sm = testClient({ credentials: provider, fetch: fetchSpy })
      const controller = new AbortController()
      const done = sm.listSecrets({}, { signal: controller.signal })
      expect(provider).toHaveBeenCalledTimes(1)
      const reason = new Error('user navigated away')
      controller.abort(reason)
      await expect(done).rejects.toBe(reason)
      expect(fetchSpy).not.toHaveBeenCalled()
    })

    it('lets other callers share a refresh that an aborted caller gave up on', async () => {
      let resolveCredentials: (credentials: AwsCredentials) => void = () => {}
      const provider = vi.fn(
        () =>
          new Promise<AwsCredentials>((resolve) => {
            resolveCredentials = resolve
          })
      )
      const calls = mockService()
      const sm = testClient({ credentials: provider })
      const controller = new AbortController()
      const aborted = rejection(sm.listSecrets({}, { signal: controller.signal }))
      const patient = sm.listSecrets()
      controller.abort()
      expect((await aborted) as Error).toMatchObject({ name: 'AbortError' })
      expect(calls).toHaveLength(0)
      resolveCredentials(CREDENTIALS)
      await expect(patient).resolves.toEqual({})
      expect(provider).toHaveBeenCalledTimes(1)
      expect(calls).toHaveLength(1)
    })

    it.each([
      [2000, 2000],
      [0, 10_000], // no timeoutMs: the default bound
    ])(
      'asks the provider itself when a refresh it joined does not settle (timeoutMs %i)',
      async (timeoutMs, boundMs) => {
        useFakeTimers()
        // In workerd, a promise from another request that is gone never settles; here the first
        // provider call simply never does.
        const provider = vi
          .fn<() => Promise<AwsCredentials>>()
          .mockReturnValueOnce(new Promise<AwsCredentials>(() => {}))
          .mockResolvedValue(CREDENTIALS)
        const calls = mockService()
        const sm = testClient({ credentials: provider, timeoutMs })
        const controller = new AbortController()
        let ownerSettled = false
        const owner = rejection(sm.listSecrets({}, { signal: controller.signal })).finally(() => {
          ownerSettled = true
        })
        let joinerSettled = false
        const joiner = sm.listSecrets().finally(() => {
          joinerSettled = true
        })
        await until(() => provider.mock.calls.length === 1 && vi.getTimerCount() === 1)
        vi.advanceTimersByTime(boundMs - 1)
        await until(() => vi.getTimerCount() === 1)
        expect(provider).toHaveBeenCalledTimes(1)
        expect(joinerSettled).toBe(false)

        vi.advanceTimersByTime(1)
        await until(() => joinerSettled)
        await expect(joiner).resolves.toEqual({})
        expect(provider).toHaveBeenCalledTimes(2)
        expect(calls).toHaveLength(1)
        // The call that started the refresh keeps awaiting it, and asks nothing more.
        expect(ownerSettled).toBe(false)
        // Later calls use the joiner's credentials at once.
        await sm.listSecrets()
        expect(provider).toHaveBeenCalledTimes(2)
        controller.abort()
        await owner
      }
    )

    it('lets a caller that joins a stuck refresh stop waiting when it aborts', async () => {
      useFakeTimers()
      const provider = vi.fn(() => new Promise<AwsCredentials>(() => {}))
      const sm = testClient({ credentials: provider })
      const ownerAbort = new AbortController()
      const owner = rejection(sm.listSecrets({}, { signal: ownerAbort.signal }))
      const controller = new AbortController()
      const joiner = rejection(sm.listSecrets({}, { signal: controller.signal }))
      await until(() => vi.getTimerCount() === 1)
      const reason = new Error('gone')
      controller.abort(reason)
      expect(await joiner).toBe(reason)
      // Its bounded wait's timer is cleared with it.
      expect(vi.getTimerCount()).toBe(0)
      expect(provider).toHaveBeenCalledTimes(1)
      ownerAbort.abort()
      await owner
    })

    it('keeps using unexpired credentials when an early refresh fails', async () => {
      let nowMs = T0
      const provider = vi
        .fn<() => Promise<{ accessKeyId: string; secretAccessKey: string; expiration: Date }>>()
        .mockResolvedValueOnce({ ...CREDENTIALS, expiration: new Date(T0 + 10 * 60_000) })
        .mockRejectedValue(new Error('STS down'))
      const calls = mockService()
      const sm = testClient({ credentials: provider, now: () => nowMs })
      await sm.listSecrets()
      nowMs = T0 + 6 * 60_000 // inside the refresh window, not yet expired
      await sm.listSecrets()
      expect(provider).toHaveBeenCalledTimes(2)
      expect(calls).toHaveLength(2)
      nowMs = T0 + 10 * 60_000 // expired
      expect(await rejection(sm.listSecrets())).toMatchObject({ code: 'CredentialsProviderError' })
    })
  })

  describe('paginateListSecrets', () => {
    it('follows NextToken through empty pages until it is absent', async () => {
      const pages: Record<string, object> = {
        '': { SecretList: [{ Name: 'a', CreatedDate: 1 }], NextToken: 't1' },
        t1: { SecretList: [], NextToken: 't2' },
        t2: { SecretList: [{ Name: 'b' }], NextToken: null },
      }
      const calls = mockService((call) =>
        HttpResponse.json(pages[String(call.body.NextToken ?? '')])
      )
      const names: string[] = []
      for await (const page of testClient().paginateListSecrets({ MaxResults: 1 })) {
        for (const secret of page.SecretList ?? []) names.push(secret.Name ?? '')
      }
      expect(names).toEqual(['a', 'b'])
      expect(calls.map((c) => c.body)).toEqual([
        { MaxResults: 1 },
        { MaxResults: 1, NextToken: 't1' },
        { MaxResults: 1, NextToken: 't2' },
      ])
    })

    it('fails instead of looping when the same NextToken comes back', async () => {
      mockService(() => HttpResponse.json({ SecretList: [], NextToken: 'same' }))
      const pages = testClient().paginateListSecrets({ NextToken: 'same' })
      const error = await rejection(
        (async () => {
          for await (const _ of pages) {
            // drain
          }
        })()
      )
      expect(isSecretsManagerError(error, 'InvalidResponseError')).toBe(true)
    })
  })

  describe('getSecretString / getSecretBinary / getSecretJson', () => {
    it('reads the requested version', async () => {
      const calls = mockService(() => HttpResponse.json({ SecretString: '{"user":"app"}' }))
      const sm = testClient()
      await expect(sm.getSecretString('n', { VersionStage: 'AWSPREVIOUS' })).resolves.toBe(
        '{"user":"app"}'
      )
      await expect(
        sm.getSecretJson<{ user: string }>('n', { VersionId: 'v'.repeat(32) })
      ).resolves.toEqual({
        user: 'app',
      })
      expect(calls.map((c) => c.body)).toEqual([
        { SecretId: 'n', VersionStage: 'AWSPREVIOUS' },
        { SecretId: 'n', VersionId: 'v'.repeat(32) },
      ])
    })

    it('returns bytes for binary secrets, and UTF-8 for string secrets', async () => {
      mockService((call) =>
        HttpResponse.json(
          call.body.SecretId === 'bin' ? { SecretBinary: 'AAH/' } : { SecretString: 'é' }
        )
      )
      await expect(testClient().getSecretBinary('bin')).resolves.toEqual(
        new Uint8Array([0, 1, 255])
      )
      await expect(testClient().getSecretBinary('str')).resolves.toEqual(
        new Uint8Array([0xc3, 0xa9])
      )
    })

    it.each([
      ['no value member', { ARN: 'arn:x', Name: 'n', VersionId: 'v'.repeat(32) }],
      ['null value members', { Name: 'n', SecretString: null, SecretBinary: null }],
    ])('fails with InvalidResponseError for a response with %s', async (_, body) => {
      mockService(() => HttpResponse.json(body))
      const sm = testClient()
      for (const method of ['getSecretString', 'getSecretBinary', 'getSecretJson'] as const) {
        const error = await rejection(sm[method]('n'))
        expect(error).toMatchObject({ code: 'InvalidResponseError', retryable: false })
        expect((error as Error).message).toBe(
          `${method} failed with InvalidResponseError: GetSecretValue returned no value for secret "n"`
        )
      }
    })

    it('refuses to read a binary secret as a string', async () => {
      mockService(() => HttpResponse.json({ SecretBinary: 'AAH/' }))
      const error = await rejection(testClient().getSecretString('bin'))
      expect(isSecretsManagerError(error, 'UnexpectedSecretTypeError')).toBe(true)
      expect(String(error)).toContain('"bin"')
    })

    it('names the secret but never quotes its value when it is not JSON', async () => {
      mockService(() => HttpResponse.json({ SecretString: 'hunter2 is not json' }))
      const error = await rejection(testClient().getSecretJson('prod/app/db'))
      expect(isSecretsManagerError(error, 'InvalidJsonError')).toBe(true)
      expect((error as Error).message).toContain('"prod/app/db"')
      expect((error as Error).message).not.toContain('hunter2')
      expect((error as Error).cause).toBeUndefined()
    })

    it('passes service errors through', async () => {
      mockService(() => awsError('ResourceNotFoundException'))
      const error = await rejection(testClient().getSecretJson('missing'))
      expect(isSecretsManagerError(error, 'ResourceNotFoundException')).toBe(true)
    })
  })

  describe('writeSecret', () => {
    it('puts a new version of an existing secret', async () => {
      const calls = mockService(() => HttpResponse.json({ ARN: 'arn', Name: 'n', VersionId: 'v' }))
      await expect(testClient().writeSecret('n', 'value')).resolves.toEqual({
        ARN: 'arn',
        Name: 'n',
        VersionId: 'v',
        created: false,
      })
      expect(calls.map((c) => c.target)).toEqual(['PutSecretValue'])
      expect(calls[0]?.body).toMatchObject({ SecretId: 'n', SecretString: 'value' })
    })

    it('creates the secret when it does not exist, with the same token', async () => {
      const calls = mockService((call) =>
        call.target === 'PutSecretValue'
          ? awsError('ResourceNotFoundException')
          : HttpResponse.json({ ARN: 'arn', Name: 'n', VersionId: call.body.ClientRequestToken })
      )
      const result = await testClient().writeSecret('n', new Uint8Array([1, 2]), {
        Description: 'made by writeSecret',
        Tags: [{ Key: 'team', Value: 'a' }],
      })
      expect(result.created).toBe(true)
      expect(calls.map((c) => c.target)).toEqual(['PutSecretValue', 'CreateSecret'])
      expect(calls[1]?.body).toEqual({
        Name: 'n',
        ClientRequestToken: calls[0]?.body.ClientRequestToken,
        SecretBinary: 'AQI=',
        Description: 'made by writeSecret',
        Tags: [{ Key: 'team', Value: 'a' }],
      })
      expect(result.VersionId).toBe(calls[0]?.body.ClientRequestToken)
    })

    it('puts again when another writer created the secret first', async () => {
      const calls = mockService((call, n) =>
        n === 1
          ? awsError('ResourceNotFoundException')
          : call.target === 'CreateSecret'
            ? awsError('ResourceExistsException')
            : HttpResponse.json({ VersionId: 'v' })
      )
      await expect(testClient().writeSecret('n', 's')).resolves.toEqual({
        VersionId: 'v',
        created: false,
      })
      expect(calls.map((c) => c.target)).toEqual([
        'PutSecretValue',
        'CreateSecret',
        'PutSecretValue',
      ])
    })

    it('does not create on other errors', async () => {
      const calls = mockService(() =>
        awsError('InvalidRequestException', 400, 'scheduled for deletion')
      )
      const error = await rejection(testClient().writeSecret('n', 's'))
      expect(isSecretsManagerError(error, 'InvalidRequestException')).toBe(true)
      expect(calls).toHaveLength(1)
    })
  })
})
