import { Sha256Js } from '@smithy/core/checksum'
import { SignatureV4 } from '@smithy/signature-v4'
import { AwsV4Signer } from 'aws4fetch'
import fc from 'fast-check'
import { HttpResponse, http } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import { SecretsManagerClient } from '../../../src/client/index.js'
import { hexSha256, jsonRequestSigner, signingKey } from '../../../src/client/sigv4.js'
import { createEmulator } from '../../../src/emulator/index.js'
import { CREDENTIALS, ENDPOINT, REGION, setupMockServer } from '../../mocks/server.js'

interface Captured {
  url: string
  headers: Headers
  body: string
}

const server = setupMockServer()

// Answers every call with `response` and records the requests.
function capture(response: () => Response = () => HttpResponse.json({})): Captured[] {
  const requests: Captured[] = []
  server.use(
    http.post(/^https?:\/\/[^/]+\/$/, async ({ request }) => {
      requests.push({ url: request.url, headers: request.headers, body: await request.text() })
      return response()
    })
  )
  return requests
}

// The signature @smithy/signature-v4 (the AWS SDK's signer) computes for the same request.
async function smithyAuthorization(
  request: Captured,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  region: string,
  signingDate: Date
): Promise<string | undefined> {
  const url = new URL(request.url)
  const signer = new SignatureV4({
    credentials,
    region,
    service: 'secretsmanager',
    sha256: Sha256Js,
    applyChecksum: false,
  })
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      path: url.pathname,
      query: {},
      headers: {
        host: url.host,
        'content-type': request.headers.get('content-type') ?? '',
        'x-amz-target': request.headers.get('x-amz-target') ?? '',
      },
      body: request.body,
    },
    { signingDate, unsignableHeaders: new Set(['content-type']) }
  )
  return signed.headers.authorization
}

describe('SecretsManagerClient signing', () => {
  it('reproduces the AWS-CONTRACT.md GetSecretValue vector exactly', async () => {
    const requests = capture(() =>
      HttpResponse.json({
        ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/app/db-a1B2c3',
        Name: 'prod/app/db',
        VersionId: '3f8e2b1a-7c4d-4e5f-9a6b-0c1d2e3f4a5b',
        SecretString: '{"user":"app","password":"EXAMPLE-pw-1"}',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1795167000.123,
      })
    )
    const sm = new SecretsManagerClient({
      region: REGION,
      credentials: CREDENTIALS,
      now: () => Date.UTC(2026, 10, 23, 12, 0, 0),
    })

    const output = await sm.getSecretValue({ SecretId: 'prod/app/db', VersionStage: 'AWSCURRENT' })

    const [request] = requests
    expect(request?.url).toBe(ENDPOINT)
    expect(request?.body).toBe('{"SecretId":"prod/app/db","VersionStage":"AWSCURRENT"}')
    expect(request?.headers.get('content-type')).toBe('application/x-amz-json-1.1')
    expect(request?.headers.get('x-amz-target')).toBe('secretsmanager.GetSecretValue')
    expect(request?.headers.get('x-amz-date')).toBe('20261123T120000Z')
    expect(request?.headers.get('authorization')).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/secretsmanager/aws4_request, ' +
        'SignedHeaders=host;x-amz-date;x-amz-target, ' +
        'Signature=10d8cbe97bc170084e7c3d315a820f0824e6e3d3725b2c7bbc24de9403329a96'
    )
    expect(output.CreatedDate).toEqual(new Date(1795167000123))
    expect(output.SecretString).toBe('{"user":"app","password":"EXAMPLE-pw-1"}')
  })

  it('equals the signature of @smithy/signature-v4 for any date, region and body', async () => {
    const requests = capture()
    await fc.assert(
      fc.asyncProperty(
        fc.date({
          min: new Date('2000-01-01Z'),
          max: new Date('2099-12-31Z'),
          noInvalidDate: true,
        }),
        fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2', 'cn-north-1', 'us-gov-west-1'),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 }),
        fc.option(fc.string({ minLength: 16, maxLength: 40 }), { nil: undefined }),
        async (date, region, secretId, sessionToken) => {
          requests.length = 0
          const credentials = { ...CREDENTIALS, ...(sessionToken ? { sessionToken } : {}) }
          const signingDate = new Date(Math.floor(date.getTime() / 1000) * 1000)
          const sm = new SecretsManagerClient({
            region,
            credentials,
            now: () => signingDate.getTime(),
          })
          await sm.describeSecret({ SecretId: secretId })
          const [request] = requests
          if (request === undefined) throw new Error('no request')
          const expected = await smithyAuthorization(request, credentials, region, signingDate)
          expect(request.headers.get('authorization')).toBe(expected)
        }
      ),
      { numRuns: 40 }
    )
  })

  it('sends and signs the session token of temporary credentials', async () => {
    const requests = capture()
    const sm = new SecretsManagerClient({
      region: REGION,
      credentials: { ...CREDENTIALS, sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN' },
    })

    await sm.getRandomPassword()

    const headers = requests[0]?.headers
    expect(headers?.get('x-amz-security-token')).toBe('FwoGZXIvYXdzEXAMPLETOKEN')
    expect(headers?.get('authorization')).toContain(
      'SignedHeaders=host;x-amz-date;x-amz-security-token;x-amz-target'
    )
  })

  it('signs for the configured region and service on a custom endpoint', async () => {
    const requests = capture()
    const sm = new SecretsManagerClient({
      region: 'eu-central-1',
      credentials: CREDENTIALS,
      endpoint: 'http://localhost:4566',
    })

    await sm.listSecrets()

    expect(requests[0]?.url).toBe('http://localhost:4566/')
    expect(requests[0]?.headers.get('authorization')).toMatch(
      /Credential=AKIDEXAMPLE\/\d{8}\/eu-central-1\/secretsmanager\/aws4_request/
    )
  })

  // src/client/sigv4.ts replaced aws4fetch's AwsV4Signer: for any endpoint (ports, paths with
  // characters SigV4 encodes twice, queries), region, target, body, date and credentials, its
  // headers equal aws4fetch's, byte for byte.
  it("equals aws4fetch's AwsV4Signer for any endpoint, target, body and credentials", async () => {
    const segment = fc.string({
      unit: fc.constantFrom(..."aZ09-_.~!'()*%20 é+=&;,:@$".split(''), '%2F', 'ü', '☃'),
      maxLength: 8,
    })
    const endpoint = fc
      .record({
        scheme: fc.constantFrom('https', 'http'),
        host: fc.constantFrom('secretsmanager.us-east-1.amazonaws.com', '127.0.0.1', 'localhost'),
        port: fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }),
        path: fc.array(segment, { maxLength: 4 }),
        query: fc.array(fc.tuple(segment, segment), { maxLength: 3 }),
      })
      .map(({ scheme, host, port, path, query }) => {
        const url = new URL(`${scheme}://${host}${port === undefined ? '' : `:${port}`}/`)
        url.pathname = `/${path.join('/')}`
        for (const [name, value] of query) url.searchParams.append(name, value)
        return url.href
      })
    await fc.assert(
      fc.asyncProperty(
        endpoint,
        fc.constantFrom('us-east-1', 'eu-west-1', 'cn-north-1', 'us-gov-west-1'),
        fc.constantFrom('GetSecretValue', 'PutSecretValue', 'ListSecrets'),
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.date({
          min: new Date('2000-01-01Z'),
          max: new Date('2099-12-31Z'),
          noInvalidDate: true,
        }),
        fc.string({ minLength: 1, maxLength: 30 }),
        fc.option(fc.base64String({ minLength: 4, maxLength: 40 }), { nil: undefined }),
        async (url, region, target, body, date, secretAccessKey, sessionToken) => {
          const datetime = date.toISOString().replace(/[:-]|\.\d{3}/g, '')
          const theirs = await new AwsV4Signer({
            url,
            method: 'POST',
            headers: {
              'content-type': 'application/x-amz-json-1.1',
              'x-amz-target': `secretsmanager.${target}`,
            },
            body,
            accessKeyId: 'AKIDEXAMPLE',
            secretAccessKey,
            ...(sessionToken ? { sessionToken } : {}),
            service: 'secretsmanager',
            region,
            datetime,
          }).sign()
          const ours = await jsonRequestSigner(
            url,
            region,
            'secretsmanager'
          )({
            headers: { 'x-amz-target': `secretsmanager.${target}` },
            bodySha256: hexSha256(body),
            datetime,
            accessKeyId: 'AKIDEXAMPLE',
            sessionToken,
            key: await signingKey(secretAccessKey, datetime.slice(0, 8), region, 'secretsmanager'),
          })
          const expected = Object.fromEntries(theirs.headers)
          delete expected['content-type']
          expect(ours).toEqual(expected)
        }
      ),
      { numRuns: 200 }
    )
  })

  it('equals the signature of @smithy/signature-v4 on an endpoint with a path and a query', async () => {
    const datetime = '20261123T120000Z'
    const url = 'http://127.0.0.1:8787/aws/v1%20x/?b=2&a=1&a=0'
    const headers = await jsonRequestSigner(
      url,
      REGION,
      'secretsmanager'
    )({
      headers: { 'x-amz-target': 'secretsmanager.GetSecretValue' },
      bodySha256: hexSha256('{"SecretId":"a"}'),
      datetime,
      accessKeyId: CREDENTIALS.accessKeyId,
      key: await signingKey(CREDENTIALS.secretAccessKey, '20261123', REGION, 'secretsmanager'),
    })
    const signer = new SignatureV4({
      credentials: CREDENTIALS,
      region: REGION,
      service: 'secretsmanager',
      sha256: Sha256Js,
      applyChecksum: false,
    })
    const signed = await signer.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: 8787,
        path: '/aws/v1%20x/',
        query: { b: '2', a: ['1', '0'] },
        headers: { host: '127.0.0.1:8787', 'x-amz-target': 'secretsmanager.GetSecretValue' },
        body: '{"SecretId":"a"}',
      },
      { signingDate: new Date(Date.UTC(2026, 10, 23, 12)) }
    )
    expect(headers.authorization).toBe(signed.headers.authorization)
  })
})

// Against the emulator, which verifies every signature, with a clock the test moves.
describe('SecretsManagerClient signing keys and dates', () => {
  function emulated(clock: { ms: number }, keys: Record<string, string>) {
    const emulator = createEmulator({ now: () => clock.ms, credentials: (id) => keys[id] })
    const dates: string[] = []
    const fetch = async (url: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(url, init)
      dates.push(request.headers.get('x-amz-date') ?? '')
      return emulator.fetch(request)
    }
    return { fetch: fetch as typeof globalThis.fetch, dates }
  }

  it('derives a new signing key when the day changes', async () => {
    const clock = { ms: Date.UTC(2026, 10, 23, 23, 59, 59) }
    const { fetch, dates } = emulated(clock, { AKIDEXAMPLE: 'secret' })
    const sm = new SecretsManagerClient({
      region: REGION,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      now: () => clock.ms,
      fetch,
      maxAttempts: 1,
    })
    await sm.getRandomPassword()
    clock.ms += 2000
    await sm.getRandomPassword()
    expect(dates).toEqual(['20261123T235959Z', '20261124T000001Z'])
  })

  it('derives a new signing key when the provider rotates the secret', async () => {
    const clock = { ms: Date.UTC(2026, 10, 23, 12) }
    const { fetch } = emulated(clock, { AKID1: 'secret-1', AKID2: 'secret-2' })
    let asked = 0
    const sm = new SecretsManagerClient({
      region: REGION,
      credentials: async () => {
        asked++
        return {
          accessKeyId: `AKID${asked}`,
          secretAccessKey: `secret-${asked}`,
          expiration: new Date(clock.ms + 10 * 60_000),
        }
      },
      now: () => clock.ms,
      fetch,
      maxAttempts: 1,
    })
    await sm.getRandomPassword()
    // Within the 5-minute refresh margin: the provider is asked again, for the new secret.
    clock.ms += 6 * 60_000
    await sm.getRandomPassword()
    expect(asked).toBe(2)
  })

  it('dates each request with its own signing second', async () => {
    const clock = { ms: Date.UTC(2026, 10, 23, 12, 0, 1, 600) }
    const { fetch, dates } = emulated(clock, { AKIDEXAMPLE: 'secret' })
    const sm = new SecretsManagerClient({
      region: REGION,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      now: () => clock.ms,
      fetch,
    })
    await sm.getRandomPassword()
    clock.ms += 600
    await sm.getRandomPassword()
    clock.ms += 60_000
    await sm.getRandomPassword()
    expect(dates).toEqual(['20261123T120001Z', '20261123T120002Z', '20261123T120102Z'])
  })

  it('signs a session token with surrounding whitespace as aws4fetch does (fetch trims it)', async () => {
    const url = 'https://secretsmanager.us-east-1.amazonaws.com/'
    const datetime = '20261123T120000Z'
    const sessionToken = ' TOKEN \t'
    const theirs = await new AwsV4Signer({
      url,
      method: 'POST',
      body: '{}',
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 's',
      sessionToken,
      service: 'secretsmanager',
      region: 'us-east-1',
      datetime,
      headers: { 'x-amz-target': 'secretsmanager.ListSecrets' },
    }).sign()
    const ours = jsonRequestSigner(
      url,
      'us-east-1',
      'secretsmanager'
    )({
      headers: { 'x-amz-target': 'secretsmanager.ListSecrets' },
      bodySha256: hexSha256('{}'),
      datetime,
      accessKeyId: 'AKIDEXAMPLE',
      sessionToken,
      key: await signingKey('s', '20261123', 'us-east-1', 'secretsmanager'),
    })
    expect(ours.authorization).toBe(theirs.headers.get('authorization'))
  })

  it('sends nothing when the caller aborts while the signing key is derived', async () => {
    const controller = new AbortController()
    const fetch = vi.fn(async () => new Response('{}'))
    const sm = new SecretsManagerClient({
      region: REGION,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      now: () => Date.UTC(2031, 0, 1),
      fetch,
    })
    // The abort lands in the derivation's first await (the derivation itself is real).
    const importKey = crypto.subtle.importKey.bind(crypto.subtle)
    const spy = vi.spyOn(crypto.subtle, 'importKey').mockImplementationOnce(((
      ...args: Parameters<typeof importKey>
    ) => {
      controller.abort()
      return importKey(...args)
    }) as typeof importKey)
    try {
      const error = await sm.listSecrets({}, { signal: controller.signal }).catch((e: unknown) => e)
      expect(error).toBe(controller.signal.reason)
      expect(spy).toHaveBeenCalled()
      expect(fetch).not.toHaveBeenCalled()
    } finally {
      spy.mockRestore()
    }
  })
})
