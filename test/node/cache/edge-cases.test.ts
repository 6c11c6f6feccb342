// SecretCache edge cases found by mutation testing: ordering races with the store, takeovers of
// dead loads, copies, counters and batch failures. No wall-clock assertions.
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type CacheKey,
  type CacheStore,
  MemoryStore,
  SecretCache,
  withSecretJson,
} from '../../../src/cache/index.js'
import { isSecretsManagerError } from '../../../src/client/index.js'
import { rejection } from '../../mocks/client.js'
import {
  FakeUpstream,
  gate,
  gatedStore,
  HOUR,
  hangingClient,
  ManualClock,
  secretValue,
  setupCache as setup,
  turn,
  upstreamError,
} from '../../mocks/secrets-upstream.js'

const CUR: CacheKey = { SecretId: 'db', VersionStage: 'AWSCURRENT' }

describe('SecretCache edge cases', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('a stored entry exactly at its deadline is due for a new isolate', async () => {
    const store = new MemoryStore()
    const first = setup({ store })
    first.upstream.set('db', secretValue('db', 'v1'))
    await first.cache.getSecretString('db')
    const second = setup({ store })
    second.clock.ms = first.clock.ms + HOUR / 2
    second.upstream.set('db', secretValue('db', 'v2'))
    expect(await second.cache.getSecretString('db', { waitUntil: second.waitUntil })).toBe('v1')
    await second.background.settle()
    expect(second.upstream.calls).toHaveLength(1)
  })

  it('an error that is not a SecretsManagerError keeps the last good value', async () => {
    const upstream = new FakeUpstream().set('db', secretValue('db', 'good'))
    const clock = new ManualClock()
    let fail = false
    const client = {
      getSecretValue: (input: { SecretId: string }) =>
        fail ? Promise.reject(new TypeError('fetch failed')) : upstream.getSecretValue(input),
    }
    const cache = new SecretCache({
      client,
      now: clock.now,
      random: () => 0,
      staleWhileRefresh: false,
    })
    await cache.getSecretString('db')
    clock.advance(HOUR)
    fail = true
    expect(await cache.getSecretString('db')).toBe('good')
  })

  it('a not-found refresh removes the secret from the store', async () => {
    const store = new MemoryStore()
    const { upstream, cache, clock, background, waitUntil } = setup({ store })
    upstream.set('db', secretValue('db', 'good'))
    await cache.getSecretString('db', { waitUntil })
    await background.settle()
    expect(store.size).toBe(1)
    clock.advance(HOUR)
    upstream.set('db', { error: 'ResourceNotFoundException' })
    await cache.getSecretString('db', { waitUntil })
    await background.settle()
    expect(store.size).toBe(0)
  })

  it('a load in flight during clear() does not fill memory', async () => {
    const { upstream, cache } = setup()
    upstream.set('db', secretValue('db', 'old'))
    const held = upstream.hold()
    const read = cache.getSecretString('db')
    await turn()
    cache.clear()
    held.open()
    expect(await read).toBe('old')
    upstream.set('db', secretValue('db', 'new'))
    expect(await cache.getSecretString('db')).toBe('new')
    expect(upstream.calls).toHaveLength(2)
  })

  it('a store read in flight during invalidate does not fill memory', async () => {
    const { store, gates } = gatedStore()
    const writer = setup({ store })
    writer.upstream.set('db', secretValue('db', 'old'))
    await writer.cache.getSecretString('db')
    const { upstream, cache } = setup({ store })
    upstream.set('db', secretValue('db', 'new'))
    const g = gate()
    gates.get = g.promise
    const read = cache.getSecretString('db')
    await turn()
    gates.get = undefined
    await cache.invalidate('db')
    g.open()
    expect(await read).toBe('old')
    expect(await cache.getSecretString('db')).toBe('new')
  })

  it('invalidate waits for a store write that started before it', async () => {
    const { inner, store, gates } = gatedStore()
    const { upstream, cache, background, waitUntil } = setup({ store })
    upstream.set('db', secretValue('db', 'old'))
    const g = gate()
    gates.put = g.promise
    expect(await cache.getSecretString('db', { waitUntil })).toBe('old')
    const invalidated = cache.invalidate('db')
    await turn()
    g.open()
    await invalidated
    await background.settle()
    expect(inner.size).toBe(0)
  })

  it('a load waits for a deletion under way before reading the store', async () => {
    const { store, gates } = gatedStore()
    const { upstream, cache } = setup({ store })
    upstream.set('db', secretValue('db', 'old'))
    await cache.getSecretString('db')
    upstream.set('db', secretValue('db', 'new'))
    const g = gate()
    gates.delete = g.promise
    const invalidated = cache.invalidate('db')
    const read = cache.getSecretString('db')
    await turn()
    g.open()
    await invalidated
    expect(await read).toBe('new')
  })

  it('a due entry is refreshed upstream even if its own store copy re-jitters fresh', async () => {
    const store = new MemoryStore()
    const draws = [0, 0.999]
    const { upstream, cache, clock, background, waitUntil } = setup({
      store,
      random: () => draws.shift() ?? 0.999,
    })
    upstream.set('db', secretValue('db', 'v1'))
    await cache.getSecretString('db', { waitUntil })
    await background.settle()
    clock.advance(HOUR / 2)
    upstream.set('db', secretValue('db', 'v2'))
    await cache.getSecretString('db', { waitUntil })
    await background.settle()
    expect(upstream.calls).toHaveLength(2)
    expect(await cache.getSecretString('db')).toBe('v2')
  })

  it('with staleWhileRefresh off, a new isolate waits for the refresh of a due stored entry', async () => {
    const store = new MemoryStore()
    const first = setup({ store })
    first.upstream.set('db', secretValue('db', 'v1'))
    await first.cache.getSecretString('db')
    const second = setup({ store, staleWhileRefresh: false })
    second.clock.ms = first.clock.ms + HOUR
    second.upstream.set('db', secretValue('db', 'v2'))
    expect(await second.cache.getSecretString('db')).toBe('v2')
  })

  it('a sync that finds nothing newer still restarts the memoryTtl clock', async () => {
    const store = new MemoryStore()
    const { upstream, cache, clock, background, waitUntil } = setup({ store, memoryTtlMs: 60_000 })
    upstream.set('db', secretValue('db', 'v1'))
    await cache.getSecretString('db', { waitUntil })
    clock.advance(60_000)
    await cache.getSecretString('db', { waitUntil })
    await background.settle()
    await cache.getSecretString('db', { waitUntil })
    await background.settle()
    expect(cache.stats().storeReads).toBe(2)
  })

  it('an entry read from the store is not re-read until memoryTtlMs after that read', async () => {
    const store = new MemoryStore()
    const first = setup({ store })
    first.upstream.set('db', secretValue('db', 'v1'))
    await first.cache.getSecretString('db')
    const second = setup({ store, memoryTtlMs: 60_000 })
    second.clock.ms = first.clock.ms + 60_000
    await second.cache.getSecretString('db', { waitUntil: second.waitUntil })
    await second.cache.getSecretString('db', { waitUntil: second.waitUntil })
    await second.background.settle()
    expect(second.cache.stats().storeReads).toBe(1)
  })

  it('two waiters of a dead load take over with one shared call', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const upstream = new FakeUpstream().set('db', secretValue('db', 'pw'))
    const { client: hanging, state } = hangingClient(upstream, true)
    let calls = 0
    const client = {
      getSecretValue: (input: { SecretId: string }) => {
        calls++
        return hanging.getSecretValue(input)
      },
    }
    const cache = new SecretCache({ client, waiterTimeoutMs: 20 })
    cache.getSecretString('db').catch(() => {})
    await vi.advanceTimersByTimeAsync(0)
    state.hanging = false
    const a = cache.getSecretString('db')
    const b = cache.getSecretString('db')
    await vi.advanceTimersByTimeAsync(20)
    expect(calls).toBe(2)
    await vi.advanceTimersByTimeAsync(5)
    expect(await a).toBe('pw')
    expect(await b).toBe('pw')
    expect(calls).toBe(2)
    expect(cache.stats().coalescedWaiters).toBe(2)
  })

  it("a waiter's patience defaults to the client's timeoutMs", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const upstream = new FakeUpstream().set('db', secretValue('db', 'pw'))
    const { client, state } = hangingClient(upstream, true, { timeoutMs: 20 })
    const cache = new SecretCache({ client })
    cache.getSecretString('db').catch(() => {})
    await vi.advanceTimersByTimeAsync(0)
    state.hanging = false
    const read = cache.getSecretString('db')
    await vi.advanceTimersByTimeAsync(20)
    expect(upstream.calls).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(5)
    expect(await read).toBe('pw')
  })

  it('an aborted waiter rejects with its reason, and the owner still gets the value', async () => {
    const { upstream, cache } = setup()
    upstream.set('db', secretValue('db', 'pw'))
    const held = upstream.hold()
    const owner = cache.getSecretString('db')
    const controller = new AbortController()
    const waiter = cache.getSecretString('db', { signal: controller.signal })
    waiter.catch(() => {})
    await turn()
    controller.abort(new Error('waiter went away'))
    held.open()
    expect(await owner).toBe('pw')
    await expect(waiter).rejects.toThrow('waiter went away')
  })

  it('CreatedDate is a copy', async () => {
    const { upstream, cache } = setup()
    upstream.set('db', secretValue('db', 'pw'))
    const value = await cache.getSecretValue('db')
    value.CreatedDate?.setTime(0)
    expect((await cache.getSecretValue('db')).CreatedDate).toEqual(new Date(1_795_167_000_000))
  })

  it('batch entries are copies', async () => {
    const { upstream, cache } = setup()
    upstream.set('a', secretValue('a', 'a'))
    const { SecretValues } = await cache.getSecretValues(['a'])
    SecretValues[0]?.VersionStages?.push('MINE')
    expect((await cache.getSecretValue('a')).VersionStages).toEqual(['AWSCURRENT'])
  })

  it('a failed batch call names its error code, never its message', async () => {
    const upstream = new FakeUpstream()
    const client = {
      getSecretValue: upstream.getSecretValue.bind(upstream),
      batchGetSecretValue: () =>
        Promise.reject(upstreamError('BatchGetSecretValue', 'ThrottlingException')),
    }
    const cache = new SecretCache({ client })
    const result = await cache.getSecretValues(['a'])
    expect(result.Errors).toEqual([
      expect.objectContaining({ SecretId: 'a', ErrorCode: 'ThrottlingException' }),
    ])
    const foreign = new SecretCache({
      client: { ...client, batchGetSecretValue: () => Promise.reject(new Error('hunter2 leaked')) },
    })
    const other = await foreign.getSecretValues(['a'])
    expect(other.Errors[0]?.ErrorCode).toBe('UnknownError')
    expect(other.Errors[0]?.Message).toContain('Error')
    expect(other.Errors[0]?.Message).not.toContain('hunter2')
  })

  it('an id the batch answer leaves out is a permanent failure (no stale fallback)', async () => {
    const store = new MemoryStore()
    const first = setup({ store })
    first.upstream.set('a', secretValue('a', 'old'))
    await first.cache.getSecretString('a')
    const clock = new ManualClock(first.clock.ms + HOUR)
    const client = {
      getSecretValue: () => Promise.reject(new Error('unused')),
      batchGetSecretValue: async () => ({ SecretValues: [], Errors: [] }),
    }
    const cache = new SecretCache({
      client,
      store,
      now: clock.now,
      random: () => 0,
      staleWhileRefresh: false,
    })
    const result = await cache.getSecretValues(['a'])
    expect(result.SecretValues).toEqual([])
    expect(result.Errors).toEqual([expect.objectContaining({ ErrorCode: 'InvalidResponseError' })])
  })

  it('batch misses and store hits are counted', async () => {
    const { upstream, cache } = setup()
    for (const id of ['a', 'b', 'c']) upstream.set(id, secretValue(id, id))
    await cache.getSecretValues(['a', 'b', 'c'])
    expect(cache.stats()).toMatchObject({ misses: 3, upstreamCalls: 1 })
  })

  it('a due stored value served to a miss counts as staleServed', async () => {
    const store = new MemoryStore()
    const first = setup({ store })
    first.upstream.set('db', secretValue('db', 'v1'))
    await first.cache.getSecretString('db')
    const second = setup({ store })
    second.clock.ms = first.clock.ms + HOUR
    second.upstream.set('db', secretValue('db', 'v2'))
    await second.cache.getSecretString('db', { waitUntil: second.waitUntil })
    await second.background.settle()
    expect(second.cache.stats()).toMatchObject({ storeHits: 1, staleServed: 1 })
  })

  it('a value served during backoff counts as staleServed', async () => {
    const { upstream, cache, clock, background, waitUntil } = setup()
    upstream.set('db', secretValue('db', 'good'))
    await cache.getSecretString('db')
    clock.advance(HOUR / 2)
    upstream.set('db', { error: 'ThrottlingException' })
    await cache.getSecretString('db', { waitUntil })
    await background.settle()
    await cache.getSecretString('db', { waitUntil })
    expect(cache.stats()).toMatchObject({ staleServed: 2, upstreamCalls: 2 })
  })

  it('a codec decode that throws makes the entry a miss', async () => {
    const store = new MemoryStore()
    const plain = setup({ store })
    plain.upstream.set('db', secretValue('db', 'pw'))
    await plain.cache.getSecretString('db')
    const coded = setup({
      store,
      codec: {
        encode: (t) => `enc:${t}`,
        decode: (t) => {
          if (!t.startsWith('enc:')) throw new Error('not ours')
          return t.slice(4)
        },
      },
    })
    coded.upstream.set('db', secretValue('db', 'pw'))
    expect(await coded.cache.getSecretString('db')).toBe('pw')
    expect(coded.cache.stats()).toMatchObject({ storeErrors: 1, upstreamCalls: 1 })
  })

  it('a JSON key that only exists on Object.prototype is missing', async () => {
    const { upstream, cache } = setup()
    upstream.set('db', secretValue('db', JSON.stringify({ username: 'u' })))
    const fn = vi.fn()
    const error = await rejection(withSecretJson(cache, 'db', { x: 'toString' }, fn)())
    expect(isSecretsManagerError(error, 'MissingJsonKeyError')).toBe(true)
    expect(fn).not.toHaveBeenCalled()
  })

  it('refreshNow joining a miss served from a due stored value reports the failure of its refresh', async () => {
    const store = new MemoryStore()
    const first = setup({ store })
    first.upstream.set('db', secretValue('db', 'v1'))
    await first.cache.getSecretString('db')
    const second = setup({ store })
    second.clock.ms = first.clock.ms + HOUR
    second.upstream.set('db', { error: 'ThrottlingException' })
    const read = second.cache.getSecretString('db', { waitUntil: second.waitUntil })
    const refreshed = second.cache.refreshNow('db', { waitUntil: second.waitUntil })
    expect(await read).toBe('v1')
    const ok = await refreshed
    await second.background.settle()
    expect(second.upstream.calls).toHaveLength(1)
    expect(ok).toBe(false)
  })

  it('refuses a waiterTimeoutMs above 2^31-1 ms, which a timer would fire at once', () => {
    expect(() => setup({ waiterTimeoutMs: 2 ** 31 })).toThrow(TypeError)
    expect(() => setup({ waiterTimeoutMs: Number.POSITIVE_INFINITY })).toThrow(TypeError)
    expect(() => setup({ waiterTimeoutMs: 2 ** 31 - 1 })).not.toThrow()
  })

  it('never lets a superseded load that answers late write over a newer value', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const store = new MemoryStore()
    let resolveFirst!: (v: ReturnType<typeof secretValue>) => void
    let calls = 0
    const client = {
      getSecretValue: () => {
        calls++
        if (calls === 1)
          return new Promise<ReturnType<typeof secretValue>>((r) => (resolveFirst = r))
        return Promise.resolve(secretValue('db', 'new'))
      },
    }
    const cache = new SecretCache({ client, store, waiterTimeoutMs: 20 })
    const owner = cache.getSecretString('db')
    await vi.advanceTimersByTimeAsync(0)
    const waiter = cache.getSecretString('db')
    await vi.advanceTimersByTimeAsync(20)
    expect(await waiter).toBe('new')
    await cache.invalidate('db')
    resolveFirst(secretValue('db', 'old'))
    expect(await owner).toBe('old')
    await vi.advanceTimersByTimeAsync(0)
    expect(await cache.getSecretString('db')).toBe('new')
  })

  it('drops only the failing stage from the store on a not-found', async () => {
    const store = new MemoryStore()
    const { upstream, cache, clock, background, waitUntil } = setup({ store })
    upstream.set('db', secretValue('db', 'cur'))
    upstream.set('db@AWSPENDING', secretValue('db', 'pending'))
    await cache.getSecretString('db', { waitUntil })
    await cache.getSecretString('db', { VersionStage: 'AWSPENDING', waitUntil })
    await background.settle()
    expect(store.size).toBe(2)
    clock.advance(HOUR)
    upstream.values.delete('db@AWSPENDING')
    upstream.set('db@AWSPENDING', { error: 'ResourceNotFoundException' })
    await cache.getSecretString('db', { VersionStage: 'AWSPENDING', waitUntil }).catch(() => {})
    await background.settle()
    expect(await store.get(CUR)).toBeDefined()
  })

  it('does not call AWS every memoryTtlMs because the store fails to read', async () => {
    const store: CacheStore = {
      get: () => Promise.reject(new Error('KV GET 500')),
      put: async () => {},
      delete: async () => {},
      deleteEntry: async () => {},
    }
    const { upstream, cache, clock, background, waitUntil } = setup({ store, memoryTtlMs: 60_000 })
    upstream.set('db', secretValue('db', 'v1'))
    await cache.getSecretString('db', { waitUntil })
    for (let i = 0; i < 5; i++) {
      clock.advance(60_000)
      await cache.getSecretString('db', { waitUntil })
      await background.settle()
    }
    expect(upstream.calls).toHaveLength(1)
  })
})
