// The behaviours of the unit suite of aws/aws-secretsmanager-caching-python (test/unit, 42
// tests), ported to SecretCache. Each `it` names the Python test it ports. The Python library
// calls DescribeSecret and then GetSecretValue per version; SecretCache calls GetSecretValue for
// the stage only, so "no such version" is a ResourceNotFoundException from that call. Time comes
// from an injected `now`; nothing here uses fake timers or reads the wall clock.
import { describe, expect, it, vi } from 'vitest'
import {
  type CacheReadOptions,
  MemoryStore,
  SecretCache,
  type SecretCacheCodec,
  type SecretCacheOptions,
  withSecretJson,
  withSecretString,
} from '../../../src/cache/index.js'
import { SecretsManagerError } from '../../../src/client/errors.js'
import type { GetSecretValueRequest, GetSecretValueResponse } from '../../../src/client/types.js'

// A clock far from the wall clock, so a deadline measured with Date.now would show.
const START_MS = Date.UTC(2001, 0, 1)
const HOUR_MS = 3_600_000
const VERSION_ID = '01234567890123456789012345678901'

type Responder = (input: GetSecretValueRequest) => GetSecretValueResponse | Error

// A Secrets Manager double with only GetSecretValue (there is no DescribeSecret to call). It
// records each call and answers after a real macrotask, so concurrent reads interleave; while
// held, calls wait until released instead.
class FakeClient {
  readonly calls: GetSecretValueRequest[] = []
  respond: Responder
  #gate: Promise<void> | undefined

  constructor(respond: Responder) {
    this.respond = respond
  }

  async getSecretValue(input: GetSecretValueRequest): Promise<GetSecretValueResponse> {
    this.calls.push({ ...input })
    if (this.#gate !== undefined) await this.#gate
    else await new Promise((resolve) => setTimeout(resolve, 0))
    const answer = this.respond(input)
    if (answer instanceof Error) throw answer
    const copy = { ...answer }
    if (answer.SecretBinary !== undefined) copy.SecretBinary = answer.SecretBinary.slice()
    return copy
  }

  // Makes the next calls wait; the returned function lets them (and later calls) go on.
  hold(): () => void {
    let release!: () => void
    this.#gate = new Promise((resolve) => {
      release = resolve
    })
    return () => {
      this.#gate = undefined
      release()
    }
  }

  callsFor(SecretId: string): number {
    return this.calls.filter((call) => call.SecretId === SecretId).length
  }
}

function secretString(SecretString: string, VersionId = VERSION_ID): Responder {
  return () => ({ Name: 'test', VersionId, SecretString, VersionStages: ['AWSCURRENT'] })
}

function notFound(detail = "Secrets Manager can't find the specified secret."): Error {
  return new SecretsManagerError({
    operation: 'GetSecretValue',
    code: 'ResourceNotFoundException',
    status: 400,
    detail,
  })
}

function throttled(): Error {
  return new SecretsManagerError({ operation: 'GetSecretValue', code: 'ThrottlingException' })
}

interface Harness {
  client: FakeClient
  cache: SecretCache
  clock: { ms: number }
  opts: CacheReadOptions
  read(secretId?: string, opts?: CacheReadOptions): Promise<string>
  // Waits for the background work handed to `waitUntil` (refreshes, store writes).
  settle(): Promise<void>
}

function harness(
  respond: Responder,
  options: Omit<SecretCacheOptions, 'client'> = {},
  startMs = START_MS
): Harness {
  const client = new FakeClient(respond)
  const clock = { ms: startMs }
  const pending: Promise<unknown>[] = []
  const opts: CacheReadOptions = { waitUntil: (promise) => pending.push(promise) }
  const cache = new SecretCache({ client, now: () => clock.ms, random: () => 0, ...options })
  return {
    client,
    cache,
    clock,
    opts,
    read: (secretId = 'test', extra = {}) => cache.getSecretString(secretId, { ...opts, ...extra }),
    settle: async () => {
      while (pending.length > 0) await Promise.all(pending.splice(0))
    },
  }
}

// Whether `promise` settles within a few event-loop turns: true for work made of promise
// callbacks, false for anything that sleeps on a timer (Python's refresh_secret_now sleeps
// 2.5–5 s). Counts turns, not time.
async function settlesPromptly(promise: Promise<unknown>): Promise<boolean> {
  let settled = false
  promise.then(
    () => {
      settled = true
    },
    () => {
      settled = true
    }
  )
  for (let turn = 0; turn < 20 && !settled; turn++) {
    await new Promise((resolve) => setImmediate(resolve))
  }
  return settled
}

async function turnsUntil(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 100 && !condition(); turn++) {
    await new Promise((resolve) => setImmediate(resolve))
  }
  expect(condition()).toBe(true)
}

async function rejection(promise: Promise<unknown>): Promise<SecretsManagerError> {
  try {
    await promise
  } catch (error) {
    return error as SecretsManagerError
  }
  throw new Error('expected a rejection')
}

describe('SecretCache, ported from aws-secretsmanager-caching-python', () => {
  describe('test_aws_secretsmanager_caching.py', () => {
    it('requires an injected client instead of building a default session', () => {
      // test_aws_secretsmanager_caching.py::test_default_session
      expect(() => new SecretCache(undefined as unknown as SecretCacheOptions)).toThrow(
        new TypeError('client is a required option')
      )
      expect(() => new SecretCache({} as SecretCacheOptions)).toThrow(
        new TypeError('client is a required option')
      )
      expect(() => new SecretCache({ client: {} as unknown as FakeClient })).toThrow(
        new TypeError('client must have a getSecretValue method')
      )
    })

    it('accepts any object with getSecretValue and calls nothing when built', () => {
      // test_aws_secretsmanager_caching.py::test_client_stub
      const client = new FakeClient(secretString('mysecret'))
      const cache = new SecretCache({ client })
      expect(client.calls).toEqual([])
      expect(cache.stats().upstreamCalls).toBe(0)
    })

    it('rejects with the upstream ResourceNotFoundException when the secret has nothing to read', async () => {
      // test_aws_secretsmanager_caching.py::test_get_secret_string_none
      const error = notFound()
      const { client, read } = harness(() => error)
      await expect(read()).rejects.toBe(error)
      // One GetSecretValue for the default stage, and no DescribeSecret round trip.
      expect(client.calls).toEqual([{ SecretId: 'test', VersionStage: 'AWSCURRENT' }])
    })

    it('rejects with InvalidResponseError when the answer carries no value', async () => {
      // test_aws_secretsmanager_caching.py::test_get_secret_string_missing
      const { read } = harness(() => ({
        Name: 'test',
        VersionId: VERSION_ID,
        VersionStages: ['AWSCURRENT'],
      }))
      const error = await rejection(read())
      expect(error).toBeInstanceOf(SecretsManagerError)
      expect(error.code).toBe('InvalidResponseError')
      expect(error.message).toContain('"test"')
    })

    it('rejects a read of AWSCURRENT when only another stage exists', async () => {
      // test_aws_secretsmanager_caching.py::test_get_secret_string_no_current
      const { client, read } = harness((input) =>
        input.VersionStage === 'NOTCURRENT'
          ? {
              Name: 'test',
              VersionId: VERSION_ID,
              SecretString: 'old',
              VersionStages: ['NOTCURRENT'],
            }
          : notFound(
              `can't find the specified secret value for staging label: ${input.VersionStage}`
            )
      )
      const error = await rejection(read())
      expect(error.code).toBe('ResourceNotFoundException')
      expect(client.calls).toEqual([{ SecretId: 'test', VersionStage: 'AWSCURRENT' }])
      await expect(read('test', { VersionStage: 'NOTCURRENT' })).resolves.toBe('old')
    })

    it('remembers a secret without versions for the backoff delay, then reads it once it has one', async () => {
      // test_aws_secretsmanager_caching.py::test_get_secret_string_no_versions
      const { client, clock, read } = harness(() => notFound())
      expect((await rejection(read())).code).toBe('ResourceNotFoundException')
      client.respond = secretString('mysecret')
      clock.ms += 999
      expect((await rejection(read())).code).toBe('ResourceNotFoundException')
      expect(client.calls).toHaveLength(1)
      clock.ms += 1
      await expect(read()).resolves.toBe('mysecret')
      expect(client.calls).toHaveLength(2)
    })

    it('caches an empty answer, and reading a string or bytes from it fails', async () => {
      // test_aws_secretsmanager_caching.py::test_get_secret_string_empty
      const { cache, client, read } = harness(() => ({}))
      expect((await rejection(read())).code).toBe('InvalidResponseError')
      expect((await rejection(cache.getSecretBinary('test'))).code).toBe('InvalidResponseError')
      await expect(cache.getSecretValue('test')).resolves.toEqual({})
      expect(client.calls).toHaveLength(1)
    })

    it('returns the secret string on every read, with one upstream call', async () => {
      // test_aws_secretsmanager_caching.py::test_get_secret_string
      const { cache, client, read } = harness(secretString('mysecret'))
      for (let i = 0; i < 10; i++) await expect(read()).resolves.toBe('mysecret')
      expect(client.calls).toHaveLength(1)
      expect(cache.stats()).toMatchObject({ misses: 1, memoryHits: 9, upstreamCalls: 1 })
    })

    it('keeps returning the secret with a short refresh interval, refreshing in the background', async () => {
      // test_aws_secretsmanager_caching.py::test_get_secret_string_refresh
      const { client, clock, read, settle } = harness(secretString('mysecret'), {
        refreshIntervalMs: 1000,
      })
      await expect(read()).resolves.toBe('mysecret')
      for (let i = 1; i < 10; i++) {
        clock.ms += 1000
        // The refresh is held upstream; the read does not wait for it.
        const release = client.hold()
        await expect(read()).resolves.toBe('mysecret')
        expect(client.calls).toHaveLength(i + 1)
        release()
        await settle()
      }
      expect(client.calls).toHaveLength(10)
    })

    it('reads an explicit AWSCURRENT stage from the same entry as the default', async () => {
      // test_aws_secretsmanager_caching.py::test_get_secret_string_stage
      const { client, read } = harness(secretString('mysecret'))
      for (let i = 0; i < 10; i++) {
        await expect(read('test', { VersionStage: 'AWSCURRENT' })).resolves.toBe('mysecret')
      }
      await expect(read()).resolves.toBe('mysecret')
      expect(client.calls).toEqual([{ SecretId: 'test', VersionStage: 'AWSCURRENT' }])
    })

    it('answers 100 reads of a missing secret with one upstream call', async () => {
      // test_aws_secretsmanager_caching.py::test_get_secret_string_multiple
      const error = notFound()
      const { client, read } = harness(() => error)
      const concurrent = await Promise.allSettled(Array.from({ length: 100 }, () => read()))
      expect(concurrent.every((r) => r.status === 'rejected' && r.reason === error)).toBe(true)
      for (let i = 0; i < 100; i++) await expect(read()).rejects.toBe(error)
      expect(client.calls).toHaveLength(1)
    })

    it('returns the secret bytes on every read, as a fresh copy, with one upstream call', async () => {
      // test_aws_secretsmanager_caching.py::test_get_secret_binary
      const secret = new TextEncoder().encode('01010101')
      const { cache, client } = harness(() => ({
        Name: 'test',
        VersionId: VERSION_ID,
        SecretBinary: secret,
      }))
      for (let i = 0; i < 10; i++) {
        const bytes = await cache.getSecretBinary('test')
        expect(bytes).toEqual(secret)
        bytes.fill(0)
      }
      expect(client.calls).toHaveLength(1)
    })

    it('rejects a binary read of a secret without versions, remembered at most missingSecretTtlMs', async () => {
      // test_aws_secretsmanager_caching.py::test_get_secret_binary_no_versions
      const { cache, client, clock } = harness(() => notFound(), { retryDelayBaseMs: 600_000 })
      expect((await rejection(cache.getSecretBinary('test'))).code).toBe(
        'ResourceNotFoundException'
      )
      clock.ms += 59_999
      expect((await rejection(cache.getSecretBinary('test'))).code).toBe(
        'ResourceNotFoundException'
      )
      expect(client.calls).toHaveLength(1)
      clock.ms += 1
      expect((await rejection(cache.getSecretBinary('test'))).code).toBe(
        'ResourceNotFoundException'
      )
      expect(client.calls).toHaveLength(2)
    })

    it('refreshNow refetches without sleeping and moves the refresh deadline later', async () => {
      // test_aws_secretsmanager_caching.py::test_refresh_secret_now
      const { client, clock, opts, cache, read, settle } = harness(secretString('v1'))
      await expect(read()).resolves.toBe('v1') // due at START + 30 min
      clock.ms += 1000
      client.respond = secretString('v2', 'v2-id')
      const release = client.hold()
      const refreshing = cache.refreshNow('test', opts)
      await turnsUntil(() => client.calls.length === 2)
      release()
      expect(await settlesPromptly(refreshing)).toBe(true)
      await expect(refreshing).resolves.toBe(true)
      await expect(read()).resolves.toBe('v2')
      // The old deadline has passed, the new one (START + 1 s + 30 min) has not.
      clock.ms = START_MS + HOUR_MS / 2
      await expect(read()).resolves.toBe('v2')
      expect(client.calls).toHaveLength(2)
      clock.ms = START_MS + 1000 + HOUR_MS / 2
      await read()
      await settle()
      expect(client.calls).toHaveLength(3)
    })

    it('rejects with the upstream error on each read after its backoff delay', async () => {
      // test_aws_secretsmanager_caching.py::test_get_secret_string_exception
      const errors: Error[] = []
      const { cache, client, clock } = harness(() => {
        errors.push(throttled())
        return errors.at(-1) as Error
      })
      for (const [i, delayMs] of [1000, 2000, 4000].entries()) {
        const error = await rejection(cache.getSecretBinary('test'))
        expect(client.calls).toHaveLength(i + 1)
        expect(error).toBe(errors[i])
        clock.ms += delayMs - 1
        await expect(cache.getSecretBinary('test')).rejects.toBe(errors[i])
        expect(client.calls).toHaveLength(i + 1)
        clock.ms += 1
      }
    })
  })

  describe('test_cache_hook.py (the codec option)', () => {
    // Base64 under a marker: the store never sees the plain entry.
    const codec = (calls: string[]): SecretCacheCodec => ({
      encode: async (text) => {
        calls.push('encode')
        return `enc:${btoa(text)}`
      },
      decode: (stored) => {
        calls.push('decode')
        if (!stored.startsWith('enc:')) throw new Error('not ours')
        return atob(stored.slice(4))
      },
    })
    const KEY = { SecretId: 'test', VersionStage: 'AWSCURRENT' }

    it('stores a string secret encoded, and another cache on the store reads it decoded', async () => {
      // test_cache_hook.py::test_calls_hook_string
      const store = new MemoryStore()
      const codecCalls: string[] = []
      const a = harness(secretString('mysecret'), { store, codec: codec(codecCalls) })
      for (let i = 0; i < 10; i++) await expect(a.read()).resolves.toBe('mysecret')
      await a.settle()
      expect(a.client.calls).toHaveLength(1)
      const stored = (await store.get(KEY)) as string
      expect(stored).toMatch(/^enc:/)
      expect(stored).not.toContain('mysecret')
      expect(atob(stored.slice(4))).toContain('"SecretString":"mysecret"')

      const b = harness(() => new Error('b must read the store'), {
        store,
        codec: codec(codecCalls),
      })
      for (let i = 0; i < 10; i++) await expect(b.read()).resolves.toBe('mysecret')
      expect(b.client.calls).toHaveLength(0)
      expect(b.cache.stats()).toMatchObject({ storeHits: 1, memoryHits: 9 })
      expect(codecCalls.filter((c) => c === 'encode')).toHaveLength(1)
    })

    it('stores a binary secret encoded, and another cache on the store reads the same bytes', async () => {
      // test_cache_hook.py::test_calls_hook_binary
      const secret = new TextEncoder().encode('01010101')
      const store = new MemoryStore()
      const a = harness(() => ({ Name: 'test', VersionId: VERSION_ID, SecretBinary: secret }), {
        store,
        codec: codec([]),
      })
      for (let i = 0; i < 10; i++) {
        await expect(a.cache.getSecretBinary('test', a.opts)).resolves.toEqual(secret)
      }
      await a.settle()
      const stored = (await store.get(KEY)) as string
      expect(stored).toMatch(/^enc:/)
      expect(stored).not.toContain(btoa('01010101').replace(/=+$/, ''))
      expect(stored).not.toContain('01010101')

      const b = harness(() => new Error('b must read the store'), { store, codec: codec([]) })
      for (let i = 0; i < 10; i++) {
        await expect(b.cache.getSecretBinary('test', b.opts)).resolves.toEqual(secret)
      }
      expect(b.client.calls).toHaveLength(0)
    })
  })

  describe('test_config.py (constructor options)', () => {
    const client = new FakeClient(secretString('mysecret'))

    it('rejects out-of-range options with a TypeError', () => {
      // test_config.py::test_simple_config
      const options: SecretCacheOptions = {
        client,
        // @ts-expect-error Python's run-time TypeError for an unknown keyword is a type error here.
        no: 'one',
      }
      for (const bad of [
        { maxEntries: 0 },
        { maxEntries: 1.5 },
        { maxEntries: -1 },
        { refreshIntervalMs: -1 },
        { refreshIntervalMs: Number.NaN },
        { retryDelayBaseMs: -1 },
        { retryDelayMaxMs: -1 },
        { retryGrowthFactor: 0.5 },
        { missingSecretTtlMs: -1 },
        { memoryTtlMs: -1 },
        { defaultVersionStage: '' },
        { waiterTimeoutMs: 0 },
      ]) {
        expect(() => new SecretCache({ ...options, ...bad }), JSON.stringify(bad)).toThrow(
          TypeError
        )
      }
    })

    it('reads the configured default stage, and an explicit stage overrides it', async () => {
      // test_config.py::test_config_default_version_stage
      const { client, read } = harness(secretString('mysecret'), { defaultVersionStage: 'nothing' })
      await read()
      await read('test', { VersionStage: 'nothing' })
      await read('test', { VersionStage: 'AWSCURRENT' })
      expect(client.calls).toEqual([
        { SecretId: 'test', VersionStage: 'nothing' },
        { SecretId: 'test', VersionStage: 'AWSCURRENT' },
      ])
      const plain = harness(secretString('mysecret'))
      await plain.read()
      expect(plain.client.calls).toEqual([{ SecretId: 'test', VersionStage: 'AWSCURRENT' }])
    })

    it('defaults to whole milliseconds: 1 h refresh, 1 s backoff doubling to 1 h, 1024 entries', async () => {
      // test_config.py::test_default_secret_refresh_interval_typing
      // Refresh: due at a random point between 30 min and 1 h after the fetch.
      const early = harness(secretString('mysecret'))
      await early.read()
      early.clock.ms = START_MS + HOUR_MS / 2 - 1
      await early.read()
      expect(early.client.calls).toHaveLength(1)
      early.clock.ms = START_MS + HOUR_MS / 2
      await early.read()
      await early.settle()
      expect(early.client.calls).toHaveLength(2)

      const late = harness(secretString('mysecret'), { random: () => 0.999_999_9 })
      await late.read()
      late.clock.ms = START_MS + HOUR_MS - 1
      await late.read()
      expect(late.client.calls).toHaveLength(1)
      late.clock.ms = START_MS + HOUR_MS
      await late.read()
      await late.settle()
      expect(late.client.calls).toHaveLength(2)

      // Backoff: 1 s, 2 s, 4 s, … up to 1 h (from the 13th failure on: 2^12 s > 1 h).
      const failing = harness(() => throttled())
      for (let failures = 1; failures <= 14; failures++) {
        await expect(failing.read()).rejects.toMatchObject({ code: 'ThrottlingException' })
        expect(failing.client.calls).toHaveLength(failures)
        const delayMs = Math.min(1000 * 2 ** (failures - 1), HOUR_MS)
        failing.clock.ms += delayMs - 1
        await expect(failing.read()).rejects.toMatchObject({ code: 'ThrottlingException' })
        expect(failing.client.calls).toHaveLength(failures)
        failing.clock.ms += 1
      }

      // 1024 entries: the 1025th key pushes out the least recently used one.
      const many = harness((input) => ({ Name: input.SecretId, SecretString: input.SecretId }))
      await many.read('key-0')
      const keys = Array.from({ length: 1024 }, (_, i) => `key-${i + 1}`)
      await Promise.all(keys.map((key) => many.read(key)))
      await Promise.all(keys.map((key) => many.read(key)))
      expect(many.client.calls).toHaveLength(1025)
      await expect(many.read('key-0')).resolves.toBe('key-0')
      expect(many.client.calls).toHaveLength(1026)
    })
  })

  describe('test_decorators.py (withSecretJson, withSecretString)', () => {
    const credentials = { username: 'secret_username', password: 'secret_password' }

    it('withSecretJson passes the JSON keys under the parameter names', async () => {
      // test_decorators.py::test_valid_json
      const { cache } = harness(secretString(JSON.stringify(credentials)))
      const fn = vi.fn((_values: Record<string, unknown>, keyworded = 'foo') => `OK:${keyworded}`)
      const wrapped = withSecretJson(
        cache,
        'test',
        { funcUsername: 'username', funcPassword: 'password' },
        fn
      )
      await expect(wrapped()).resolves.toBe('OK:foo')
      expect(fn).toHaveBeenCalledWith({
        funcUsername: 'secret_username',
        funcPassword: 'secret_password',
      })
    })

    it("withSecretJson passes the caller's arguments after the secret values", async () => {
      // test_decorators.py::test_valid_json_with_mixed_args
      const { cache } = harness(secretString(JSON.stringify(credentials)))
      const seen: unknown[] = []
      const wrapped = withSecretJson(
        cache,
        'test',
        { arg2: 'username', arg3: 'password' },
        ({ arg2, arg3 }, arg1: string, arg4 = 'bar') => {
          seen.push(arg1, arg2, arg3, arg4)
        }
      )
      await wrapped('foo')
      expect(seen).toEqual(['foo', 'secret_username', 'secret_password', 'bar'])
    })

    it('withSecretJson reads through the cache on each call, not once when wrapping', async () => {
      // test_decorators.py::test_valid_json_with_no_secret_kwarg
      const { cache, client } = harness(secretString(JSON.stringify(credentials)))
      const wrapped = withSecretJson(cache, 'test', { user: 'username' }, ({ user }) => user)
      expect(client.calls).toHaveLength(0)
      await expect(wrapped()).resolves.toBe('secret_username')
      await expect(wrapped()).resolves.toBe('secret_username')
      expect(client.calls).toHaveLength(1)
      client.respond = secretString(JSON.stringify({ username: 'rotated_username' }), 'v2')
      await cache.invalidate('test')
      await expect(wrapped()).resolves.toBe('rotated_username')
    })

    it('withSecretJson fails with InvalidJsonError naming the secret, not the value, and does not call fn', async () => {
      // test_decorators.py::test_invalid_json
      for (const value of ['not json', '"just a string"', '[1, 2]', 'null']) {
        const { cache } = harness(secretString(value))
        const fn = vi.fn()
        const wrapped = withSecretJson(
          cache,
          'test',
          { funcUsername: 'username', funcPassword: 'password' },
          fn
        )
        const error = await rejection(wrapped())
        expect(error).toBeInstanceOf(SecretsManagerError)
        expect(error.code).toBe('InvalidJsonError')
        expect(error.message).toContain('"test"')
        expect(error.message).not.toContain(value)
        expect(fn).not.toHaveBeenCalled()
      }
    })

    it('withSecretJson fails with MissingJsonKeyError naming the secret and key, not the value', async () => {
      // test_decorators.py::test_missing_key
      const { cache } = harness(secretString(JSON.stringify({ username: 'secret_username' })))
      const fn = vi.fn()
      const wrapped = withSecretJson(
        cache,
        'test',
        { funcUsername: 'username', funcPassword: 'password' },
        fn
      )
      const error = await rejection(wrapped())
      expect(error).toBeInstanceOf(SecretsManagerError)
      expect(error.code).toBe('MissingJsonKeyError')
      expect(error.message).toContain('"test"')
      expect(error.message).toContain('"password"')
      expect(error.message).not.toContain('secret_username')
      expect(fn).not.toHaveBeenCalled()
    })

    it('withSecretString passes the secret first, then the arguments', async () => {
      // test_decorators.py::test_string
      const { cache } = harness(secretString('not json'))
      const fn = vi.fn((_secret: string, _arg2: string, _arg3: string) => 'OK')
      const wrapped = withSecretString(cache, 'test', fn)
      await expect(wrapped('foo', 'bar')).resolves.toBe('OK')
      expect(fn).toHaveBeenCalledWith('not json', 'foo', 'bar')
    })

    it('withSecretString passes an options argument through as it is', async () => {
      // test_decorators.py::test_string_with_additional_kwargs
      const { cache } = harness(secretString('not json'))
      const fn = vi.fn((_secret: string, _named: { arg2: string; arg3: string }) => undefined)
      const named = { arg2: 'foo', arg3: 'bar' }
      await withSecretString(cache, 'test', fn)(named)
      expect(fn).toHaveBeenCalledTimes(1)
      expect(fn.mock.calls[0]?.[0]).toBe('not json')
      expect(fn.mock.calls[0]?.[1]).toBe(named)
    })

    it('withSecretString keeps `this` of a method through an arrow function or bind', async () => {
      // test_decorators.py::test_string_with_class_method
      const { cache } = harness(secretString('not json'))
      class Service {
        readonly name = 'service'
        call = withSecretString(
          cache,
          'test',
          (secret: string, arg2: string, arg3: string) => `${this.name}:${secret}:${arg2}:${arg3}`
        )
      }
      await expect(new Service().call('foo', 'bar')).resolves.toBe('service:not json:foo:bar')
      const object = {
        name: 'object',
        method(this: { name: string }, secret: string, arg2: string) {
          return `${this.name}:${secret}:${arg2}`
        },
      }
      const bound = withSecretString(cache, 'test', object.method.bind(object))
      await expect(bound('foo')).resolves.toBe('object:not json:foo')
    })
  })

  describe('test_items.py (refresh and backoff deadlines)', () => {
    it('holds nothing and no error until the first read, which goes upstream', async () => {
      // test_items.py::test_simple
      const { cache, client, read } = harness(secretString('mysecret'))
      expect(Object.values(cache.stats()).every((n) => n === 0)).toBe(true)
      expect(client.calls).toHaveLength(0)
      await expect(read()).resolves.toBe('mysecret')
      expect(cache.stats()).toMatchObject({ misses: 1, upstreamCalls: 1 })
    })

    it('raises a remembered failure until a success clears it and its backoff count', async () => {
      // test_items.py::test_simple_2
      const first = throttled()
      const { client, clock, read, settle } = harness(() => first)
      await expect(read()).rejects.toBe(first)
      clock.ms += 500
      await expect(read()).rejects.toBe(first)
      expect(client.calls).toHaveLength(1)
      clock.ms += 500
      client.respond = secretString('v1')
      await expect(read()).resolves.toBe('v1')
      expect(client.calls).toHaveLength(2)
      // The next failure backs off 1 s again, not 2 s.
      clock.ms += HOUR_MS / 2
      client.respond = () => throttled()
      await expect(read()).resolves.toBe('v1')
      await settle()
      expect(client.calls).toHaveLength(3)
      clock.ms += 999
      await expect(read()).resolves.toBe('v1')
      expect(client.calls).toHaveLength(3)
      clock.ms += 1
      await expect(read()).resolves.toBe('v1')
      await settle()
      expect(client.calls).toHaveLength(4)
    })

    it('refreshNow replaces a late deadline with a new jittered one, and returns false on failure', async () => {
      // test_items.py::test_refresh_now
      let random = 0.999_999
      const { cache, client, clock, opts, read, settle } = harness(secretString('v1'), {
        random: () => random,
      })
      await read() // due just before START + 1 h
      random = 0
      clock.ms += 1000
      client.respond = secretString('v2', 'v2-id')
      const release = client.hold()
      const refreshing = cache.refreshNow('test', opts)
      await turnsUntil(() => client.calls.length === 2)
      release()
      expect(await settlesPromptly(refreshing)).toBe(true)
      await expect(refreshing).resolves.toBe(true)

      // A failing refreshNow does not wait for the backoff, and keeps the value.
      client.respond = () => throttled()
      await expect(cache.refreshNow('test', opts)).resolves.toBe(false)
      await expect(cache.refreshNow('test', opts)).resolves.toBe(false)
      expect(client.calls).toHaveLength(4)
      await expect(read()).resolves.toBe('v2')
      expect(client.calls).toHaveLength(4)

      // Due at START + 1 s + 30 min, well before the old deadline.
      client.respond = secretString('v3', 'v3-id')
      clock.ms = START_MS + 1000 + HOUR_MS / 2 - 1
      await expect(read()).resolves.toBe('v2')
      expect(client.calls).toHaveLength(4)
      clock.ms += 1
      await expect(read()).resolves.toBe('v2')
      await settle()
      expect(client.calls).toHaveLength(5)
      await expect(read()).resolves.toBe('v3')
    })

    it('retries a failed refresh once the backoff deadline equals the injected now', async () => {
      // test_items.py::test_datetime_fix_is_refresh_needed
      const { client, clock, read, settle } = harness(secretString('v1'), {
        refreshIntervalMs: 1000,
      })
      await read() // due at START + 500 ms
      clock.ms += 500
      client.respond = () => throttled()
      await expect(read()).resolves.toBe('v1')
      await settle()
      expect(client.calls).toHaveLength(2)
      clock.ms += 999
      await expect(read()).resolves.toBe('v1')
      expect(client.calls).toHaveLength(2)
      clock.ms += 1
      client.respond = secretString('v2', 'v2-id')
      await expect(read()).resolves.toBe('v1')
      await settle()
      expect(client.calls).toHaveLength(3)
      await expect(read()).resolves.toBe('v2')
    })

    it('backs off base × factor^(n-1) on the injected clock: 2048 ms after 12 failures', async () => {
      // test_items.py::test_datetime_fix_refresh
      const { client, clock, read } = harness(() => throttled(), {
        retryDelayBaseMs: 1,
        retryGrowthFactor: 2,
      })
      let delayMs = 0
      for (let failures = 1; failures <= 12; failures++) {
        await expect(read()).rejects.toMatchObject({ code: 'ThrottlingException' })
        expect(client.calls).toHaveLength(failures)
        delayMs = 2 ** (failures - 1)
        clock.ms += delayMs - 1
        await expect(read()).rejects.toMatchObject({ code: 'ThrottlingException' })
        expect(client.calls).toHaveLength(failures)
        clock.ms += 1
      }
      expect(delayMs).toBe(2048)
      await expect(read()).rejects.toMatchObject({ code: 'ThrottlingException' })
      expect(client.calls).toHaveLength(13)
    })

    it('treats a key never read as due at once, and counts freshness on the injected clock', async () => {
      // test_items.py::test_datetime_fix_SCI_init
      // A clock at 0, decades before the wall clock: a deadline taken from Date.now would show.
      const { cache, client, clock, read, settle } = harness(secretString('mysecret'), {}, 0)
      await read()
      expect(cache.stats()).toMatchObject({ misses: 1, upstreamCalls: 1 })
      clock.ms = HOUR_MS / 2 - 1
      await read()
      expect(client.calls).toHaveLength(1)
      clock.ms = HOUR_MS / 2
      await read()
      await settle()
      expect(client.calls).toHaveLength(2)
    })

    it('refreshes an entry without failures once its deadline equals the injected now', async () => {
      // test_items.py::test_datetime_fix_refresh_needed
      const { client, clock, read } = harness(secretString('v1'), {
        refreshIntervalMs: 1000,
        staleWhileRefresh: false,
      })
      await read()
      clock.ms += 499
      await expect(read()).resolves.toBe('v1')
      expect(client.calls).toHaveLength(1)
      clock.ms += 1
      client.respond = secretString('v2', 'v2-id')
      await expect(read()).resolves.toBe('v2')
      expect(client.calls).toHaveLength(2)
    })

    it('sets the next deadline between half and all of the interval after the refresh', async () => {
      // test_items.py::test_datetime_fix_execute_refresh
      let random = 0
      const { client, clock, read, settle } = harness(secretString('v1'), {
        refreshIntervalMs: 1000,
        random: () => random,
      })
      await read()
      // Refreshed at T1 = START + 500 ms with the largest jitter: due just before T1 + 1 s.
      clock.ms += 500
      random = 0.999_999
      await read()
      await settle()
      expect(client.calls).toHaveLength(2)
      const t1 = clock.ms
      clock.ms = t1 + 999
      await read()
      expect(client.calls).toHaveLength(2)
      // Refreshed at T2 = T1 + 1 s with the smallest jitter: due at T2 + 500 ms.
      random = 0
      clock.ms = t1 + 1000
      await read()
      await settle()
      expect(client.calls).toHaveLength(3)
      const t2 = clock.ms
      clock.ms = t2 + 499
      await read()
      expect(client.calls).toHaveLength(3)
      clock.ms = t2 + 500
      await read()
      await settle()
      expect(client.calls).toHaveLength(4)
    })
  })

  describe('test_lru.py (maxEntries)', () => {
    const byId: Responder = (input) => ({
      Name: input.SecretId,
      SecretString: `value-${input.SecretId}`,
    })

    it('keeps the most recently used maxEntries keys and refetches the rest', async () => {
      // test_lru.py::test_lru_cache_max
      const { client, read } = harness(byId, { maxEntries: 10 })
      for (let n = 0; n < 100; n++) await read(`${n}`)
      expect(client.calls).toHaveLength(100)
      for (let n = 90; n < 100; n++) await expect(read(`${n}`)).resolves.toBe(`value-${n}`)
      expect(client.calls).toHaveLength(100)
      for (let n = 0; n < 90; n++) await expect(read(`${n}`)).resolves.toBe(`value-${n}`)
      expect(client.calls).toHaveLength(190)

      const store = new MemoryStore({ maxEntries: 10 })
      for (let n = 0; n < 100; n++) await store.put({ SecretId: `${n}` }, `${n}`)
      expect(store.size).toBe(10)
      for (let n = 0; n < 90; n++) expect(await store.get({ SecretId: `${n}` })).toBeUndefined()
      for (let n = 90; n < 100; n++) expect(await store.get({ SecretId: `${n}` })).toBe(`${n}`)
    })

    it('finds nothing for a key never stored, and the cache then asks upstream', async () => {
      // test_lru.py::test_lru_cache_none
      const store = new MemoryStore({ maxEntries: 10 })
      expect(await store.get({ SecretId: '1' })).toBeUndefined()
      expect(store.size).toBe(0)
      const { cache, client, read } = harness(byId, { maxEntries: 10, store })
      await expect(read('1')).resolves.toBe('value-1')
      expect(client.calls).toHaveLength(1)
      expect(cache.stats()).toMatchObject({ storeReads: 1, storeHits: 0, misses: 1 })
    })

    it('keeps a key that is read after every insertion', async () => {
      // test_lru.py::test_lru_cache_recent
      const { client, read } = harness(byId, { maxEntries: 10 })
      for (let n = 0; n < 100; n++) {
        await read(`${n}`)
        await read('0')
      }
      expect(client.calls).toHaveLength(100)
      for (let n = 91; n < 100; n++) await read(`${n}`)
      await read('0')
      expect(client.calls).toHaveLength(100)
      for (let n = 1; n < 91; n++) await read(`${n}`)
      expect(client.callsFor('0')).toBe(1)
      expect(client.calls).toHaveLength(190)

      const store = new MemoryStore({ maxEntries: 10 })
      for (let n = 0; n < 100; n++) {
        await store.put({ SecretId: `${n}` }, `${n}`)
        await store.get({ SecretId: '0' })
      }
      for (let n = 1; n < 91; n++) expect(await store.get({ SecretId: `${n}` })).toBeUndefined()
      for (let n = 91; n < 100; n++) expect(await store.get({ SecretId: `${n}` })).toBe(`${n}`)
      expect(await store.get({ SecretId: '0' })).toBe('0')
    })

    it('rejects a maxEntries of 0 or null with a TypeError', () => {
      // test_lru.py::test_lru_cache_zero
      const client = new FakeClient(byId)
      for (const maxEntries of [0, null]) {
        const size = maxEntries as unknown as number
        expect(() => new SecretCache({ client, maxEntries: size }), `${maxEntries}`).toThrow(
          new TypeError('maxEntries must be a positive integer')
        )
        expect(() => new MemoryStore({ maxEntries: size }), `${maxEntries}`).toThrow(
          new TypeError('maxEntries must be a positive integer')
        )
      }
    })

    it('with maxEntries 1, keeps only the last key read', async () => {
      // test_lru.py::test_lru_cache_one
      const { client, read } = harness(byId, { maxEntries: 1 })
      for (let n = 0; n < 100; n++) {
        await expect(read(`${n}`)).resolves.toBe(`value-${n}`)
        await expect(read(`${n}`)).resolves.toBe(`value-${n}`)
      }
      expect(client.calls).toHaveLength(100)
      await read('99')
      expect(client.calls).toHaveLength(100)
      for (let n = 0; n < 99; n++) await read(`${n}`)
      expect(client.calls).toHaveLength(199)

      const store = new MemoryStore({ maxEntries: 1 })
      for (let n = 0; n < 100; n++) {
        await store.put({ SecretId: `${n}` }, `${n}`)
        expect(await store.get({ SecretId: `${n}` })).toBe(`${n}`)
      }
      for (let n = 0; n < 99; n++) expect(await store.get({ SecretId: `${n}` })).toBeUndefined()
      expect(await store.get({ SecretId: '99' })).toBe('99')
    })

    it('does not replace a cached key on repeated reads', async () => {
      // test_lru.py::test_lru_cache_if_absent
      const { client, read } = harness(byId, { maxEntries: 1 })
      const first = await Promise.all(Array.from({ length: 100 }, () => read('1000')))
      expect(new Set(first)).toEqual(new Set(['value-1000']))
      expect(client.calls).toHaveLength(1)
      client.respond = () => ({ Name: '1000', SecretString: 'replaced' })
      for (let n = 0; n < 100; n++) await expect(read('1000')).resolves.toBe('value-1000')
      expect(client.calls).toHaveLength(1)

      const store = new MemoryStore({ maxEntries: 1 })
      await store.put({ SecretId: '1000' }, '1000')
      for (let n = 0; n < 100; n++) expect(await store.get({ SecretId: `${n}` })).toBeUndefined()
      expect(await store.get({ SecretId: '1000' })).toBe('1000')
    })
  })
})
