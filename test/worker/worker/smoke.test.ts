import { describe, expect, it } from 'vitest'
import { createHarness, testToken, uniqueName } from './harness.js'

describe('harness', () => {
  it('creates and reads a secret, the second read from memory', async () => {
    const token = testToken()
    const h = await createHarness({
      grants: [{ name: 'app', token, actions: ['read', 'write'], secrets: ['app/*'] }],
    })
    const name = uniqueName('app')
    const created = await h.send('/v1/secrets', {
      method: 'POST',
      token,
      body: JSON.stringify({ Name: name, SecretString: 's3cret' }),
    })
    expect(created.status).toBe(201)
    const first = await h.send(`/v1/secrets/${name}`, { token })
    expect(first.json.SecretString).toBe('s3cret')
    const second = await h.send(`/v1/secrets/${name}`, { token })
    expect(second.headers.get('x-edge-secrets-cache')).toBe('memory')
    expect(h.upstreamCalls('GetSecretValue')).toBe(1)
  })
})
