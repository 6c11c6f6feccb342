// SecretCache races found in a second review: which load may write, what refreshNow joins,
// when a store re-read calls AWS, which store entries a failure drops. No wall-clock assertions.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type CacheStore, MemoryStore, SecretCache } from '../../../src/cache/index.js'
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
  WaitUntil,
} from '../../mocks/secrets-upstream.js'

describe('SecretCache under review', () => {
  afterEach(() => vi.useRealTimers())

  it('refreshNow does not join a store re-read (sync): it asks AWS', async () => {
    const { inner, store, gates } = gatedStore()
    const { upstream, cache, clock, background, waitUntil } = setup({ store, memoryTtlMs: 60_000 })
    upstream.set('db', secretValue('db', 'v1'))
    await cache.getSecretString('db', { waitUntil })
    await background.settle()
    expect(inner.size).toBe(1)
    clock.advance(60_000)
    const g = gate()
    gates.get = g.promise
    await cache.getSecretString('db', { waitUntil }) // sync in flight, held in the store read
    upstream.set('db', secretValue('db', 'v2'))
    const refreshed = cache.refreshNow('db', { waitUntil })
    await turn()
    g.open()
    gates.get = undefined
    expect(await refreshed).toBe(true)
    await background.settle()
    expect(upstream.calls).toHaveLength(2)
    expect(await cache.getSecretString('db')).toBe('v2')
  })

  it('refreshNow does not join a dead load', async () => {
    const upstream = new FakeUpstream().set('db', secretValue('db', 'v1'))
    const clock = new ManualClock()
    const { client, state } = hangingClient(upstream, false)
    const cache = new SecretCache({ client, now: clock.now, random: () => 0, waiterTimeoutMs: 50 })
    await cache.getSecretString('db')
    clock.advance(HOUR)
    state.hanging = true
    await cache.getSecretString('db') // background refresh that never answers
    state.hanging = false
    upstream.set('db', secretValue('db', 'v2'))
    clock.advance(50) // dead by the injected clock
    expect(await cache.refreshNow('db')).toBe(true)
    expect(cache.stats().coalescedWaiters).toBe(0)
    expect(await cache.getSecretString('db')).toBe('v2')
  })

  it('refreshNow that gave up on a joined load refreshes for itself', async () => {
    const upstream = new FakeUpstream().set('db', secretValue('db', 'v1'))
    const { client, state } = hangingClient(upstream, true)
    const cache = new SecretCache({ client, waiterTimeoutMs: 20 })
    cache.getSecretString('db').catch(() => {}) // a miss that never answers
    await turn()
    state.hanging = false
    expect(await cache.refreshNow('db')).toBe(true)
    expect(await cache.getSecretString('db')).toBe('v1')
  })

  it('a success forgets the remembered failure of a key, even once its value is evicted', async () => {
    const { upstream, cache } = setup({ maxEntries: 1, retryDelayBaseMs: HOUR })
    upstream.set('a', { error: 'ThrottlingException' })
    await rejection(cache.getSecretString('a')) // remembered for an hour
    upstream.set('a', secretValue('a', 'A'))
    expect(await cache.refreshNow('a')).toBe(true)
    upstream.set('b', secretValue('b', 'B'))
    await cache.getSecretString('b') // evicts a's value
    expect(await cache.getSecretString('a')).toBe('A')
  })

  it('remembered failures are bounded by maxEntries too', async () => {
    const { upstream, cache } = setup({ maxEntries: 1, retryDelayBaseMs: HOUR })
    upstream.set('a', { error: 'ThrottlingException' })
    upstream.set('b', { error: 'ThrottlingException' })
    await rejection(cache.getSecretString('a'))
    await rejection(cache.getSecretString('b')) // a's failure is forgotten
    upstream.set('a', secretValue('a', 'A'))
    expect(await cache.getSecretString('a')).toBe('A')
  })

  it('a sync while our own store write is still under way does not call AWS', async () => {
    const { store, gates } = gatedStore()
    const { upstream, cache, clock, background, waitUntil } = setup({ store, memoryTtlMs: 60_000 })
    upstream.set('db', secretValue('db', 'v1'))
    const g = gate()
    gates.put = g.promise
    await cache.getSecretString('db', { waitUntil }) // write held: stored is not known yet
    clock.advance(60_000)
    await cache.getSecretString('db', { waitUntil }) // sync: the store has nothing yet
    await turn()
    g.open()
    await background.settle()
    expect(upstream.calls).toHaveLength(1)
  })

  it('a sync that finds our own written entry gone refetches from AWS', async () => {
    const store = new MemoryStore()
    const { upstream, cache, clock, background, waitUntil } = setup({ store, memoryTtlMs: 60_000 })
    upstream.set('db', secretValue('db', 'v1'))
    await cache.getSecretString('db', { waitUntil })
    await background.settle()
    await store.delete('db') // another isolate's invalidate
    upstream.set('db', secretValue('db', 'v2'))
    clock.advance(60_000)
    await cache.getSecretString('db', { waitUntil })
    await background.settle()
    expect(await cache.getSecretString('db')).toBe('v2')
  })

  it('a not-found of a key that never had a value deletes nothing from the store', async () => {
    const { store, deletedEntries } = gatedStore()
    const { cache, background, waitUntil } = setup({ store })
    await rejection(cache.getSecretString('nope', { waitUntil }))
    await background.settle()
    expect(deletedEntries).toEqual([])
  })

  it('a not-found of a due stored value (no memory value) drops it from the store', async () => {
    const store = new MemoryStore()
    const first = setup({ store })
    first.upstream.set('db', secretValue('db', 'v1'))
    await first.cache.getSecretString('db')
    const second = setup({ store, staleWhileRefresh: false })
    second.clock.ms = first.clock.ms + HOUR
    const error = await rejection(
      second.cache.getSecretString('db', { waitUntil: second.waitUntil })
    )
    expect(isSecretsManagerError(error, 'ResourceNotFoundException')).toBe(true)
    await second.background.settle()
    expect(store.size).toBe(0)
  })

  it('a superseded load that gets a not-found does not drop the newer stored value', async () => {
    const store = new MemoryStore()
    const clock = new ManualClock()
    const answers: (() => Promise<ReturnType<typeof secretValue>>)[] = []
    let rejectSecond!: (e: unknown) => void
    answers.push(async () => secretValue('db', 'v1'))
    answers.push(() => new Promise((_, reject) => (rejectSecond = reject)))
    answers.push(async () => secretValue('db', 'v2'))
    const client = { getSecretValue: () => (answers.shift() as () => Promise<never>)() }
    const background = new WaitUntil()
    const waitUntil = background.fn
    const cache = new SecretCache({ client, store, now: clock.now, random: () => 0 })
    await cache.getSecretString('db', { waitUntil })
    await background.settle()
    clock.advance(HOUR)
    const refresh = new WaitUntil()
    await cache.getSecretString('db', { waitUntil: refresh.fn }) // refresh in flight
    await turn()
    await cache.invalidate('db') // the refresh is now stale
    expect(await cache.getSecretString('db', { waitUntil })).toBe('v2')
    await background.settle()
    expect(store.size).toBe(1)
    rejectSecond(upstreamError('GetSecretValue', 'ResourceNotFoundException'))
    await refresh.settle()
    expect(store.size).toBe(1)
  })

  it('a read that joins a load which has already answered gets that answer at once', async () => {
    const store = new MemoryStore()
    const first = setup({ store })
    first.upstream.set('db', secretValue('db', 'v1'))
    first.upstream.set('other', secretValue('other', 'o'))
    await first.cache.getSecretString('db')
    first.clock.advance(HOUR)
    await first.cache.getSecretString('other') // fresh in the store at t0 + 1 h
    const second = setup({ store, maxEntries: 1 })
    second.clock.ms = first.clock.ms
    second.upstream.set('db', secretValue('db', 'v2'))
    const held = second.upstream.hold()
    // A miss served from the due stored value; its upstream refresh is held.
    expect(await second.cache.getSecretString('db', { waitUntil: second.waitUntil })).toBe('v1')
    expect(await second.cache.getSecretString('other')).toBe('o') // evicts db from memory
    const read = second.cache.getSecretString('db') // joins the db load, which has answered
    const winner = await Promise.race([read, turn().then(() => 'still waiting')])
    held.open()
    await second.background.settle()
    expect(winner).toBe('v1')
  })

  it('with staleWhileRefresh off, a throttled refresh falls back to the value it started from, even if evicted meanwhile', async () => {
    const store = new MemoryStore()
    const upstream = new FakeUpstream()
    const clock = new ManualClock()
    let holdA: Promise<void> | undefined
    const client = {
      getSecretValue: async (input: { SecretId: string }) => {
        if (input.SecretId === 'a') await holdA
        return upstream.getSecretValue(input)
      },
    }
    const cache = new SecretCache({
      client,
      store,
      now: clock.now,
      random: () => 0,
      maxEntries: 1,
      staleWhileRefresh: false,
    })
    upstream.set('a', secretValue('a', 'A1'))
    upstream.set('b', secretValue('b', 'B'))
    await cache.getSecretString('a')
    await store.delete('a')
    clock.advance(HOUR)
    upstream.set('a', { error: 'ThrottlingException' })
    const g = gate()
    holdA = g.promise
    const read = cache.getSecretString('a') // due: the store has nothing, upstream held
    await turn()
    expect(await cache.getSecretString('b')).toBe('B') // evicts a
    g.open()
    expect(await read).toBe('A1')
    // Kept through the throttle (backing off), not forgotten as a key without a value.
    expect(await cache.getSecretString('a')).toBe('A1')
  })

  it('a superseded dead refresh that answers late does not overwrite the newer value', async () => {
    const store = new MemoryStore()
    const clock = new ManualClock()
    let n = 0
    let resolveSecond!: (v: ReturnType<typeof secretValue>) => void
    const client = {
      getSecretValue: () => {
        n++
        if (n === 1) return Promise.resolve(secretValue('db', 'v1'))
        if (n === 2) return new Promise<ReturnType<typeof secretValue>>((r) => (resolveSecond = r))
        return Promise.resolve(secretValue('db', 'v3'))
      },
    }
    const cache = new SecretCache({
      client,
      store,
      now: clock.now,
      random: () => 0,
      waiterTimeoutMs: 5_000,
    })
    await cache.getSecretString('db')
    clock.advance(HOUR)
    expect(await cache.getSecretString('db')).toBe('v1') // refresh #2 hangs
    clock.advance(5_000)
    expect(await cache.getSecretString('db')).toBe('v1') // replaces the dead refresh: #3
    await turn()
    expect(await cache.getSecretString('db')).toBe('v3')
    resolveSecond(secretValue('db', 'v2-late'))
    await turn()
    expect(await cache.getSecretString('db')).toBe('v3')
    expect(n).toBe(3)
  })

  it('refreshNow joining a load that already answered from a due stored value waits for its refresh', async () => {
    const store = new MemoryStore()
    const first = setup({ store })
    first.upstream.set('db', secretValue('db', 'v1'))
    await first.cache.getSecretString('db')
    const second = setup({ store })
    second.clock.ms = first.clock.ms + HOUR
    second.upstream.set('db', { error: 'ThrottlingException' })
    const held = second.upstream.hold()
    expect(await second.cache.getSecretString('db', { waitUntil: second.waitUntil })).toBe('v1')
    const refreshed = second.cache.refreshNow('db', { waitUntil: second.waitUntil })
    await turn()
    held.open()
    expect(await refreshed).toBe(false)
    await second.background.settle()
    expect(second.upstream.calls).toHaveLength(1)
  })

  it('a sync that finds the same entry in the store does not call AWS', async () => {
    const store = new MemoryStore()
    const { upstream, cache, clock, background, waitUntil } = setup({ store, memoryTtlMs: 60_000 })
    upstream.set('db', secretValue('db', 'v1'))
    await cache.getSecretString('db', { waitUntil })
    await background.settle()
    clock.advance(60_000)
    await cache.getSecretString('db', { waitUntil })
    await background.settle()
    expect(cache.stats().storeReads).toBe(2)
    expect(upstream.calls).toHaveLength(1)
  })

  it('invalidate waits for every store write under way, not only the latest one', async () => {
    const inner = new MemoryStore()
    const firstPut = gate()
    let puts = 0
    const store: CacheStore = {
      get: (k) => inner.get(k),
      async put(k, v) {
        if (++puts === 1) await firstPut.promise
        return inner.put(k, v)
      },
      delete: (id) => inner.delete(id),
      deleteEntry: (k) => inner.deleteEntry(k),
    }
    const { upstream, cache, background, waitUntil } = setup({ store })
    upstream.set('db', secretValue('db', 'v1'))
    expect(await cache.getSecretString('db', { waitUntil })).toBe('v1') // its put is held
    upstream.set('db', secretValue('db', 'v2'))
    expect(await cache.refreshNow('db', { waitUntil })).toBe(true) // its put lands at once
    const invalidated = cache.invalidate('db')
    await turn()
    firstPut.open()
    await invalidated
    await background.settle()
    expect(inner.size).toBe(0)
  })

  it('a failed refresh keeps the newer (due) stored value, not the older one in memory', async () => {
    const store = new MemoryStore()
    const a = setup({ store, staleWhileRefresh: false })
    a.upstream.set('db', secretValue('db', 'v1'))
    await a.cache.getSecretString('db') // fetchedAt t0, due at t0 + HOUR/2
    const b = setup({ store })
    b.clock.ms = a.clock.ms + 1_000
    b.upstream.set('db', secretValue('db', 'v2'))
    expect(await b.cache.refreshNow('db')).toBe(true) // store: v2, fetchedAt t0 + 1s
    a.clock.ms = b.clock.ms + HOUR / 2 // both due in a
    a.upstream.set('db', { error: 'ThrottlingException' })
    expect(await a.cache.getSecretString('db')).toBe('v2')
  })

  it('refreshNow asks Secrets Manager even when it joins a cold read that finds a stored value', async () => {
    const store = new MemoryStore()
    const first = setup({ store })
    first.upstream.set('db', secretValue('db', 'v1'))
    await first.cache.getSecretString('db')
    const { upstream, cache, waitUntil, background } = setup({ store })
    upstream.set('db', secretValue('db', 'v2')) // rotated meanwhile
    const read = cache.getSecretString('db', { waitUntil })
    expect(await cache.refreshNow('db', { waitUntil })).toBe(true)
    await read
    await background.settle()
    expect(upstream.calls).toHaveLength(1)
    expect(await cache.getSecretString('db')).toBe('v2')
  })

  it('a sync that found the entry in the store notices its removal even after our own write failed', async () => {
    const inner = new MemoryStore()
    let failPut = true
    const flaky: CacheStore = {
      get: (k) => inner.get(k),
      put: (k, v) => (failPut ? Promise.reject(new Error('KV 429')) : inner.put(k, v)),
      delete: (id) => inner.delete(id),
      deleteEntry: (k) => inner.deleteEntry(k),
    }
    const a = setup({ store: flaky, memoryTtlMs: 60_000 })
    a.upstream.set('db', secretValue('db', 'v1'))
    await a.cache.getSecretString('db') // write fails: a.stored = false
    failPut = false
    const b = setup({ store: inner })
    b.upstream.set('db', secretValue('db', 'v1'))
    await b.cache.getSecretString('db') // same fetchedAt, written
    a.clock.advance(60_000)
    await a.cache.getSecretString('db', { waitUntil: a.waitUntil }) // sync: found, not newer
    await a.background.settle()
    await b.cache.invalidate('db') // removed elsewhere
    a.upstream.set('db', secretValue('db', 'v2'))
    a.clock.advance(60_000)
    await a.cache.getSecretString('db', { waitUntil: a.waitUntil }) // sync: gone
    await a.background.settle()
    expect(await a.cache.getSecretString('db')).toBe('v2')
  })

  it('with staleWhileRefresh off, a sync that learns the secret is gone does not return it', async () => {
    const store = new MemoryStore()
    const a = setup({ store, memoryTtlMs: 60_000, staleWhileRefresh: false })
    a.upstream.set('db', secretValue('db', 'v1'))
    await a.cache.getSecretString('db', { waitUntil: a.waitUntil })
    await a.background.settle()
    await store.delete('db') // another isolate's invalidate
    a.upstream.set('db', { error: 'ResourceNotFoundException' })
    a.clock.advance(60_000)
    const error = await rejection(a.cache.getSecretString('db'))
    expect(isSecretsManagerError(error, 'ResourceNotFoundException')).toBe(true)
  })

  it('refreshNow in a cold isolate that gets a not-found drops the stored entry', async () => {
    const store = new MemoryStore()
    const first = setup({ store })
    first.upstream.set('db', secretValue('db', 'v1'))
    await first.cache.getSecretString('db')
    const { upstream, cache, waitUntil, background } = setup({ store })
    upstream.set('db', { error: 'ResourceNotFoundException' })
    expect(await cache.refreshNow('db', { waitUntil })).toBe(false)
    await background.settle()
    expect(store.size).toBe(0)
  })

  it('a due read does not settle for a store re-read in flight: it refreshes', async () => {
    const { store, gates } = gatedStore()
    const { upstream, cache, clock, background, waitUntil } = setup({
      store,
      memoryTtlMs: 60_000,
      staleWhileRefresh: false,
    })
    upstream.set('db', secretValue('db', 'v1'))
    await cache.getSecretString('db', { waitUntil })
    await background.settle()
    clock.advance(60_000)
    const g = gate()
    gates.get = g.promise
    const synced = cache.getSecretString('db', { waitUntil }) // the re-read waits in the store
    await turn()
    gates.get = undefined
    clock.advance(HOUR)
    upstream.set('db', secretValue('db', 'v2'))
    expect(await cache.getSecretString('db', { waitUntil })).toBe('v2')
    g.open()
    await synced
    await background.settle()
    expect(upstream.calls).toHaveLength(2)
  })
})
