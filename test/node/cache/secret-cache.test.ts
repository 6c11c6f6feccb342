// SecretCache behaviour with a scripted upstream whose calls really wait (so concurrent reads
// interleave), an injected clock and an injected jitter source. No wall-clock assertions.
import { describe, expect, it } from 'vitest'
import {
  type CacheStore,
  MemoryStore,
  SecretCache,
  type SecretCacheOptions,
  withSecretJson,
  withSecretString,
} from '../../../src/cache/index.js'
import { isSecretsManagerError } from '../../../src/client/index.js'
import { rejection } from '../../mocks/client.js'
import {
  FakeUpstream,
  HOUR,
  hangingClient,
  ManualClock,
  secretValue,
  setupCache as setup,
  turn,
} from '../../mocks/secrets-upstream.js'

describe('SecretCache', () => {
  describe('constructor', () => {
    it('requires a client with getSecretValue', () => {
      expect(() => new SecretCache({} as SecretCacheOptions)).toThrow(TypeError)
      expect(() => new SecretCache({ client: {} } as SecretCacheOptions)).toThrow(/getSecretValue/)
    })

    it.each([
      ['maxEntries', 0],
      ['maxEntries', 1.5],
      ['refreshIntervalMs', -1],
      ['retryDelayBaseMs', Number.NaN],
      ['retryGrowthFactor', 0.5],
      ['missingSecretTtlMs', -5],
      ['refreshIntervalMs', null],
      ['memoryTtlMs', '60'],
      ['retryGrowthFactor', null],
      ['waiterTimeoutMs', null],
      ['waiterTimeoutMs', 0],
      ['defaultVersionStage', ''],
    ])('refuses %s = %s', (name, value) => {
      const upstream = new FakeUpstream()
      expect(() => new SecretCache({ client: upstream, [name]: value })).toThrow(TypeError)
    })
  })

  describe('coalescing', () => {
    it('makes exactly one upstream call for 100 concurrent cold reads', async () => {
      const { upstream, cache } = setup()
      upstream.set('db', secretValue('db', 'pw-1'))
      const held = upstream.hold()
      const reads = Array.from({ length: 100 }, () => cache.getSecretString('db'))
      await turn()
      expect(upstream.calls).toHaveLength(1)
      held.open()
      expect(new Set(await Promise.all(reads))).toEqual(new Set(['pw-1']))
      expect(upstream.calls).toEqual([{ SecretId: 'db', VersionStage: 'AWSCURRENT' }])
      expect(cache.stats()).toMatchObject({ upstreamCalls: 1, misses: 100, coalescedWaiters: 99 })
    })

    it('refreshes a due entry once for 50 concurrent reads, each answered at once', async () => {
      const { upstream, cache, clock, background, waitUntil } = setup()
      upstream.set('db', secretValue('db', 'old'))
      expect(await cache.getSecretString('db')).toBe('old')
      clock.advance(HOUR / 2)
      upstream.set('db', secretValue('db', 'new', '00000000-0000-4000-8000-000000000002'))
      const held = upstream.hold()
      // All 50 answer while the refresh is still held upstream: nobody waits for it.
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => cache.getSecretString('db', { waitUntil }))
      )
      expect(new Set(answers)).toEqual(new Set(['old']))
      expect(upstream.calls).toHaveLength(2)
      expect(background.promises).toHaveLength(1)
      held.open()
      await background.settle()
      expect(await cache.getSecretString('db')).toBe('new')
      expect(upstream.calls).toHaveLength(2)
      expect(cache.stats()).toMatchObject({ staleServed: 50, upstreamCalls: 2 })
    })

    it('makes a due read wait for the refresh when staleWhileRefresh is off', async () => {
      const { upstream, cache, clock } = setup({ staleWhileRefresh: false })
      upstream.set('db', secretValue('db', 'old'))
      await cache.getSecretString('db')
      clock.advance(HOUR / 2)
      upstream.set('db', secretValue('db', 'new'))
      const reads = Array.from({ length: 10 }, () => cache.getSecretString('db'))
      expect(new Set(await Promise.all(reads))).toEqual(new Set(['new']))
      expect(upstream.calls).toHaveLength(2)
    })

    it('detaches an aborted caller without aborting the shared call', async () => {
      const { upstream, cache } = setup()
      upstream.set('db', secretValue('db', 'pw'))
      const held = upstream.hold()
      const controller = new AbortController()
      const first = cache.getSecretString('db', { signal: controller.signal })
      const second = cache.getSecretString('db')
      await turn()
      controller.abort(new Error('caller went away'))
      await expect(first).rejects.toThrow('caller went away')
      held.open()
      expect(await second).toBe('pw')
      expect(upstream.calls).toHaveLength(1)
    })

    it('lets a waiter load for itself when the shared call never answers', async () => {
      const upstream = new FakeUpstream().set('db', secretValue('db', 'pw'))
      const { client, state } = hangingClient(upstream, true)
      const cache = new SecretCache({ client, waiterTimeoutMs: 20 })
      // The owner's call never settles (in workerd: its request was cancelled).
      const owner = cache.getSecretString('db')
      owner.catch(() => {})
      state.hanging = false
      expect(await cache.getSecretString('db')).toBe('pw')
      expect(upstream.calls).toHaveLength(1)
    })
  })

  describe('dead loads', () => {
    it('replaces a background refresh that never answered', async () => {
      const upstream = new FakeUpstream().set('db', secretValue('db', 'v1'))
      const clock = new ManualClock()
      const { client, state } = hangingClient(upstream, false)
      const cache = new SecretCache({
        client,
        now: clock.now,
        random: () => 0,
        waiterTimeoutMs: 5_000,
      })
      await cache.getSecretString('db')
      clock.advance(HOUR)
      state.hanging = true
      // This refresh never settles (in workerd: it ran in a request that was cancelled).
      expect(await cache.getSecretString('db')).toBe('v1')
      state.hanging = false
      upstream.set('db', secretValue('db', 'v2'))
      clock.advance(4_999)
      await cache.getSecretString('db')
      await turn()
      expect(upstream.calls).toHaveLength(1)
      clock.advance(1)
      await cache.getSecretString('db')
      await turn()
      expect(upstream.calls).toHaveLength(2)
      expect(await cache.getSecretString('db')).toBe('v2')
    })
  })

  describe('freshness', () => {
    it('refreshes between half and all of refreshIntervalMs, as the jitter says', async () => {
      for (const [random, dueAfter] of [
        [0, HOUR / 2],
        [0.5, (HOUR * 3) / 4],
      ] as const) {
        const { upstream, cache, clock, background, waitUntil } = setup({ random: () => random })
        upstream.set('db', secretValue('db', 'v'))
        await cache.getSecretString('db')
        clock.advance(dueAfter - 1)
        await cache.getSecretString('db', { waitUntil })
        expect(upstream.calls).toHaveLength(1)
        clock.advance(1)
        await cache.getSecretString('db', { waitUntil })
        await background.settle()
        expect(upstream.calls).toHaveLength(2)
      }
    })

    it('never refetches an entry addressed by VersionId', async () => {
      const { upstream, cache, clock, waitUntil } = setup()
      upstream.set('db#v1', secretValue('db', 'pinned', 'v1'))
      expect(await cache.getSecretString('db', { VersionId: 'v1' })).toBe('pinned')
      clock.advance(100 * HOUR)
      expect(await cache.getSecretString('db', { VersionId: 'v1', waitUntil })).toBe('pinned')
      await cache.getSecretString('db', { VersionId: 'v1', waitUntil })
      expect(upstream.calls).toEqual([{ SecretId: 'db', VersionId: 'v1' }])
    })

    it('caches stages apart', async () => {
      const { upstream, cache } = setup()
      upstream.set('db', secretValue('db', 'current'))
      upstream.set('db@AWSPREVIOUS', secretValue('db', 'previous'))
      expect(await cache.getSecretString('db')).toBe('current')
      expect(await cache.getSecretString('db', { VersionStage: 'AWSPREVIOUS' })).toBe('previous')
      expect(await cache.getSecretString('db', { VersionStage: 'AWSCURRENT' })).toBe('current')
      expect(await cache.getSecretString('db', { VersionStage: 'AWSPREVIOUS' })).toBe('previous')
      expect(upstream.calls).toEqual([
        { SecretId: 'db', VersionStage: 'AWSCURRENT' },
        { SecretId: 'db', VersionStage: 'AWSPREVIOUS' },
      ])
    })

    it('reads defaultVersionStage when a read names no stage', async () => {
      const { upstream, cache } = setup({ defaultVersionStage: 'AWSPENDING' })
      upstream.set('db@AWSPENDING', secretValue('db', 'pending'))
      expect(await cache.getSecretString('db')).toBe('pending')
      expect(upstream.calls).toEqual([{ SecretId: 'db', VersionStage: 'AWSPENDING' }])
    })
  })

  describe('failures', () => {
    it('serves the last good value through transient failures, backing off by the schedule', async () => {
      const base = 1_000
      const { upstream, cache, clock, background, waitUntil } = setup({
        retryDelayBaseMs: base,
        retryGrowthFactor: 3,
        retryDelayMaxMs: 20_000,
      })
      upstream.set('db', secretValue('db', 'good'))
      await cache.getSecretString('db')
      clock.advance(HOUR / 2)
      upstream.set('db', { error: 'ThrottlingException' })
      const read = async () => {
        const value = await cache.getSecretString('db', { waitUntil })
        await background.settle()
        return value
      }
      expect(await read()).toBe('good')
      expect(upstream.calls).toHaveLength(2)
      // The n-th consecutive failure waits min(base × 3^(n-1), 20 s): 1 s, 3 s, 9 s, 20 s, 20 s.
      for (const delay of [1_000, 3_000, 9_000, 20_000, 20_000]) {
        const calls = upstream.calls.length
        clock.advance(delay - 1)
        expect(await read()).toBe('good')
        expect(upstream.calls).toHaveLength(calls)
        clock.advance(2)
        expect(await read()).toBe('good')
        expect(upstream.calls).toHaveLength(calls + 1)
        clock.advance(-1)
      }
      // Recovery resets the schedule.
      upstream.set('db', secretValue('db', 'recovered'))
      clock.advance(20_001)
      await read()
      expect(await read()).toBe('recovered')
      expect(cache.stats().refreshFailures).toBe(6)
    })

    it('also serves stale through failures when staleWhileRefresh is off', async () => {
      const { upstream, cache, clock } = setup({ staleWhileRefresh: false })
      upstream.set('db', secretValue('db', 'good'))
      await cache.getSecretString('db')
      clock.advance(HOUR)
      upstream.set('db', { error: 'InternalServiceError' })
      expect(await cache.getSecretString('db')).toBe('good')
      expect(upstream.calls).toHaveLength(2)
    })

    it.each(['ResourceNotFoundException', 'InvalidRequestException', 'AccessDeniedException'])(
      'drops the entry and raises on %s',
      async (code) => {
        const { upstream, cache, clock, background, waitUntil } = setup({
          staleWhileRefresh: false,
        })
        upstream.set('db', secretValue('db', 'good'))
        await cache.getSecretString('db', { waitUntil })
        clock.advance(HOUR)
        upstream.set('db', { error: code })
        const error = await rejection(cache.getSecretString('db', { waitUntil }))
        expect(isSecretsManagerError(error, code)).toBe(true)
        // Dropped: no stale value comes back, and the failure is remembered for a while.
        expect(isSecretsManagerError(await rejection(cache.getSecretString('db')), code)).toBe(true)
        expect(upstream.calls).toHaveLength(2)
        await background.settle()
      }
    )

    it('drops a due entry whose background refresh finds it gone', async () => {
      const { upstream, cache, clock, background, waitUntil } = setup()
      upstream.set('db', secretValue('db', 'good'))
      await cache.getSecretString('db')
      clock.advance(HOUR)
      upstream.set('db', { error: 'ResourceNotFoundException' })
      expect(await cache.getSecretString('db', { waitUntil })).toBe('good')
      await background.settle()
      const error = await rejection(cache.getSecretString('db'))
      expect(isSecretsManagerError(error, 'ResourceNotFoundException')).toBe(true)
    })

    it('remembers a failure of a never-cached key for the backoff delay', async () => {
      const { upstream, cache, clock } = setup({ retryDelayBaseMs: 5_000 })
      upstream.set('db', { error: 'ThrottlingException' })
      const first = await rejection(cache.getSecretString('db'))
      expect(isSecretsManagerError(first, 'ThrottlingException')).toBe(true)
      clock.advance(4_999)
      expect(await rejection(cache.getSecretString('db'))).toBe(first)
      expect(upstream.calls).toHaveLength(1)
      clock.advance(2)
      upstream.set('db', secretValue('db', 'back'))
      expect(await cache.getSecretString('db')).toBe('back')
      expect(upstream.calls).toHaveLength(2)
    })

    it('remembers a not-found for at most missingSecretTtlMs', async () => {
      const { upstream, cache, clock } = setup({
        retryDelayBaseMs: 10 * HOUR,
        missingSecretTtlMs: 30_000,
      })
      await rejection(cache.getSecretString('missing'))
      clock.advance(29_999)
      await rejection(cache.getSecretString('missing'))
      expect(upstream.calls).toHaveLength(1)
      clock.advance(2)
      await rejection(cache.getSecretString('missing'))
      expect(upstream.calls).toHaveLength(2)
    })

    it('never puts the value in an error, its cause or stats()', async () => {
      const { upstream, cache } = setup()
      upstream.set('db', secretValue('db', 'not-json-hunter2'))
      const error = await rejection(cache.getSecretJson('db'))
      expect(isSecretsManagerError(error, 'InvalidJsonError')).toBe(true)
      const text = `${String(error)} ${JSON.stringify(error)} ${String((error as Error).cause)}`
      expect(text).toContain('"db"')
      expect(text).not.toContain('hunter2')
      expect(JSON.stringify(cache.stats())).not.toContain('hunter2')
    })
  })

  describe('memory tier', () => {
    it('holds maxEntries entries and drops the least recently used', async () => {
      const { upstream, cache } = setup({ maxEntries: 2 })
      for (const id of ['a', 'b', 'c']) upstream.set(id, secretValue(id, id))
      await cache.getSecretString('a')
      await cache.getSecretString('b')
      await cache.getSecretString('a') // a is now more recent than b
      await cache.getSecretString('c') // evicts b
      const before = upstream.calls.length
      await cache.getSecretString('a')
      expect(upstream.calls).toHaveLength(before)
      await cache.getSecretString('b')
      expect(upstream.calls).toHaveLength(before + 1)
    })

    it('hands out copies the caller may change', async () => {
      const { upstream, cache } = setup()
      const { SecretString: _, ...binary } = secretValue('key', '')
      upstream.set('key', { ...binary, SecretBinary: new Uint8Array([1, 2, 3]) })
      const bytes = await cache.getSecretBinary('key')
      bytes[0] = 9
      const value = await cache.getSecretValue('key')
      value.VersionStages?.push('MINE')
      expect(await cache.getSecretBinary('key')).toEqual(new Uint8Array([1, 2, 3]))
      expect((await cache.getSecretValue('key')).VersionStages).toEqual(['AWSCURRENT'])
    })

    it('returns the whole GetSecretValue output', async () => {
      const { upstream, cache } = setup()
      upstream.set('db', secretValue('db', 'pw'))
      expect(await cache.getSecretValue('db')).toEqual(secretValue('db', 'pw'))
    })
  })

  describe('refreshNow', () => {
    it('refreshes at once, even while backing off, and says whether it worked', async () => {
      const { upstream, cache, clock, background, waitUntil } = setup({ retryDelayBaseMs: HOUR })
      upstream.set('db', secretValue('db', 'v1'))
      await cache.getSecretString('db')
      upstream.set('db', { error: 'ThrottlingException' })
      expect(await cache.refreshNow('db')).toBe(false)
      expect(await cache.getSecretString('db')).toBe('v1')
      upstream.set('db', secretValue('db', 'v2'))
      // Still inside the hour-long backoff, and no clock movement: it calls anyway.
      expect(await cache.refreshNow('db')).toBe(true)
      expect(await cache.getSecretString('db', { waitUntil })).toBe('v2')
      expect(upstream.calls).toHaveLength(3)
      expect(clock.ms).toBe(new ManualClock().ms)
      await background.settle()
    })

    it('joins a refresh already in flight', async () => {
      const { upstream, cache, clock, waitUntil } = setup()
      upstream.set('db', secretValue('db', 'v1'))
      await cache.getSecretString('db')
      clock.advance(HOUR)
      upstream.set('db', secretValue('db', 'v2'))
      const held = upstream.hold()
      await cache.getSecretString('db', { waitUntil }) // starts the background refresh
      const refreshed = cache.refreshNow('db')
      held.open()
      expect(await refreshed).toBe(true)
      expect(upstream.calls).toHaveLength(2)
    })

    it('skips the store', async () => {
      const store = new MemoryStore()
      const { upstream, cache } = setup({ store })
      upstream.set('db', secretValue('db', 'v1'))
      await cache.getSecretString('db')
      upstream.set('db', secretValue('db', 'v2'))
      expect(await cache.refreshNow('db')).toBe(true)
      expect(await cache.getSecretString('db')).toBe('v2')
      expect(upstream.calls).toHaveLength(2)
    })
  })

  describe('invalidate', () => {
    it('forgets every stage and version of the id, in memory and in the store', async () => {
      const store = new MemoryStore()
      const { upstream, cache } = setup({ store })
      upstream.set('db', secretValue('db', 'cur'))
      upstream.set('db@AWSPREVIOUS', secretValue('db', 'prev'))
      upstream.set('db#v1', secretValue('db', 'pinned', 'v1'))
      upstream.set('other', secretValue('other', 'o'))
      await cache.getSecretString('db')
      await cache.getSecretString('db', { VersionStage: 'AWSPREVIOUS' })
      await cache.getSecretString('db', { VersionId: 'v1' })
      await cache.getSecretString('other')
      expect(store.size).toBe(4)
      await cache.invalidate('db')
      expect(store.size).toBe(1)
      await cache.getSecretString('db')
      await cache.getSecretString('other')
      expect(upstream.calls.filter((c) => c.SecretId === 'db')).toHaveLength(4)
      expect(upstream.calls.filter((c) => c.SecretId === 'other')).toHaveLength(1)
    })

    it('does not let a refresh in flight write the older value back', async () => {
      const store = new MemoryStore()
      const { upstream, cache, clock, background, waitUntil } = setup({ store })
      upstream.set('db', secretValue('db', 'old'))
      await cache.getSecretString('db')
      clock.advance(HOUR)
      const held = upstream.hold()
      await cache.getSecretString('db', { waitUntil }) // refresh in flight, will answer 'old'
      await turn()
      await cache.invalidate('db')
      upstream.release()
      held.open()
      await background.settle()
      expect(store.size).toBe(0)
      upstream.set('db', secretValue('db', 'new'))
      expect(await cache.getSecretString('db')).toBe('new')
    })
  })

  describe('shared store', () => {
    it('serves a second cache on the same store without an upstream call', async () => {
      const store = new MemoryStore()
      const first = setup({ store })
      first.upstream.set('db', secretValue('db', 'pw'))
      await first.cache.getSecretString('db')
      const second = setup({ store })
      expect(await second.cache.getSecretString('db')).toBe('pw')
      expect(second.upstream.calls).toHaveLength(0)
      expect(second.cache.stats()).toMatchObject({ storeHits: 1, upstreamCalls: 0, storeWrites: 0 })
    })

    it('judges a stored entry by when it was fetched, not by when it was read', async () => {
      const store = new MemoryStore()
      const first = setup({ store })
      first.upstream.set('db', secretValue('db', 'v1'))
      await first.cache.getSecretString('db')
      // A new isolate, after the entry became due: it serves it and refreshes in the background.
      const second = setup({ store, staleWhileRefresh: true })
      second.clock.ms = first.clock.ms + HOUR
      second.upstream.set('db', secretValue('db', 'v2'))
      expect(await second.cache.getSecretString('db', { waitUntil: second.waitUntil })).toBe('v1')
      await second.background.settle()
      expect(await second.cache.getSecretString('db')).toBe('v2')
      expect(second.upstream.calls).toHaveLength(1)
    })

    it('serves a stored value to a new isolate while AWS is down', async () => {
      const store = new MemoryStore()
      const first = setup({ store })
      first.upstream.set('db', secretValue('db', 'v1'))
      await first.cache.getSecretString('db')
      const second = setup({ store, staleWhileRefresh: false })
      second.clock.ms = first.clock.ms + 10 * HOUR
      second.upstream.set('db', { error: 'ServiceUnavailable' })
      expect(await second.cache.getSecretString('db')).toBe('v1')
      expect(second.upstream.calls).toHaveLength(1)
      expect(second.cache.stats().staleServed).toBe(1)
    })

    it('re-reads the store every memoryTtlMs, so a value written elsewhere shows up', async () => {
      const store = new MemoryStore()
      const reader = setup({ store, memoryTtlMs: 60_000 })
      const writer = setup({ store })
      reader.upstream.set('db', secretValue('db', 'v1'))
      writer.upstream.set('db', secretValue('db', 'v2'))
      await reader.cache.getSecretString('db')
      writer.clock.ms = reader.clock.ms + 1_000
      expect(await writer.cache.refreshNow('db')).toBe(true)
      reader.clock.advance(59_999)
      expect(await reader.cache.getSecretString('db')).toBe('v1')
      reader.clock.advance(1)
      await reader.cache.getSecretString('db', { waitUntil: reader.waitUntil })
      await reader.background.settle()
      expect(await reader.cache.getSecretString('db')).toBe('v2')
      expect(reader.upstream.calls).toHaveLength(1)
    })

    it('treats a corrupt or foreign entry as a miss and overwrites it', async () => {
      const entries = new Map<string, string>()
      const store: CacheStore = {
        get: async (key) => entries.get(key.SecretId),
        put: async (key, value) => {
          entries.set(key.SecretId, value)
        },
        delete: async (id) => {
          entries.delete(id)
        },
        deleteEntry: async (key) => {
          entries.delete(key.SecretId)
        },
      }
      const { upstream, cache } = setup({ store })
      upstream.set('db', secretValue('db', 'pw'))
      upstream.set('other', secretValue('other', 'x'))
      for (const junk of ['{', '[]', 'null', '{"format":1}', 'plain text']) {
        entries.set('db', junk)
        cache.clear()
        expect(await cache.getSecretString('db')).toBe('pw')
        expect(entries.get('db')).not.toBe(junk)
      }
      // An entry of another secret, stored under this one's key, is refused too.
      await cache.getSecretString('other')
      entries.set('db', entries.get('other') as string)
      cache.clear()
      const calls = upstream.calls.length
      expect(await cache.getSecretString('db')).toBe('pw')
      expect(upstream.calls).toHaveLength(calls + 1)
    })

    it('never fails a read because the store fails', async () => {
      const store: CacheStore = {
        get: () => Promise.reject(new Error('KV GET failed: 500')),
        put: () => Promise.reject(new Error('KV PUT failed: 429 Too Many Requests')),
        delete: () => Promise.reject(new Error('KV DELETE failed')),
        deleteEntry: () => Promise.reject(new Error('KV DELETE failed')),
      }
      const { upstream, cache } = setup({ store })
      upstream.set('db', secretValue('db', 'pw'))
      expect(await cache.getSecretString('db')).toBe('pw')
      await cache.invalidate('db')
      expect(cache.stats().storeErrors).toBe(3)
    })

    it('passes store entries through the codec both ways', async () => {
      const store = new MemoryStore()
      const codec = {
        encode: async (text: string) => `x:${btoa(text)}`,
        decode: (text: string) => atob(text.slice(2)),
      }
      const first = setup({ store, codec })
      first.upstream.set('db', secretValue('db', 'pw-codec'))
      await first.cache.getSecretString('db')
      const raw = await store.get({ SecretId: 'db', VersionStage: 'AWSCURRENT' })
      expect(raw?.startsWith('x:')).toBe(true)
      expect(raw).not.toContain('pw-codec')
      const second = setup({ store, codec })
      expect(await second.cache.getSecretString('db')).toBe('pw-codec')
      expect(second.upstream.calls).toHaveLength(0)
      // Without the codec the entry does not parse: a miss, not a crash.
      const third = setup({ store })
      third.upstream.set('db', secretValue('db', 'pw-codec'))
      expect(await third.cache.getSecretString('db')).toBe('pw-codec')
      expect(third.upstream.calls).toHaveLength(1)
    })
  })

  describe('withSecretString and withSecretJson', () => {
    it("pass each call's read options, fixed or made from its arguments", async () => {
      const { upstream, cache, clock, background } = setup()
      upstream.set('key', secretValue('key', 'k1'))
      upstream.set('key@AWSPREVIOUS', secretValue('key', 'k0'))
      upstream.set('db', secretValue('db', '{"user":"u"}'))
      const previous = withSecretString(cache, 'key', (k) => k, { VersionStage: 'AWSPREVIOUS' })
      expect(await previous()).toBe('k0')
      await cache.getSecretString('key')
      clock.advance(HOUR)
      // The refresh of the due entry goes to the waitUntil the call's argument carries.
      const perCall = withSecretString(
        cache,
        'key',
        (k, _ctx: { waitUntil: (p: Promise<unknown>) => void }) => k,
        (ctx) => ({ waitUntil: ctx.waitUntil })
      )
      expect(await perCall({ waitUntil: background.fn })).toBe('k1')
      expect(background.promises).toHaveLength(1)
      const json = withSecretJson(cache, 'db', { name: 'user' }, ({ name }) => name, {
        waitUntil: background.fn,
      })
      expect(await json()).toBe('u')
      await background.settle()
    })
  })

  describe('getSecretValues', () => {
    it('answers hits, misses and per-id errors in one call, ids as written', async () => {
      const { upstream, cache } = setup()
      upstream.set('hit', secretValue('hit', 'h'))
      upstream.set('miss', secretValue('miss', 'm'))
      const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:byarn-AbCdEf'
      upstream.set(arn, secretValue('byarn', 'a'))
      await cache.getSecretString('hit')
      const result = await cache.getSecretValues(['hit', 'miss', 'gone', arn, 'miss'])
      expect(result.SecretValues.map((e) => [e.SecretId, e.SecretString])).toEqual([
        ['hit', 'h'],
        ['miss', 'm'],
        [arn, 'a'],
      ])
      expect(result.Errors).toEqual([
        expect.objectContaining({ SecretId: 'gone', ErrorCode: 'ResourceNotFoundException' }),
      ])
      expect(upstream.batchCalls).toEqual([{ SecretIdList: ['miss', 'gone', arn] }])
      expect(upstream.calls).toHaveLength(1)
      // The batch filled the cache.
      expect(await cache.getSecretString('miss')).toBe('m')
      expect(upstream.calls).toHaveLength(1)
    })

    it('uses as few batch calls as possible, 20 ids each', async () => {
      const { upstream, cache } = setup()
      const ids = Array.from({ length: 45 }, (_, i) => `s${i}`)
      for (const id of ids) upstream.set(id, secretValue(id, id))
      const result = await cache.getSecretValues(ids)
      expect(result.SecretValues).toHaveLength(45)
      expect(upstream.batchCalls.map((c) => c.SecretIdList?.length)).toEqual([20, 20, 5])
    })

    it('turns a failed batch call into an error per id, and keeps the others', async () => {
      const { upstream, cache } = setup()
      upstream.set('a', secretValue('a', 'a'))
      await cache.getSecretString('a')
      const client = {
        getSecretValue: upstream.getSecretValue.bind(upstream),
        batchGetSecretValue: () => Promise.reject(new Error('boom')),
      }
      const batchCache = new SecretCache({ client })
      await batchCache.getSecretString('a')
      const result = await batchCache.getSecretValues(['a', 'b', 'c'])
      expect(result.SecretValues.map((e) => e.SecretId)).toEqual(['a'])
      expect(result.Errors.map((e) => e.SecretId)).toEqual(['b', 'c'])
    })

    it('reads one at a time through a client without batchGetSecretValue', async () => {
      const { upstream } = setup()
      upstream.set('a', secretValue('a', 'a')).set('b', secretValue('b', 'b'))
      const cache = new SecretCache({ client: upstream.single })
      const result = await cache.getSecretValues(['a', 'b', 'c'])
      expect(result.SecretValues.map((e) => e.SecretString)).toEqual(['a', 'b'])
      expect(result.Errors.map((e) => e.SecretId)).toEqual(['c'])
      expect(upstream.calls).toHaveLength(3)
    })

    it('shares its loads with concurrent single reads', async () => {
      const { upstream, cache } = setup()
      upstream.set('a', secretValue('a', 'a'))
      const held = upstream.hold()
      const batch = cache.getSecretValues(['a'])
      const single = cache.getSecretString('a')
      held.open()
      expect((await batch).SecretValues[0]?.SecretString).toBe('a')
      expect(await single).toBe('a')
      expect(upstream.batchCalls).toHaveLength(1)
      expect(upstream.calls).toHaveLength(0)
    })

    it('refuses ids that are not strings', async () => {
      const { cache } = setup()
      await expect(cache.getSecretValues([''] as string[])).rejects.toThrow(TypeError)
      await expect(cache.getSecretValues('a' as unknown as string[])).rejects.toThrow(TypeError)
    })
  })
})
