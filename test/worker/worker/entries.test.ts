// The two entries as deployed and as `npm start` runs them: the production entry (main.ts,
// wrangler.toml's `main`) with its bundled, empty grant list, and the development entry (dev.ts)
// with the README's token on the embedded emulator. Each test imports a fresh copy, so each
// gets a new isolate's state (grants, client, cache, notices).
import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import bundledGrants from '../../../config/grants.json'
import { createEmulator } from '../../../src/emulator/index.js'
import { hashToken, type WorkerBindings } from '../../../src/worker/index.js'
import { ACCOUNT_ID, type Sent, sendTo, testToken, uniqueName } from './harness.js'

// As shipped, config/grants.json is empty; a deployer may fill it (README, Deploy step 4), and
// the production entry must refuse the development token either way.
const BUNDLED_EMPTY = (bundledGrants as unknown[]).length === 0

// The README's development token (config/grants.dev.json holds its hash).
const DEV_TOKEN = 'esk_dev_edge_secrets_local_only_not_a_secret'

// The worker's own key pair, as `wrangler secret put` would set it.
const AWS_KEYS = {
  AWS_ACCESS_KEY_ID: 'AKIDPRODUCTIONTEST',
  AWS_SECRET_ACCESS_KEY: 'production-test',
}

type Entry = { fetch(request: Request, env: object, ctx: ExecutionContext): Promise<Response> }

let logged: string[] = []

beforeEach(() => {
  logged = []
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
    logged.push(String(line))
  })
})

afterEach(() => {
  vi.restoreAllMocks()
})

async function freshEntry(which: 'main' | 'dev'): Promise<Entry> {
  vi.resetModules()
  const module =
    which === 'main'
      ? await import('../../../src/worker/main.js')
      : await import('../../../src/worker/dev.js')
  return module.default as Entry
}

function send(
  entry: Entry,
  bindings: object,
  path: string,
  init: RequestInit & { token?: string } = {}
): Promise<Sent> {
  return sendTo(entry, bindings, path, init)
}

function notices(fragment: string): number {
  return logged.filter((line) => line.includes('"level":"warn"') && line.includes(fragment)).length
}

// wrangler.toml's bindings and vars, with no secrets set (whatever a local .dev.vars holds).
function productionEnv(secrets: WorkerBindings = {}): WorkerBindings {
  const {
    AWS_ACCESS_KEY_ID: _id,
    AWS_SECRET_ACCESS_KEY: _key,
    AWS_SESSION_TOKEN: _session,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: _endpoint,
    CACHE_ENCRYPTION_KEY: _cacheKey,
    GRANTS: _grants,
    ...base
  } = { ...env } as WorkerBindings
  return { ...base, ...secrets }
}

async function grantsJson(token: string): Promise<string> {
  return JSON.stringify([
    {
      name: 'ci',
      tokenSha256: [await hashToken(token)],
      actions: ['read', 'write', 'delete'],
      secrets: ['ci/*'],
    },
  ])
}

// Upstream calls of the production entry: its client reads the global fetch at call time.
function upstreamVia(handler: (request: Request) => Promise<Response>): Request[] {
  const seen: Request[] = []
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const request = new Request(input, init)
    seen.push(request.clone())
    return handler(request)
  })
  return seen
}

describe('production entry (main.ts)', () => {
  it('refuses the development token on every secret route when no GRANTS is set', async () => {
    const main = await freshEntry('main')
    const calls = upstreamVia(async () => new Response('unexpected', { status: 500 }))
    const bindings = productionEnv(AWS_KEYS)
    const requests: [string, RequestInit & { token?: string }][] = [
      ['/v1/secrets/demo/greeting', { token: DEV_TOKEN }],
      ['/v1/secrets/demo/greeting', { token: testToken() }],
      ['/v1/secrets/demo/greeting', {}],
      [
        '/v1/secrets',
        {
          method: 'POST',
          token: DEV_TOKEN,
          body: JSON.stringify({ Name: 'demo/x', SecretString: 'x' }),
        },
      ],
      ['/secretsmanager/get?secretId=demo/greeting', { token: DEV_TOKEN }],
      ['/v1/random-password', { method: 'POST', token: DEV_TOKEN }],
    ]
    for (const [path, init] of requests) {
      const sent = await send(main, bindings, path, init)
      // With no grants at all, every route fails closed (403); with bundled grants, these
      // tokens match none of them (401).
      expect(sent.status, path).toBe(BUNDLED_EMPTY ? 403 : 401)
      if (BUNDLED_EMPTY) expect(sent.json.__type).toBe('AccessDeniedException')
      expect(sent.headers.get('cache-control')).toBe('no-store')
    }
    expect(calls).toHaveLength(0)
    expect(notices('grant list is empty')).toBe(BUNDLED_EMPTY ? 1 : 0)
    // The health check needs no grant.
    const ping = await send(main, bindings, '/ping')
    expect(ping.status).toBe(200)
    expect(ping.text).toBe('healthy')
  })

  it("refuses the README's development token when GRANTS is set", async () => {
    const main = await freshEntry('main')
    const calls = upstreamVia(async () => new Response('unexpected', { status: 500 }))
    const bindings = productionEnv({
      ...AWS_KEYS,
      GRANTS: await grantsJson(testToken('ci')),
    })
    for (const path of [
      '/v1/secrets/demo/greeting',
      '/v1/secrets/ci/app',
      '/secretsmanager/get?secretId=demo/greeting',
    ]) {
      const sent = await send(main, bindings, path, { token: DEV_TOKEN })
      expect(sent.status, path).toBe(401)
      expect(sent.json.__type).toBe('InvalidTokenException')
    }
    const agentHeader = await send(main, bindings, '/secretsmanager/get?secretId=demo/greeting', {
      headers: { 'x-aws-parameters-secrets-token': DEV_TOKEN },
    })
    expect(agentHeader.status).toBe(401)
    expect(calls).toHaveLength(0)
  })

  it('accepts a grant from the GRANTS secret, and reads with the worker’s own keys', async () => {
    const main = await freshEntry('main')
    const emulator = createEmulator({ accountId: ACCOUNT_ID })
    const calls = upstreamVia((request) => emulator.fetch(request))
    const token = testToken('ci')
    const bindings = productionEnv({
      ...AWS_KEYS,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://secretsmanager.test',
      GRANTS: await grantsJson(token),
    })
    const name = uniqueName('ci')
    const created = await send(main, bindings, '/v1/secrets', {
      method: 'POST',
      token,
      body: JSON.stringify({ Name: name, SecretString: 'from-production' }),
    })
    expect(created.status).toBe(201)
    const read = await send(main, bindings, `/v1/secrets/${name}`, { token })
    expect(read.status).toBe(200)
    expect(read.json.SecretString).toBe('from-production')
    const outOfScope = await send(main, bindings, '/v1/secrets/demo/greeting', { token })
    expect(outOfScope.status).toBe(403)
    expect(calls.length).toBeGreaterThan(0)
    for (const call of calls) {
      expect(new URL(call.url).origin).toBe('http://secretsmanager.test')
      expect(call.headers.get('authorization')).toContain('Credential=AKIDPRODUCTIONTEST/')
    }
    // Neither the caller's token nor its hash goes upstream.
    for (const call of calls) {
      expect(new TextDecoder().decode(await call.arrayBuffer())).not.toContain(token)
      expect(call.headers.get('authorization')).not.toContain(token)
    }
  })

  it('answers 502 for a valid token when the upstream is unreachable', async () => {
    const main = await freshEntry('main')
    upstreamVia(async () => {
      throw new TypeError('Network connection lost.')
    })
    const token = testToken('ci')
    const bindings = productionEnv({
      ...AWS_KEYS,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9',
      GRANTS: await grantsJson(token),
    })
    const valid = await send(main, bindings, '/v1/secrets/ci/app', { token })
    expect(valid.status).toBe(502)
    expect(valid.json.__type).toBe('NetworkError')
    const dev = await send(main, bindings, '/v1/secrets/ci/app', { token: DEV_TOKEN })
    expect(dev.status).toBe(401)
  })

  it('answers 503 ServiceUnavailableException without AWS_ACCESS_KEY_ID, with a notice', async () => {
    const main = await freshEntry('main')
    const calls = upstreamVia(async () => new Response('unexpected', { status: 500 }))
    const token = testToken('ci')
    const bindings = productionEnv({
      AWS_SECRET_ACCESS_KEY: 'production-test',
      GRANTS: await grantsJson(token),
    })
    for (let i = 0; i < 2; i++) {
      const sent = await send(main, bindings, '/v1/secrets/ci/app', { token })
      expect(sent.status).toBe(503)
      expect(sent.json.__type).toBe('ServiceUnavailableException')
      expect(sent.text).not.toContain('production-test')
    }
    expect(notices('AWS_ACCESS_KEY_ID is not set')).toBe(1)
    expect(calls).toHaveLength(0)
    // The request line is logged too, with the error type, and holds no secret.
    const lines = logged.filter((line) => line.includes('"status":503'))
    expect(lines).toHaveLength(2)
    for (const line of lines) {
      expect(line).toContain('ServiceUnavailableException')
      expect(line).not.toContain('production-test')
      expect(line).not.toContain(token)
    }
  })

  it('refuses every request when GRANTS does not parse, with a notice', async () => {
    const main = await freshEntry('main')
    const token = testToken('ci')
    const bindings = productionEnv({
      ...AWS_KEYS,
      GRANTS: `${await grantsJson(token)},`,
    })
    for (const candidate of [token, DEV_TOKEN]) {
      const sent = await send(main, bindings, '/v1/secrets/ci/app', { token: candidate })
      expect(sent.status).toBe(403)
      expect(sent.json.__type).toBe('AccessDeniedException')
    }
    expect(notices('grants are invalid')).toBe(1)
  })
})

describe('development entry (dev.ts)', () => {
  function devEnv() {
    return { ...env, EMULATOR_KV: env.EMULATOR_KV }
  }

  it("accepts the README's token and round-trips a secret on EMULATOR_KV", async () => {
    const dev = await freshEntry('dev')
    const bindings = devEnv()
    const name = uniqueName('demo')
    const created = await send(dev, bindings, '/v1/secrets', {
      method: 'POST',
      token: DEV_TOKEN,
      body: JSON.stringify({ Name: name, SecretString: 'dev-v1' }),
    })
    expect(created.status).toBe(201)
    const put = await send(dev, bindings, `/v1/secrets/${name}`, {
      method: 'PUT',
      token: DEV_TOKEN,
      body: JSON.stringify({ SecretString: 'dev-v2' }),
    })
    expect(put.status).toBe(200)
    const read = await send(dev, bindings, `/v1/secrets/${name}`, { token: DEV_TOKEN })
    expect(read.status).toBe(200)
    expect(read.json.SecretString).toBe('dev-v2')
    const previous = await send(dev, bindings, `/v1/secrets/${name}?versionStage=AWSPREVIOUS`, {
      token: DEV_TOKEN,
    })
    expect(previous.json.SecretString).toBe('dev-v1')
    expect((await env.EMULATOR_KV.list()).keys.length).toBeGreaterThan(0)

    // A restarted worker (a new isolate) finds the secret in EMULATOR_KV.
    const restarted = await freshEntry('dev')
    const again = await send(restarted, bindings, `/secretsmanager/get?secretId=${name}`, {
      headers: { 'x-aws-parameters-secrets-token': DEV_TOKEN },
    })
    expect(again.status).toBe(200)
    expect(again.json.SecretString).toBe('dev-v2')
    expect(again.headers.get('x-edge-secrets-cache')).toBe('upstream')
  })

  it('keeps the development grant to demo/*', async () => {
    const dev = await freshEntry('dev')
    const bindings = devEnv()
    const outside = await send(dev, bindings, '/v1/secrets', {
      method: 'POST',
      token: DEV_TOKEN,
      body: JSON.stringify({ Name: uniqueName('prod'), SecretString: 'nope' }),
    })
    expect(outside.status).toBe(403)
    expect(outside.json.__type).toBe('AccessDeniedException')
    const other = await send(dev, bindings, '/v1/secrets/demo/anything', { token: testToken() })
    expect(other.status).toBe(401)
    expect(other.json.__type).toBe('InvalidTokenException')
  })
})
