// Behaviours a review of the worker asked for: bad tags and prototype-named members are 400s,
// not upstream 502s or silently accepted; a list shows names and ARNs only, asking upstream for
// the grant's prefixes alone; a refusal says nothing of the cache; unknown paths under a mounted
// worker are its JSON 404; a non-Bearer Authorization leaves the Agent's token header usable.
import { beforeAll, describe, expect, it } from 'vitest'
import { createHarness, type Harness, testToken, uniqueName } from './harness.js'

const UNLIMITED = { limit: async () => ({ success: true }) }

let h: Harness
let mounted: Harness
const token = testToken('review')
const reader = testToken('reader')

beforeAll(async () => {
  const grants = [
    { name: 'rv', token, actions: ['read', 'write', 'list'] as const, secrets: ['rv/*'] },
    {
      name: 'rv-list',
      token: reader,
      actions: ['read', 'list'] as const,
      secrets: ['rv/exact/db', 'rv/list/*'],
    },
  ].map((grant) => ({ ...grant, actions: [...grant.actions] }))
  const env = { READ_LIMITER: UNLIMITED, WRITE_LIMITER: UNLIMITED }
  h = await createHarness({ grants, env })
  mounted = await createHarness({ grants, env, mountPath: '/secrets' })
})

async function create(name: string, extra: object = {}) {
  const sent = await h.send('/v1/secrets', {
    method: 'POST',
    token,
    body: JSON.stringify({ Name: name, SecretString: `value-of-${name}`, ...extra }),
  })
  expect(sent.status).toBe(201)
}

describe('worker input', () => {
  it('refuses a tag without a Key with 400, before any upstream call', async () => {
    const calls = h.upstreamCalls()
    const sent = await h.send('/v1/secrets', {
      method: 'POST',
      token,
      body: JSON.stringify({
        Name: uniqueName('rv/tags'),
        SecretString: 's',
        Tags: [{ Value: 'v' }],
      }),
    })
    expect(sent.status).toBe(400)
    expect(sent.json).toEqual({
      __type: 'ValidationException',
      message: expect.stringContaining('Tags'),
    })
    expect(h.upstreamCalls()).toBe(calls)
  })

  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__'])(
    'refuses a member named %s as unknown',
    async (member) => {
      const calls = h.upstreamCalls()
      const body = `{"Name":"${uniqueName('rv/proto')}","SecretString":"s","${member}":{}}`
      const sent = await h.send('/v1/secrets', { method: 'POST', token, body })
      expect(sent.status).toBe(400)
      expect(sent.json.__type).toBe('ValidationException')
      expect(h.upstreamCalls()).toBe(calls)
    }
  )
})

describe('worker list', () => {
  it('shows only Name and ARN of the names the grant covers', async () => {
    const inside = uniqueName('rv/list')
    await create(inside, { Description: 'a description', Tags: [{ Key: 'team', Value: 'x' }] })
    await create(uniqueName('rv/other'))
    const sent = await h.send('/v1/secrets?prefix=rv/', { token: reader })
    expect(sent.status).toBe(200)
    const names = sent.json.SecretList.map((entry: { Name: string }) => entry.Name)
    expect(names).toContain(inside)
    expect(
      names.every((name: string) => name === 'rv/exact/db' || name.startsWith('rv/list/'))
    ).toBe(true)
    for (const entry of sent.json.SecretList)
      expect(Object.keys(entry).sort()).toEqual(['ARN', 'Name'])
    expect(sent.text).not.toContain('a description')
  })

  it('asks nothing upstream for a prefix the grant cannot cover', async () => {
    const calls = h.upstreamCalls('ListSecrets')
    const sent = await h.send('/v1/secrets?prefix=rv/other/', { token: reader })
    expect(sent.status).toBe(200)
    expect(sent.json).toEqual({ SecretList: [] })
    expect(h.upstreamCalls('ListSecrets')).toBe(calls)
  })

  it('gives no empty pages for names outside the grant, page after page', async () => {
    for (let i = 0; i < 4; i++) await create(uniqueName('rv/noise'))
    const mine = uniqueName('rv/list')
    await create(mine)
    let nextToken: string | undefined
    let pages = 0
    const seen: string[] = []
    do {
      const query = new URLSearchParams({ maxResults: '1' })
      if (nextToken) query.set('nextToken', nextToken)
      const sent = await h.send(`/v1/secrets?${query}`, { token: reader })
      expect(sent.status).toBe(200)
      pages++
      seen.push(...sent.json.SecretList.map((entry: { Name: string }) => entry.Name))
      // Every page but a last empty one holds a covered name.
      if (sent.json.NextToken !== undefined) expect(sent.json.SecretList).toHaveLength(1)
      nextToken = sent.json.NextToken
    } while (nextToken !== undefined && pages < 40)
    expect(seen).toContain(mine)
    expect(seen.some((name) => name.startsWith('rv/noise/'))).toBe(false)
  })
})

describe('worker refusals', () => {
  it('sets no X-Edge-Secrets-Cache on a read refused after the upstream answer', async () => {
    // rv/exact/db-AbCdEf is outside the reader's grant; its ARN may also stand for rv/exact/db.
    const name = 'rv/exact/db-AbCdEf'
    await create(name)
    const arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}`
    for (let i = 0; i < 2; i++) {
      const sent = await h.send(`/v1/secrets/${arn}`, { token: reader })
      expect(sent.status).toBe(403)
      expect(sent.headers.get('x-edge-secrets-cache')).toBeNull()
      expect(sent.text).not.toContain(`value-of-${name}`)
    }
  })
})

describe('worker mounted under /secrets', () => {
  it.each(['/secrets/v1/nope', '/secrets/v1/secrets-extra', '/secretsmanager/get/x'])(
    'answers an unknown path %s under its prefixes with its JSON 404',
    async (path) => {
      const full = path.startsWith('/secrets/') ? path : `/secrets${path}`
      const sent = await mounted.send(full, { token })
      expect(sent.status).toBe(404)
      expect(sent.json).toEqual({ __type: 'NotFoundException', message: 'No such route' })
      expect(sent.headers.get('cache-control')).toBe('no-store')
    }
  )
})

describe('worker tokens', () => {
  it('takes the Agent header when Authorization is another scheme', async () => {
    const name = uniqueName('rv/agent')
    await create(name)
    const sent = await h.send(`/secretsmanager/get?secretId=${name}`, {
      headers: { authorization: 'Basic dXNlcjpwYXNz', 'x-aws-parameters-secrets-token': token },
    })
    expect(sent.status).toBe(200)
    expect(sent.json.Name).toBe(name)
  })

  it('still refuses a malformed Bearer even with a good Agent header', async () => {
    const sent = await h.send(`/secretsmanager/get?secretId=rv/x`, {
      headers: { authorization: 'Bearer', 'x-aws-parameters-secrets-token': token },
    })
    expect(sent.status).toBe(401)
  })
})
