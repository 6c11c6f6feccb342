// Rate limits per grant through the Workers Rate Limiting bindings: TEST_LIMITER allows 3
// requests per 60 s per key (vitest.workers.config.ts); the harness suffixes grant names, so each
// harness starts with fresh counts.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import type { RateLimiterLike } from '../../../src/worker/index.js'
import {
  clientBehindWorker,
  createHarness,
  type Harness,
  type HarnessOptions,
  testToken,
  uniqueName,
} from './harness.js'

const ALL_ACTIONS: ('read' | 'write' | 'delete' | 'list' | 'random-password')[] = [
  'read',
  'write',
  'delete',
  'list',
  'random-password',
]

// No KV tier: its one write per key per second would only slow down tests that re-read.
const MEMORY_ONLY = { CACHE_ENCRYPTION_KEY: '' }

// The local limiter counts in fixed windows (Date.now() / period) and forgets every count at a
// window's edge, so a sequence that crossed one would start again from zero. Each test starts
// well inside a window (waiting a few seconds at most, in one run out of twelve).
async function insideOneWindow(periodSeconds = 60): Promise<void> {
  const leftMs = periodSeconds * 1000 - (Date.now() % (periodSeconds * 1000))
  if (leftMs < 5_000) await new Promise((resolve) => setTimeout(resolve, leftMs + 50))
}

async function setup(extra: Omit<HarnessOptions, 'grants'>) {
  await insideOneWindow()
  const token = testToken('limits')
  const h = await createHarness({
    grants: [{ name: 'limited', token, actions: ALL_ACTIONS, secrets: ['limits/*'] }],
    ...extra,
  })
  return { h, token }
}

// Creates a secret straight in the emulator, so that no limiter counts it.
async function seed(h: Harness, value = 'seeded'): Promise<string> {
  const name = uniqueName('limits')
  await clientBehindWorker(h).createSecret({ Name: name, SecretString: value })
  return name
}

function notices(h: Harness, fragment: string): number {
  return h.logs.filter((line) => 'level' in line && line.message.includes(fragment)).length
}

// A limiter that records each call's key and lets everything through.
function recordingLimiter(): RateLimiterLike & { keys: string[] } {
  const keys: string[] = []
  return {
    keys,
    limit: async ({ key }) => {
      keys.push(key)
      return { success: true }
    },
  }
}

// A test may first wait up to 5 s for a new window.
describe('worker rate limits', { timeout: 20_000 }, () => {
  describe('reads', () => {
    it('refuses the 4th read with 429 and Retry-After, without calling upstream', async () => {
      const { h, token } = await setup({
        env: { READ_LIMITER: env.TEST_LIMITER, WRITE_LIMITER: env.TEST_LIMITER },
        options: { rateLimitPeriodSeconds: { read: 60, write: 60 } },
      })
      const names = [await seed(h), await seed(h), await seed(h), await seed(h)]
      for (const name of names.slice(0, 3)) {
        expect((await h.send(`/v1/secrets/${name}`, { token })).status).toBe(200)
      }
      const before = h.upstreamCalls()
      const refused = await h.send(`/v1/secrets/${names[3]}`, { token })
      expect(refused.status).toBe(429)
      expect(refused.json.__type).toBe('TooManyRequestsException')
      expect(refused.headers.get('retry-after')).toBe('60')
      expect(refused.headers.get('cache-control')).toBe('no-store')
      expect(refused.text).not.toContain('seeded')
      expect(h.upstreamCalls()).toBe(before)
      expect(h.upstreamCalls('GetSecretValue')).toBe(3)
      const line = h.logs.at(-1)
      expect(line).toMatchObject({ status: 429, error: 'TooManyRequestsException' })
      expect(line && 'cache' in line && line.cache).toBe(false)
    })

    it('takes Retry-After from rateLimitPeriodSeconds, 10 s by default', async () => {
      const { h, token } = await setup({ env: { READ_LIMITER: env.TEST_LIMITER } })
      const name = await seed(h)
      for (let i = 0; i < 3; i++) {
        expect((await h.send(`/v1/secrets/${name}`, { token })).status).toBe(200)
      }
      const refused = await h.send(`/v1/secrets/${name}`, { token })
      expect(refused.status).toBe(429)
      expect(refused.headers.get('retry-after')).toBe('10')
    })

    it('counts reads from memory, and refuses them over the limit', async () => {
      const { h, token } = await setup({ env: { READ_LIMITER: env.TEST_LIMITER } })
      const name = await seed(h)
      for (let i = 0; i < 3; i++) {
        expect((await h.send(`/v1/secrets/${name}`, { token })).status).toBe(200)
      }
      expect(h.upstreamCalls('GetSecretValue')).toBe(1)
      expect((await h.send(`/v1/secrets/${name}`, { token })).status).toBe(429)
    })

    it('counts forced refreshes (?refresh=true), refusing the 4th before any upstream call', async () => {
      const { h, token } = await setup({ env: { READ_LIMITER: env.TEST_LIMITER, ...MEMORY_ONLY } })
      const name = await seed(h)
      for (let i = 0; i < 3; i++) {
        const refreshed = await h.send(`/v1/secrets/${name}?refresh=true`, { token })
        expect(refreshed.status).toBe(200)
      }
      expect(h.upstreamCalls('GetSecretValue')).toBe(3)
      const refused = await h.send(`/v1/secrets/${name}?refresh=true`, { token })
      expect(refused.status).toBe(429)
      expect(h.upstreamCalls('GetSecretValue')).toBe(3)
    })

    it('counts the Agent refreshNow=true the same way', async () => {
      const { h, token } = await setup({ env: { READ_LIMITER: env.TEST_LIMITER, ...MEMORY_ONLY } })
      const name = await seed(h)
      const path = `/secretsmanager/get?secretId=${name}&refreshNow=true`
      for (let i = 0; i < 3; i++) {
        expect((await h.send(path, { token })).status).toBe(200)
      }
      const refused = await h.send(path, { token })
      expect(refused.status).toBe(429)
      expect(refused.json.__type).toBe('TooManyRequestsException')
      expect(h.upstreamCalls('GetSecretValue')).toBe(3)
    })

    it('keeps separate counts for two grants', async () => {
      await insideOneWindow()
      const first = testToken('first')
      const second = testToken('second')
      const h = await createHarness({
        grants: [
          { name: 'first', token: first, actions: ['read'], secrets: ['limits/*'] },
          { name: 'second', token: second, actions: ['read'], secrets: ['limits/*'] },
        ],
        env: { READ_LIMITER: env.TEST_LIMITER },
      })
      const name = await seed(h)
      for (let i = 0; i < 3; i++) {
        expect((await h.send(`/v1/secrets/${name}`, { token: first })).status).toBe(200)
      }
      expect((await h.send(`/v1/secrets/${name}`, { token: first })).status).toBe(429)
      for (let i = 0; i < 3; i++) {
        expect((await h.send(`/v1/secrets/${name}`, { token: second })).status).toBe(200)
      }
      expect((await h.send(`/v1/secrets/${name}`, { token: second })).status).toBe(429)
    })
  })

  describe('writes', () => {
    it('counts writes and deletes on WRITE_LIMITER, refusing the 4th without calling upstream', async () => {
      const { h, token } = await setup({
        env: { READ_LIMITER: env.READ_LIMITER, WRITE_LIMITER: env.TEST_LIMITER },
        options: { rateLimitPeriodSeconds: { write: 60 } },
      })
      const name = uniqueName('limits')
      const created = await h.send('/v1/secrets', {
        method: 'POST',
        token,
        body: JSON.stringify({ Name: name, SecretString: 'w1' }),
      })
      expect(created.status).toBe(201)
      const put = await h.send(`/v1/secrets/${name}`, {
        method: 'PUT',
        token,
        body: JSON.stringify({ SecretString: 'w2' }),
      })
      expect(put.status).toBe(200)
      const patched = await h.send(`/v1/secrets/${name}`, {
        method: 'PATCH',
        token,
        body: JSON.stringify({ Description: 'third write' }),
      })
      expect(patched.status).toBe(200)
      const before = h.upstreamCalls()
      const refused = await h.send(`/v1/secrets/${name}`, { method: 'DELETE', token })
      expect(refused.status).toBe(429)
      expect(refused.json.__type).toBe('TooManyRequestsException')
      expect(refused.headers.get('retry-after')).toBe('60')
      expect(h.upstreamCalls()).toBe(before)
      expect(h.upstreamCalls('DeleteSecret')).toBe(0)
      const restore = await h.send(`/v1/restore/${name}`, { method: 'POST', token })
      expect(restore.status).toBe(429)
      // Reads have their own limiter, and the secret is still there.
      const read = await h.send(`/v1/secrets/${name}`, { token })
      expect(read.status).toBe(200)
      expect(read.json.SecretString).toBe('w2')
    })

    it('does not count writes against the reads', async () => {
      const { h, token } = await setup({
        env: { READ_LIMITER: env.TEST_LIMITER, WRITE_LIMITER: env.WRITE_LIMITER, ...MEMORY_ONLY },
      })
      const name = await seed(h, 'r0')
      expect((await h.send(`/v1/secrets/${name}`, { token })).status).toBe(200)
      for (let i = 1; i <= 4; i++) {
        const put = await h.send(`/v1/secrets/${name}`, {
          method: 'PUT',
          token,
          body: JSON.stringify({ SecretString: `r${i}` }),
        })
        expect(put.status).toBe(200)
      }
      expect((await h.send(`/v1/secrets/${name}`, { token })).json.SecretString).toBe('r4')
      expect((await h.send(`/v1/secrets/${name}`, { token })).status).toBe(200)
      expect((await h.send(`/v1/secrets/${name}`, { token })).status).toBe(429)
    })

    it('sends each route to its limiter, keyed by grant name', async () => {
      const reads = recordingLimiter()
      const writes = recordingLimiter()
      const { h, token } = await setup({
        env: { READ_LIMITER: reads, WRITE_LIMITER: writes, ...MEMORY_ONLY },
      })
      const name = uniqueName('limits')
      const json = (body: object) => ({ token, body: JSON.stringify(body) })
      const requests: [string, RequestInit & { token: string }][] = [
        ['/v1/secrets', { method: 'POST', ...json({ Name: name, SecretString: 'x1' }) }],
        [`/v1/secrets/${name}`, { method: 'PUT', ...json({ SecretString: 'x2' }) }],
        [`/v1/secrets/${name}`, { method: 'PATCH', ...json({ Description: 'd' }) }],
        [`/v1/secrets/${name}`, { token }],
        [`/v1/secrets/${name}?refresh=true`, { token }],
        [`/secretsmanager/get?secretId=${name}`, { token }],
        [`/v1/metadata/${name}`, { token }],
        ['/v1/secrets?prefix=limits/', { token }],
        ['/v1/batch-get', { method: 'POST', ...json({ SecretIdList: [name] }) }],
        ['/v1/random-password', { method: 'POST', ...json({ PasswordLength: 16 }) }],
        [`/v1/secrets/${name}`, { method: 'DELETE', token }],
        [`/v1/restore/${name}`, { method: 'POST', token }],
      ]
      for (const [path, init] of requests) {
        const sent = await h.send(path, init)
        expect(sent.status, `${init.method ?? 'GET'} ${path}`).toBeLessThan(300)
      }
      const grant = h.grantName('limited')
      expect(writes.keys).toEqual(Array(5).fill(grant))
      expect(reads.keys).toEqual(Array(7).fill(grant))
    })
  })

  describe('bindings', () => {
    it('serves requests when a limiter is not bound, and says so once', async () => {
      const { h, token } = await setup({
        env: { READ_LIMITER: undefined } as unknown as NonNullable<HarnessOptions['env']>,
      })
      const name = await seed(h)
      for (let i = 0; i < 5; i++) {
        expect((await h.send(`/v1/secrets/${name}`, { token })).status).toBe(200)
      }
      expect(notices(h, 'READ_LIMITER is not bound')).toBe(1)
    })

    it('serves requests when the limiter throws, and says so once', async () => {
      const broken: RateLimiterLike = {
        limit: async () => {
          throw new Error('limiter unavailable')
        },
      }
      const { h, token } = await setup({ env: { READ_LIMITER: broken, WRITE_LIMITER: broken } })
      const name = await seed(h, 'still-served')
      for (let i = 0; i < 5; i++) {
        const read = await h.send(`/v1/secrets/${name}`, { token })
        expect(read.status).toBe(200)
        expect(read.json.SecretString).toBe('still-served')
      }
      const put = await h.send(`/v1/secrets/${name}`, {
        method: 'PUT',
        token,
        body: JSON.stringify({ SecretString: 'next' }),
      })
      expect(put.status).toBe(200)
      expect(notices(h, 'READ_LIMITER failed')).toBe(1)
      expect(notices(h, 'WRITE_LIMITER failed')).toBe(1)
    })
  })
})
