// CORS for browser extensions: origins from the CORS_ORIGINS var and the corsOrigins option,
// none by default. Preflights from anywhere else get no Access-Control-Allow-Origin.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { createHarness, type HarnessOptions, testToken, uniqueName } from './harness.js'

const EXTENSION = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop'
const OPTION_ORIGIN = 'https://console.example.test'
const OTHER = 'chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba'

async function setup(extra: Omit<HarnessOptions, 'grants'> = {}) {
  const token = testToken('cors')
  const h = await createHarness({
    grants: [{ name: 'extension', token, actions: ['read', 'write'], secrets: ['cors/*'] }],
    ...extra,
  })
  return { h, token }
}

function configured() {
  return setup({ env: { CORS_ORIGINS: EXTENSION }, options: { corsOrigins: [OPTION_ORIGIN] } })
}

function preflight(origin: string | undefined, method = 'GET') {
  const headers: Record<string, string> = {
    'access-control-request-method': method,
    'access-control-request-headers': 'authorization, x-aws-parameters-secrets-token',
  }
  if (origin !== undefined) headers.origin = origin
  return { method: 'OPTIONS', headers }
}

function list(header: string | null): string[] {
  return (header ?? '').split(',').map((item) => item.trim().toLowerCase())
}

describe('worker CORS', () => {
  describe('preflight', () => {
    it.each([
      ['the CORS_ORIGINS var', EXTENSION],
      ['the corsOrigins option', OPTION_ORIGIN],
    ])('allows an origin from %s', async (_, origin) => {
      const { h } = await configured()
      const sent = await h.send('/v1/secrets/cors/app', preflight(origin))
      expect(sent.status).toBe(204)
      expect(sent.headers.get('access-control-allow-origin')).toBe(origin)
      expect(list(sent.headers.get('access-control-allow-methods'))).toEqual(
        expect.arrayContaining(['get', 'post', 'put', 'patch', 'delete'])
      )
      expect(list(sent.headers.get('access-control-allow-headers'))).toEqual(
        expect.arrayContaining(['authorization', 'x-aws-parameters-secrets-token', 'content-type'])
      )
      expect(list(sent.headers.get('vary'))).toContain('origin')
      expect(sent.headers.get('cache-control')).toBe('no-store')
      expect(sent.text).toBe('')
    })

    it('allows a preflight of a write and of the Agent route', async () => {
      const { h } = await configured()
      const write = await h.send('/v1/secrets/cors/app', preflight(EXTENSION, 'PUT'))
      expect(write.headers.get('access-control-allow-origin')).toBe(EXTENSION)
      const agent = await h.send('/secretsmanager/get?secretId=cors/app', preflight(EXTENSION))
      expect(agent.headers.get('access-control-allow-origin')).toBe(EXTENSION)
    })

    it.each([
      ['another extension', OTHER],
      ['a longer origin that starts with an allowed one', `${EXTENSION}.evil.test`],
      ['an allowed origin with a path', `${EXTENSION}/`],
      ['the null origin', 'null'],
      ['a wildcard', '*'],
    ])('refuses %s', async (_, origin) => {
      const { h } = await configured()
      const sent = await h.send('/v1/secrets/cors/app', preflight(origin))
      expect(sent.headers.get('access-control-allow-origin')).toBeNull()
      expect(sent.headers.get('cache-control')).toBe('no-store')
    })

    it('refuses every origin when none are configured (the default)', async () => {
      const { h } = await setup()
      for (const origin of [EXTENSION, OPTION_ORIGIN, 'null']) {
        const sent = await h.send('/v1/secrets/cors/app', preflight(origin))
        expect(sent.headers.get('access-control-allow-origin')).toBeNull()
        expect(sent.headers.get('cache-control')).toBe('no-store')
      }
    })

    it("refuses every origin with wrangler.toml's empty CORS_ORIGINS", async () => {
      const { h } = await setup({ env: { CORS_ORIGINS: env.CORS_ORIGINS } })
      const sent = await h.send('/v1/secrets/cors/app', preflight(EXTENSION))
      expect(sent.headers.get('access-control-allow-origin')).toBeNull()
    })

    it('reads a comma-separated list, spaces allowed', async () => {
      const { h } = await setup({ env: { CORS_ORIGINS: ` ${OTHER} , ${EXTENSION} ,` } })
      for (const origin of [OTHER, EXTENSION]) {
        const sent = await h.send('/v1/secrets/cors/app', preflight(origin))
        expect(sent.headers.get('access-control-allow-origin')).toBe(origin)
      }
      const none = await h.send('/v1/secrets/cors/app', preflight(OPTION_ORIGIN))
      expect(none.headers.get('access-control-allow-origin')).toBeNull()
    })

    it('needs no token and calls no upstream', async () => {
      const { h } = await configured()
      await h.send('/v1/secrets/cors/app', preflight(EXTENSION))
      expect(h.upstreamCalls()).toBe(0)
    })
  })

  describe('requests', () => {
    it('lets an allowed origin read the answer and X-Edge-Secrets-Cache', async () => {
      const { h, token } = await configured()
      const name = uniqueName('cors')
      const created = await h.send('/v1/secrets', {
        method: 'POST',
        token,
        headers: { origin: EXTENSION, 'content-type': 'application/json' },
        body: JSON.stringify({ Name: name, SecretString: 'for-the-extension' }),
      })
      expect(created.status).toBe(201)
      expect(created.headers.get('access-control-allow-origin')).toBe(EXTENSION)
      const read = await h.send(`/v1/secrets/${name}`, { token, headers: { origin: EXTENSION } })
      expect(read.status).toBe(200)
      expect(read.json.SecretString).toBe('for-the-extension')
      expect(read.headers.get('access-control-allow-origin')).toBe(EXTENSION)
      expect(list(read.headers.get('access-control-expose-headers'))).toEqual(
        expect.arrayContaining(['x-edge-secrets-cache', 'retry-after', 'x-request-id'])
      )
      expect(read.headers.get('x-edge-secrets-cache')).toBe('upstream')
      expect(read.headers.get('cache-control')).toBe('no-store')
    })

    it('lets an allowed origin read an error', async () => {
      const { h } = await configured()
      const refused = await h.send('/v1/secrets/cors/app', { headers: { origin: EXTENSION } })
      expect(refused.status).toBe(401)
      expect(refused.json.__type).toBe('MissingAuthenticationTokenException')
      expect(refused.headers.get('access-control-allow-origin')).toBe(EXTENSION)
      expect(refused.headers.get('cache-control')).toBe('no-store')
    })

    it('gives another origin no Access-Control-Allow-Origin on an actual request', async () => {
      const { h, token } = await configured()
      const name = uniqueName('cors')
      await h.send('/v1/secrets', {
        method: 'POST',
        token,
        body: JSON.stringify({ Name: name, SecretString: 'not-for-others' }),
      })
      const read = await h.send(`/v1/secrets/${name}`, { token, headers: { origin: OTHER } })
      expect(read.headers.get('access-control-allow-origin')).toBeNull()
      expect(read.headers.get('cache-control')).toBe('no-store')
    })
  })
})
