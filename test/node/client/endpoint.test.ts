import { describe, expect, it } from 'vitest'
import { resolveEndpoint } from '../../../src/client/endpoint.js'
import { SecretsManagerClient } from '../../../src/client/index.js'
import { CREDENTIALS } from '../../mocks/server.js'

describe('resolveEndpoint', () => {
  it.each([
    [{ region: 'us-east-1' }, 'https://secretsmanager.us-east-1.amazonaws.com/'],
    [{ region: 'eu-west-1' }, 'https://secretsmanager.eu-west-1.amazonaws.com/'],
    [{ region: 'cn-north-1' }, 'https://secretsmanager.cn-north-1.amazonaws.com.cn/'],
    [{ region: 'cn-northwest-1' }, 'https://secretsmanager.cn-northwest-1.amazonaws.com.cn/'],
    [{ region: 'us-gov-west-1' }, 'https://secretsmanager.us-gov-west-1.amazonaws.com/'],
    [{ region: 'us-iso-east-1' }, 'https://secretsmanager.us-iso-east-1.c2s.ic.gov/'],
    [{ region: 'us-isob-east-1' }, 'https://secretsmanager.us-isob-east-1.sc2s.sgov.gov/'],
    [
      { region: 'us-east-1', useFipsEndpoint: true },
      'https://secretsmanager-fips.us-east-1.amazonaws.com/',
    ],
    [
      { region: 'ca-central-1', useFipsEndpoint: true },
      'https://secretsmanager-fips.ca-central-1.amazonaws.com/',
    ],
    [
      { region: 'us-gov-east-1', useFipsEndpoint: true },
      'https://secretsmanager-fips.us-gov-east-1.amazonaws.com/',
    ],
    [{ region: 'eu-west-1', endpoint: 'http://localhost:4566' }, 'http://localhost:4566/'],
    [
      {
        region: 'eu-west-1',
        endpoint: new URL('https://vpce-0a1b.secretsmanager.eu-west-1.vpce.amazonaws.com'),
      },
      'https://vpce-0a1b.secretsmanager.eu-west-1.vpce.amazonaws.com/',
    ],
    [
      { region: 'us-east-1', endpoint: 'http://127.0.0.1:8787/emulator' },
      'http://127.0.0.1:8787/emulator',
    ],
  ])('%o → %s', (config, url) => {
    expect(resolveEndpoint(config)).toBe(url)
  })

  it('never generates the non-resolving api.aws host', () => {
    for (const region of ['us-east-1', 'cn-north-1', 'us-gov-west-1']) {
      expect(resolveEndpoint({ region })).not.toContain('api.aws')
    }
  })

  it.each([
    [{ region: 'us-east-1', endpoint: 'http://localhost:4566', useFipsEndpoint: true }, /FIPS/i],
    [{ region: 'cn-north-1', useFipsEndpoint: true }, /FIPS/],
    [{ region: 'us-iso-east-1', useFipsEndpoint: true }, /FIPS/],
    [{ region: 'evil.example.com/x' }, /region/],
    [{ region: '' }, /region/],
    [{ region: 'US-EAST-1' }, /region/],
    [{ region: 'us-east-1', endpoint: 'localhost:4566' }, /endpoint/],
    [{ region: 'us-east-1', endpoint: 'not a url' }, /endpoint/],
    [{ region: 'us-east-1', endpoint: 'ftp://example.com' }, /endpoint/],
  ])('refuses %o', (config, message) => {
    expect(() => resolveEndpoint(config)).toThrow(TypeError)
    expect(() => resolveEndpoint(config)).toThrow(message)
  })
})

describe('SecretsManagerClient options', () => {
  it('exposes the resolved endpoint and the signing region', () => {
    const sm = new SecretsManagerClient({ region: 'cn-north-1', credentials: CREDENTIALS })
    expect(sm.endpoint).toBe('https://secretsmanager.cn-north-1.amazonaws.com.cn/')
    expect(sm.region).toBe('cn-north-1')
  })

  it('refuses a custom endpoint combined with FIPS', () => {
    expect(
      () =>
        new SecretsManagerClient({
          region: 'us-east-1',
          credentials: CREDENTIALS,
          endpoint: 'http://localhost:4566',
          useFipsEndpoint: true,
        })
    ).toThrow(TypeError)
  })

  it('requires region and credentials, and checks numbers', () => {
    const options = { region: 'us-east-1', credentials: CREDENTIALS }
    // @ts-expect-error region is required
    expect(() => new SecretsManagerClient({ credentials: CREDENTIALS })).toThrow(
      'region is a required option'
    )
    // @ts-expect-error credentials is required
    expect(() => new SecretsManagerClient({ region: 'us-east-1' })).toThrow(
      'credentials is a required option'
    )
    expect(
      // @ts-expect-error secretAccessKey is required
      () => new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'A' } })
    ).toThrow('secretAccessKey is a required option')
    expect(() => new SecretsManagerClient({ ...options, maxAttempts: 0 })).toThrow(TypeError)
    expect(() => new SecretsManagerClient({ ...options, maxAttempts: 1.5 })).toThrow(TypeError)
    expect(() => new SecretsManagerClient({ ...options, timeoutMs: -1 })).toThrow(TypeError)
  })
})
