// The worker's reads through its SecretCache: memory, the shared encrypted KV tier, forced
// refreshes, invalidation by every kind of write (in this isolate and, through KV, in another),
// stale values through upstream failures, and how upstream faults reach the caller.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import {
  clientBehindWorker,
  createHarness,
  type Harness,
  type HarnessOptions,
  type Sent,
  testToken,
  uniqueName,
} from './harness.js'

const ACTIONS: ('read' | 'write' | 'delete')[] = ['read', 'write', 'delete']

// One app (one isolate) with a grant on cache/*; more apps may share its emulator and KV.
async function setup(extra: Omit<HarnessOptions, 'grants'> = {}) {
  const token = testToken('cache')
  const h = await createHarness({
    grants: [{ name: 'cache', token, actions: ACTIONS, secrets: ['cache/*'] }],
    ...extra,
  })
  return { h, token }
}

// Another app on the same emulator (and, as always, the same KV namespace and key).
async function sibling(first: Harness, token: string, extra: Omit<HarnessOptions, 'grants'> = {}) {
  return createHarness({
    grants: [{ name: 'cache', token, actions: ACTIONS, secrets: ['cache/*'] }],
    emulator: first.emulator,
    ...extra,
  })
}

async function create(h: Harness, token: string, name: string, value: string): Promise<Sent> {
  const sent = await h.send('/v1/secrets', {
    method: 'POST',
    token,
    body: JSON.stringify({ Name: name, SecretString: value }),
  })
  expect(sent.status).toBe(201)
  return sent
}

async function put(h: Harness, token: string, name: string, value: string): Promise<Sent> {
  const sent = await h.send(`/v1/secrets/${name}`, {
    method: 'PUT',
    token,
    body: JSON.stringify({ SecretString: value }),
  })
  expect(sent.status).toBe(200)
  return sent
}

function read(h: Harness, token: string, name: string, query = ''): Promise<Sent> {
  return h.send(`/v1/secrets/${name}${query}`, { token })
}

function cacheOf(sent: Sent): string | null {
  return sent.headers.get('x-edge-secrets-cache')
}

async function kvKeys(): Promise<string[]> {
  const keys: string[] = []
  let cursor: string | undefined
  do {
    const page = await env.SECRETS_CACHE.list(cursor === undefined ? {} : { cursor })
    keys.push(...page.keys.map((key) => key.name))
    cursor = page.list_complete ? undefined : page.cursor
  } while (cursor !== undefined)
  return keys
}

function notices(h: Harness, fragment: string): number {
  return h.logs.filter((line) => 'level' in line && line.message.includes(fragment)).length
}

describe('worker cache', () => {
  describe('reads', () => {
    it('serves every read after the first from memory, with one upstream call', async () => {
      const { h, token } = await setup()
      const name = uniqueName('cache')
      await create(h, token, name, 'v1')
      const first = await read(h, token, name)
      expect(first.status).toBe(200)
      expect(cacheOf(first)).toBe('upstream')
      for (let i = 0; i < 5; i++) {
        const again = await read(h, token, name)
        expect(again.json.SecretString).toBe('v1')
        expect(cacheOf(again)).toBe('memory')
      }
      expect(h.upstreamCalls('GetSecretValue')).toBe(1)
      const lines = h.logs.filter((line) => 'requestId' in line && line.method === 'GET')
      expect(lines.map((line) => 'cache' in line && line.cache)).toEqual([
        'upstream',
        ...Array(5).fill('memory'),
      ])
    })

    it('serves the Agent route from the same cache', async () => {
      const { h, token } = await setup()
      const name = uniqueName('cache')
      await create(h, token, name, 'agent-v1')
      await read(h, token, name)
      const agent = await h.send(`/secretsmanager/get?secretId=${name}`, { token })
      expect(agent.status).toBe(200)
      expect(agent.json.SecretString).toBe('agent-v1')
      expect(cacheOf(agent)).toBe('memory')
      expect(h.upstreamCalls('GetSecretValue')).toBe(1)
    })

    it('serves a second isolate from KV, without an upstream call', async () => {
      const { h, token } = await setup()
      const name = uniqueName('cache')
      await create(h, token, name, 'shared-v1')
      await read(h, token, name)
      const other = await sibling(h, token)
      const fromKv = await read(other, token, name)
      expect(fromKv.status).toBe(200)
      expect(fromKv.json.SecretString).toBe('shared-v1')
      expect(cacheOf(fromKv)).toBe('kv')
      expect(cacheOf(await read(other, token, name))).toBe('memory')
      expect(other.upstreamCalls()).toBe(0)
    })

    it('keeps KV entries encrypted, under keys that do not name the secret', async () => {
      const { h, token } = await setup()
      const name = uniqueName('cache/plain')
      const value = `kv-plaintext-${crypto.randomUUID()}`
      const before = new Set(await kvKeys())
      await create(h, token, name, value)
      await read(h, token, name)
      const added = (await kvKeys()).filter((key) => !before.has(key))
      expect(added.length).toBeGreaterThan(0)
      const tail = name.split('/').at(-1) as string
      for (const key of added) {
        expect(key).not.toContain(tail)
        expect(key).not.toContain('plain')
        const stored = (await env.SECRETS_CACHE.get(key)) ?? ''
        expect(stored).not.toBe('')
        expect(stored).not.toContain(value)
        expect(stored).not.toContain(tail)
        expect(stored).not.toContain(btoa(value).slice(0, 16))
      }
    })

    it('writes nothing to KV without CACHE_ENCRYPTION_KEY, and says so once', async () => {
      const { h, token } = await setup({ env: { CACHE_ENCRYPTION_KEY: '' } })
      const name = uniqueName('cache')
      const before = await kvKeys()
      await create(h, token, name, 'memory-only')
      for (let i = 0; i < 3; i++) {
        expect((await read(h, token, name)).json.SecretString).toBe('memory-only')
      }
      await put(h, token, name, 'memory-only-2')
      expect((await read(h, token, name)).json.SecretString).toBe('memory-only-2')
      expect(await kvKeys()).toEqual(before)
      expect(notices(h, 'CACHE_ENCRYPTION_KEY')).toBe(1)
      // A second isolate finds nothing in KV: it asks upstream.
      const other = await sibling(h, token, { env: { CACHE_ENCRYPTION_KEY: '' } })
      expect(cacheOf(await read(other, token, name))).toBe('upstream')
      expect(other.upstreamCalls('GetSecretValue')).toBe(1)
    })
    it.each([
      ['not base64', '%%%not-base64%%%'],
      ['16 bytes', btoa('0123456789abcdef')],
    ])('keeps secrets in memory only when CACHE_ENCRYPTION_KEY is %s', async (_, key) => {
      const { h, token } = await setup({ env: { CACHE_ENCRYPTION_KEY: key } })
      const name = uniqueName('cache')
      const before = await kvKeys()
      await create(h, token, name, 'bad-key')
      for (let i = 0; i < 2; i++) {
        const sent = await read(h, token, name)
        expect(sent.status).toBe(200)
        expect(sent.json.SecretString).toBe('bad-key')
      }
      expect(await kvKeys()).toEqual(before)
      expect(notices(h, 'CACHE_ENCRYPTION_KEY is not usable')).toBe(1)
      expect(h.logs.some((line) => 'level' in line && line.message.includes(key))).toBe(false)
    })

    it('keeps secrets in memory only when SECRETS_CACHE is not bound', async () => {
      const { h, token } = await setup({
        env: { SECRETS_CACHE: undefined } as unknown as NonNullable<HarnessOptions['env']>,
      })
      const name = uniqueName('cache')
      await create(h, token, name, 'unbound')
      expect((await read(h, token, name)).json.SecretString).toBe('unbound')
      expect(cacheOf(await read(h, token, name))).toBe('memory')
      expect(notices(h, 'SECRETS_CACHE is not bound')).toBe(1)
    })
  })

  describe('forced refreshes', () => {
    it('calls upstream on ?refresh=true, and returns the new value', async () => {
      const { h, token } = await setup()
      const name = uniqueName('cache')
      await create(h, token, name, 'r1')
      await read(h, token, name)
      // Changed behind the worker's back: only a refresh sees it.
      await clientBehindWorker(h).putSecretValue({ SecretId: name, SecretString: 'r2' })
      expect((await read(h, token, name)).json.SecretString).toBe('r1')
      const refreshed = await read(h, token, name, '?refresh=true')
      expect(refreshed.status).toBe(200)
      expect(refreshed.json.SecretString).toBe('r2')
      expect(cacheOf(refreshed)).toBe('upstream')
      expect(h.upstreamCalls('GetSecretValue')).toBe(2)
      expect(cacheOf(await read(h, token, name))).toBe('memory')
      expect(h.upstreamCalls('GetSecretValue')).toBe(2)
    })

    it('calls upstream on the Agent refreshNow=true', async () => {
      const { h, token } = await setup()
      const name = uniqueName('cache')
      await create(h, token, name, 'a1')
      await read(h, token, name)
      await clientBehindWorker(h).putSecretValue({ SecretId: name, SecretString: 'a2' })
      const refreshed = await h.send(`/secretsmanager/get?secretId=${name}&refreshNow=true`, {
        token,
      })
      expect(refreshed.status).toBe(200)
      expect(refreshed.json.SecretString).toBe('a2')
      expect(cacheOf(refreshed)).toBe('upstream')
      expect(h.upstreamCalls('GetSecretValue')).toBe(2)
    })
    it('answers a failed forced refresh with the upstream error, as the Agent does', async () => {
      const { h, token } = await setup()
      const name = uniqueName('cache')
      await create(h, token, name, 'kept')
      await read(h, token, name)
      h.emulator.injectFault({ kind: 'server-error', operations: ['GetSecretValue'], count: 4 })
      const refreshed = await read(h, token, name, '?refresh=true')
      expect(refreshed.status).toBe(502)
      expect(refreshed.json.__type).toBe('InternalServiceError')
      expect(refreshed.text).not.toContain('kept')
      const agent = await h.send(`/secretsmanager/get?secretId=${name}&refreshNow=true`, { token })
      expect(agent.status).toBe(502)
      expect(agent.text).not.toContain('kept')
      // A plain read still has the value kept through the failure.
      const plain = await read(h, token, name)
      expect(plain.status).toBe(200)
      expect(plain.json.SecretString).toBe('kept')
    })
  })

  describe('invalidation', () => {
    it('returns the new value from upstream after a PUT', async () => {
      const { h, token } = await setup()
      const name = uniqueName('cache')
      await create(h, token, name, 'p1')
      await read(h, token, name)
      await put(h, token, name, 'p2')
      const after = await read(h, token, name)
      expect(after.json.SecretString).toBe('p2')
      expect(cacheOf(after)).toBe('upstream')
      expect(h.upstreamCalls('GetSecretValue')).toBe(2)
    })

    it('returns the new value after a PATCH', async () => {
      const { h, token } = await setup()
      const name = uniqueName('cache')
      await create(h, token, name, 'u1')
      await read(h, token, name)
      const patched = await h.send(`/v1/secrets/${name}`, {
        method: 'PATCH',
        token,
        body: JSON.stringify({ SecretString: 'u2' }),
      })
      expect(patched.status).toBe(200)
      const after = await read(h, token, name)
      expect(after.json.SecretString).toBe('u2')
      expect(cacheOf(after)).toBe('upstream')
    })

    it('stops serving a secret once it is deleted, here and in another isolate', async () => {
      const { h, token } = await setup()
      const name = uniqueName('cache')
      await create(h, token, name, 'gone-soon')
      await read(h, token, name)
      const deleted = await h.send(`/v1/secrets/${name}?force=true`, { method: 'DELETE', token })
      expect(deleted.status).toBe(200)
      const after = await read(h, token, name)
      expect(after.status).toBe(404)
      expect(after.json.__type).toBe('ResourceNotFoundException')
      expect(after.text).not.toContain('gone-soon')
      const other = await sibling(h, token)
      const elsewhere = await read(other, token, name)
      expect(elsewhere.status).toBe(404)
      expect(elsewhere.text).not.toContain('gone-soon')
    })

    it('serves a secret again once it is restored', async () => {
      // A frozen clock: the remembered failure's backoff (1 s) never runs out on a slow machine.
      const now = Date.now()
      const { h, token } = await setup({ options: { cache: { now: () => now } } })
      const name = uniqueName('cache')
      await create(h, token, name, 'back-again')
      await read(h, token, name)
      expect(
        (await h.send(`/v1/secrets/${name}?recoveryWindowInDays=7`, { method: 'DELETE', token }))
          .status
      ).toBe(200)
      const deleted = await read(h, token, name)
      expect(deleted.status).toBe(400)
      expect(deleted.json.__type).toBe('InvalidRequestException')
      // The failure is remembered for its backoff: the same answer, no new upstream call.
      const calls = h.upstreamCalls('GetSecretValue')
      expect((await read(h, token, name)).status).toBe(400)
      expect(h.upstreamCalls('GetSecretValue')).toBe(calls)
      expect((await h.send(`/v1/restore/${name}`, { method: 'POST', token })).status).toBe(200)
      const restored = await read(h, token, name)
      expect(restored.status).toBe(200)
      expect(restored.json.SecretString).toBe('back-again')
      expect(cacheOf(restored)).toBe('upstream')
    })

    it('finds a secret created after a remembered not-found', async () => {
      // A frozen clock: the remembered failure's backoff (1 s) never runs out on a slow machine.
      const now = Date.now()
      const { h, token } = await setup({ options: { cache: { now: () => now } } })
      const name = uniqueName('cache')
      expect((await read(h, token, name)).status).toBe(404)
      expect((await read(h, token, name)).status).toBe(404)
      expect(h.upstreamCalls('GetSecretValue')).toBe(1)
      await create(h, token, name, 'now-here')
      const found = await read(h, token, name)
      expect(found.status).toBe(200)
      expect(found.json.SecretString).toBe('now-here')
      expect(cacheOf(found)).toBe('upstream')
    })

    it('removes the KV entry, so another isolate gets the new value', async () => {
      const { h, token } = await setup()
      const name = uniqueName('cache')
      await create(h, token, name, 'k1')
      await read(h, token, name)
      expect(cacheOf(await read(await sibling(h, token), token, name))).toBe('kv')
      await put(h, token, name, 'k2')
      const fresh = await sibling(h, token)
      const after = await read(fresh, token, name)
      expect(after.json.SecretString).toBe('k2')
      expect(cacheOf(after)).toBe('upstream')
      expect(fresh.upstreamCalls('GetSecretValue')).toBe(1)
    })

    it("re-reads KV in another isolate's memory after memoryTtlMs", async () => {
      const { h, token } = await setup()
      let clock = Date.now()
      const other = await sibling(h, token, {
        options: { cache: { memoryTtlMs: 5_000, staleWhileRefresh: false, now: () => clock } },
      })
      const name = uniqueName('cache')
      await create(h, token, name, 'm1')
      await read(h, token, name)
      expect(cacheOf(await read(other, token, name))).toBe('kv')
      await put(h, token, name, 'm2')
      // Until memoryTtlMs, the other isolate's memory still holds the old value (as documented).
      const early = await read(other, token, name)
      expect(early.json.SecretString).toBe('m1')
      expect(other.upstreamCalls()).toBe(0)
      clock += 5_000
      const late = await read(other, token, name)
      expect(late.json.SecretString).toBe('m2')
      // KV had lost the entry, which the other isolate had seen there: it asked upstream.
      expect(other.upstreamCalls('GetSecretValue')).toBe(1)
      expect((await read(other, token, name)).json.SecretString).toBe('m2')
      expect(other.upstreamCalls('GetSecretValue')).toBe(1)
    })

    it('invalidates every stage: AWSPREVIOUS follows each PUT', async () => {
      const { h, token } = await setup()
      const name = uniqueName('cache')
      await create(h, token, name, 's1')
      await put(h, token, name, 's2')
      const previous = await read(h, token, name, '?versionStage=AWSPREVIOUS')
      expect(previous.status).toBe(200)
      expect(previous.json.SecretString).toBe('s1')
      expect(previous.json.VersionStages).toEqual(['AWSPREVIOUS'])
      expect(cacheOf(await read(h, token, name, '?versionStage=AWSPREVIOUS'))).toBe('memory')
      await put(h, token, name, 's3')
      const next = await read(h, token, name, '?versionStage=AWSPREVIOUS')
      expect(next.json.SecretString).toBe('s2')
      expect(cacheOf(next)).toBe('upstream')
      expect((await read(h, token, name)).json.SecretString).toBe('s3')
    })

    it('reads by VersionId, cached, and still the same version after a PUT', async () => {
      const { h, token } = await setup()
      const name = uniqueName('cache')
      const first = (await create(h, token, name, 'id-1')).json.VersionId as string
      const second = (await put(h, token, name, 'id-2')).json.VersionId as string
      expect(first).not.toBe(second)
      const byId = await read(h, token, name, `?versionId=${first}`)
      expect(byId.status).toBe(200)
      expect(byId.json.SecretString).toBe('id-1')
      expect(byId.json.VersionId).toBe(first)
      expect(cacheOf(await read(h, token, name, `?versionId=${first}`))).toBe('memory')
      expect(h.upstreamCalls('GetSecretValue')).toBe(1)
      expect((await read(h, token, name, `?versionId=${second}`)).json.SecretString).toBe('id-2')
      await put(h, token, name, 'id-3')
      expect((await read(h, token, name, `?versionId=${first}`)).json.SecretString).toBe('id-1')
    })
  })

  describe('upstream failures', () => {
    it('serves the stale value when the refresh of a due entry fails', async () => {
      let clock = Date.now()
      const { h, token } = await setup({
        options: {
          cache: { refreshIntervalMs: 60_000, staleWhileRefresh: false, now: () => clock },
        },
      })
      const name = uniqueName('cache')
      await create(h, token, name, 'warm')
      await read(h, token, name)
      clock += 60_000
      // Both attempts of the client fail.
      h.emulator.injectFault({ kind: 'server-error', operations: ['GetSecretValue'], count: 2 })
      const stale = await read(h, token, name)
      expect(stale.status).toBe(200)
      expect(stale.json.SecretString).toBe('warm')
      expect(cacheOf(stale)).toBe('stale')
      expect(h.upstreamCalls('GetSecretValue')).toBe(3)
      const line = h.logs.at(-1)
      expect(line && 'cache' in line && line.cache).toBe('stale')
    })

    it('serves stale while a background refresh fails, then through its backoff', async () => {
      let clock = Date.now()
      const { h, token } = await setup({
        options: { cache: { refreshIntervalMs: 60_000, now: () => clock } },
      })
      const name = uniqueName('cache')
      await create(h, token, name, 'warm-bg')
      await read(h, token, name)
      clock += 60_000
      h.emulator.injectFault({ kind: 'server-error', operations: ['GetSecretValue'], count: 2 })
      const stale = await read(h, token, name)
      expect(stale.status).toBe(200)
      expect(stale.json.SecretString).toBe('warm-bg')
      expect(cacheOf(stale)).toBe('stale')
      // The refresh ran in the background (waitUntil) and failed.
      expect(h.upstreamCalls('GetSecretValue')).toBe(3)
      const again = await read(h, token, name)
      expect(again.json.SecretString).toBe('warm-bg')
      expect(cacheOf(again)).toBe('stale')
      expect(h.upstreamCalls('GetSecretValue')).toBe(3)
    })

    it('answers a cold read with 502 when the upstream fails', async () => {
      const { h, token } = await setup()
      const name = uniqueName('cache')
      await create(h, token, name, 'cold')
      h.emulator.injectFault({ kind: 'server-error', operations: ['GetSecretValue'], count: 2 })
      const failed = await read(h, token, name)
      expect(failed.status).toBe(502)
      expect(failed.json.__type).toBe('InternalServiceError')
      expect(failed.text).not.toContain('cold')
      expect(failed.headers.get('cache-control')).toBe('no-store')
    })

    it('answers 502 for a 503 from the upstream too', async () => {
      const { h, token } = await setup()
      const name = uniqueName('cache')
      await create(h, token, name, 'cold-503')
      h.emulator.injectFault({
        kind: 'server-error',
        status: 503,
        operations: ['GetSecretValue'],
        count: 2,
      })
      const failed = await read(h, token, name)
      expect(failed.status).toBe(502)
      expect(failed.json.__type).toBe('ServiceUnavailable')
    })

    it("answers 504 TimeoutError when the upstream is slower than the client's limit", async () => {
      const { h, token } = await setup({ clientTimeoutMs: 50 })
      const name = uniqueName('cache')
      await create(h, token, name, 'slow')
      h.emulator.injectFault({
        kind: 'latency',
        ms: 1_000,
        operations: ['GetSecretValue'],
        count: 2,
      })
      const timedOut = await read(h, token, name)
      expect(timedOut.status).toBe(504)
      expect(timedOut.json.__type).toBe('TimeoutError')
      expect(timedOut.text).not.toContain('slow')
    })

    it('answers 429 with Retry-After when the upstream throttles', async () => {
      const { h, token } = await setup()
      const name = uniqueName('cache')
      await create(h, token, name, 'throttled')
      h.emulator.injectFault({ kind: 'throttle', operations: ['GetSecretValue'], count: 2 })
      const throttled = await read(h, token, name)
      expect(throttled.status).toBe(429)
      expect(throttled.json.__type).toBe('ThrottlingException')
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(h.upstreamCalls('GetSecretValue')).toBe(2)
    })

    it('answers 429 for a throttled write', async () => {
      const { h, token } = await setup()
      const name = uniqueName('cache')
      await create(h, token, name, 'w1')
      h.emulator.injectFault({ kind: 'throttle', operations: ['PutSecretValue'], count: 2 })
      const throttled = await h.send(`/v1/secrets/${name}`, {
        method: 'PUT',
        token,
        body: JSON.stringify({ SecretString: 'w2' }),
      })
      expect(throttled.status).toBe(429)
      expect(throttled.json.__type).toBe('ThrottlingException')
      expect(throttled.headers.get('retry-after')).not.toBeNull()
      expect((await read(h, token, name)).json.SecretString).toBe('w1')
    })
  })
})
