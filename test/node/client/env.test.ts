import { afterEach, describe, expect, it, vi } from 'vitest'
import { fromEnv } from '../../../src/client/index.js'

const KEYS = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' }

describe('fromEnv', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
    vi.unstubAllGlobals()
  })

  it('reads a passed object such as a Worker env', () => {
    const env = {
      ...KEYS,
      AWS_SESSION_TOKEN: 'token',
      AWS_REGION: 'eu-west-1',
      SECRETS_CACHE: { get() {} },
    }
    expect(fromEnv(env)).toEqual({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
    })
  })

  it('falls back to AWS_DEFAULT_REGION and AWS_ENDPOINT_URL', () => {
    const options = fromEnv({
      ...KEYS,
      AWS_DEFAULT_REGION: 'ap-south-1',
      AWS_ENDPOINT_URL: 'http://localhost:4566',
    })
    expect(options.region).toBe('ap-south-1')
    expect(options.endpoint).toBe('http://localhost:4566')
    expect(options.credentials).toEqual({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' })
  })

  it('prefers the service-specific endpoint and AWS_REGION', () => {
    const options = fromEnv({
      ...KEYS,
      AWS_REGION: 'us-west-2',
      AWS_DEFAULT_REGION: 'ap-south-1',
      AWS_ENDPOINT_URL: 'http://generic:1',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://secrets:2',
    })
    expect(options.region).toBe('us-west-2')
    expect(options.endpoint).toBe('http://secrets:2')
  })

  it('reads AWS_USE_FIPS_ENDPOINT', () => {
    expect(
      fromEnv({ ...KEYS, AWS_REGION: 'us-east-1', AWS_USE_FIPS_ENDPOINT: 'true' })
    ).toMatchObject({
      useFipsEndpoint: true,
    })
    expect(
      fromEnv({ ...KEYS, AWS_REGION: 'us-east-1', AWS_USE_FIPS_ENDPOINT: 'false' })
    ).not.toHaveProperty('useFipsEndpoint')
  })

  it('treats empty and non-string values as unset', () => {
    expect(() => fromEnv({ ...KEYS, AWS_REGION: '' })).toThrow('AWS_REGION')
    expect(() => fromEnv({ AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 42 })).toThrow(
      'AWS_ACCESS_KEY_ID'
    )
    expect(() => fromEnv({ AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'A' })).toThrow(
      'AWS_SECRET_ACCESS_KEY'
    )
  })

  it('reads process.env when no object is passed (Node, Bun)', () => {
    vi.stubEnv('AWS_REGION', 'sa-east-1')
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDNODE')
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'node-secret')
    vi.stubEnv('AWS_SESSION_TOKEN', '')
    expect(fromEnv()).toEqual({
      region: 'sa-east-1',
      credentials: { accessKeyId: 'AKIDNODE', secretAccessKey: 'node-secret' },
    })
  })

  it('reads Deno.env first, and treats names it may not read as unset', () => {
    const vars: Record<string, string> = { ...KEYS, AWS_REGION: 'eu-north-1' }
    vi.stubGlobal('Deno', {
      env: {
        get(name: string) {
          if (name === 'AWS_SESSION_TOKEN') throw new Error('NotCapable: --allow-env')
          return vars[name]
        },
      },
    })
    vi.stubEnv('AWS_REGION', 'us-east-1')
    expect(fromEnv()).toEqual({
      region: 'eu-north-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    })
  })

  it('reads Bun.env before process.env', () => {
    vi.stubGlobal('Bun', { env: { ...KEYS, AWS_REGION: 'me-south-1' } })
    vi.stubEnv('AWS_REGION', 'us-east-1')
    expect(fromEnv().region).toBe('me-south-1')
  })
})
