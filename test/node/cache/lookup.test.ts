// SecretCache.lookup: a read that says where its answer came from, and the forced refresh whose
// failure is the answer (what the worker's ?refresh=true and the Agent's refreshNow=true use).
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../../src/cache/index.js'
import { HOUR, secretValue, setupCache } from '../../mocks/secrets-upstream.js'

describe('SecretCache', () => {
  describe('lookup', () => {
    it('names the tier: upstream on a miss, then memory, then store for a second cache', async () => {
      const store = new MemoryStore()
      const { upstream, cache, clock } = setupCache({ store })
      upstream.set('app/db', secretValue('app/db', 'v1'))
      expect(await cache.lookup('app/db')).toMatchObject({ source: 'upstream', stale: false })
      const hit = await cache.lookup('app/db')
      expect(hit).toMatchObject({ source: 'memory', stale: false })
      expect(hit.value.SecretString).toBe('v1')
      // Another isolate on the same store.
      const { cache: other } = setupCache({ store, now: clock.now })
      expect(await other.lookup('app/db')).toMatchObject({ source: 'store', stale: false })
      expect(upstream.calls).toHaveLength(1)
    })

    it('says stale for a due value served while it refreshes', async () => {
      const { upstream, cache, clock, waitUntil } = setupCache()
      upstream.set('app/db', secretValue('app/db', 'v1'))
      await cache.lookup('app/db')
      clock.advance(2 * HOUR)
      expect(await cache.lookup('app/db', { waitUntil })).toMatchObject({
        source: 'memory',
        stale: true,
      })
    })

    it('refreshes first with refresh: true, and answers with the fresh value', async () => {
      const { upstream, cache } = setupCache()
      upstream.set('app/db', secretValue('app/db', 'v1'))
      await cache.lookup('app/db')
      upstream.set('app/db', secretValue('app/db', 'v2', '00000000-0000-4000-8000-000000000002'))
      const fresh = await cache.lookup('app/db', { refresh: true })
      expect(fresh).toMatchObject({ source: 'upstream', stale: false })
      expect(fresh.value.SecretString).toBe('v2')
      expect(upstream.calls).toHaveLength(2)
    })

    it('throws the refresh error with refresh: true, though a value is kept for plain reads', async () => {
      const { upstream, cache } = setupCache()
      upstream.set('app/db', secretValue('app/db', 'kept'))
      await cache.lookup('app/db')
      upstream.set('app/db', { error: 'InternalServiceError' })
      await expect(cache.lookup('app/db', { refresh: true })).rejects.toMatchObject({
        code: 'InternalServiceError',
      })
      const plain = await cache.lookup('app/db')
      expect(plain.value.SecretString).toBe('kept')
    })

    it('throws not-found with refresh: true once the secret is gone, and forgets it', async () => {
      const { upstream, cache } = setupCache()
      upstream.set('app/db', secretValue('app/db', 'gone soon'))
      await cache.lookup('app/db')
      upstream.values.delete('app/db')
      await expect(cache.lookup('app/db', { refresh: true })).rejects.toMatchObject({
        code: 'ResourceNotFoundException',
      })
      await expect(cache.lookup('app/db')).rejects.toMatchObject({
        code: 'ResourceNotFoundException',
      })
    })
  })

  describe('memory tier order', () => {
    it('keeps least-recently-used order through repeated hits of the newest entry', async () => {
      const { upstream, cache } = setupCache({ maxEntries: 2 })
      for (const id of ['a', 'b', 'c']) upstream.set(id, secretValue(id, id))
      await cache.getSecretString('a')
      await cache.getSecretString('b')
      await cache.getSecretString('b') // the newest: nothing moves
      await cache.getSecretString('a') // now a is the newest, b the oldest
      await cache.getSecretString('c') // evicts b
      upstream.calls.length = 0
      await cache.getSecretString('a')
      expect(upstream.calls).toHaveLength(0)
      await cache.getSecretString('b')
      expect(upstream.calls.map((call) => call.SecretId)).toEqual(['b'])
    })

    it('answers reads of another stage with their own entries, though default keys are reused', async () => {
      const { upstream, cache } = setupCache()
      upstream.set('app/db', secretValue('app/db', 'current'))
      upstream.set('app/db@AWSPREVIOUS', secretValue('app/db', 'previous'))
      expect(await cache.getSecretString('app/db')).toBe('current')
      expect(await cache.getSecretString('app/db', { VersionStage: 'AWSPREVIOUS' })).toBe(
        'previous'
      )
      expect(await cache.getSecretString('app/db')).toBe('current')
      expect(upstream.calls).toHaveLength(2)
    })
  })
})
