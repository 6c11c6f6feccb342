import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto'
import { SignatureV4 } from '@smithy/signature-v4'
import { AwsClient } from 'aws4fetch'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AwsServiceError } from '../../../src/protocol/errors.js'
import {
  type CredentialsOption,
  type SigV4Credential,
  verifySigV4,
} from '../../../src/protocol/sigv4.js'

const HOST = 'secretsmanager.us-east-1.amazonaws.com'
const ENDPOINT = `https://${HOST}/`
// The documentation key pair of the fixed vector in AWS-CONTRACT.md.
const KEY: SigV4Credential = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
}
const SIGNED_AT = '20261123T120000Z'
const SIGNED_AT_MS = Date.UTC(2026, 10, 23, 12, 0, 0)
const MINUTE = 60_000
const BODY = '{"SecretId":"prod/app/db","VersionStage":"AWSCURRENT"}'
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS ' +
  'Secret Access Key and signing method. Consult the service documentation for details.'

interface SignInit {
  body?: string | Uint8Array<ArrayBuffer>
  key?: SigV4Credential
  sessionToken?: string
  datetime?: string
  service?: string
  region?: string
  url?: string
  headers?: Record<string, string>
  signQuery?: boolean
}

/** Signs a GetSecretValue call the way src/client does: aws4fetch with service and region set. */
async function signAws4fetch(init: SignInit = {}): Promise<Request> {
  const key = init.key ?? KEY
  const aws = new AwsClient({
    ...key,
    ...(init.sessionToken === undefined ? {} : { sessionToken: init.sessionToken }),
    service: init.service ?? 'secretsmanager',
    region: init.region ?? 'us-east-1',
    retries: 0,
  })
  return aws.sign(init.url ?? ENDPOINT, {
    method: 'POST',
    headers: {
      'X-Amz-Target': 'secretsmanager.GetSecretValue',
      'Content-Type': 'application/x-amz-json-1.1',
      ...init.headers,
    },
    body: init.body ?? BODY,
    aws: { datetime: init.datetime ?? SIGNED_AT, ...(init.signQuery ? { signQuery: true } : {}) },
  })
}

// @smithy/signature-v4 takes a SHA-256 constructor; neither @aws-crypto/sha256-js nor
// @smithy/hash-node is installed, so this is the Node one (what @smithy/hash-node does).
class NodeSha256 {
  readonly #secret: Uint8Array | string | undefined
  #hash: Hash | Hmac
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#secret =
      secret === undefined || typeof secret === 'string'
        ? secret
        : ArrayBuffer.isView(secret)
          ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength)
          : new Uint8Array(secret)
    this.#hash = this.#create()
  }
  #create() {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', this.#secret)
  }
  update(chunk: Uint8Array) {
    this.#hash.update(chunk)
  }
  async digest() {
    return new Uint8Array(this.#hash.digest())
  }
  reset() {
    this.#hash = this.#create()
  }
}

const smithySigner = (sessionToken?: string) =>
  new SignatureV4({
    service: 'secretsmanager',
    region: 'us-east-1',
    credentials: { ...KEY, ...(sessionToken === undefined ? {} : { sessionToken }) },
    sha256: NodeSha256,
  })

// The SDK sends Host and Content-Length and signs both, plus x-amz-content-sha256 (applyChecksum).
const smithyRequest = (body = BODY) => ({
  method: 'POST',
  protocol: 'https:',
  hostname: HOST,
  path: '/',
  query: {},
  headers: {
    host: HOST,
    'content-type': 'application/x-amz-json-1.1',
    'content-length': String(new TextEncoder().encode(body).byteLength),
    'x-amz-target': 'secretsmanager.GetSecretValue',
  },
  body,
})

/** Signs like @aws-sdk/client-secrets-manager does, and turns the result into a web Request. */
async function signSmithy(init: { sessionToken?: string; body?: string } = {}): Promise<Request> {
  const signed = await smithySigner(init.sessionToken).sign(smithyRequest(init.body), {
    signingDate: new Date(SIGNED_AT_MS),
  })
  return new Request(`https://${signed.hostname}${signed.path}`, {
    method: signed.method,
    headers: signed.headers,
    body: signed.body,
  })
}

/** Rebuilds a request with headers replaced (`null` removes one) and optionally another body. */
async function alter(
  request: Request,
  changes: { headers?: Record<string, string | null>; body?: string }
): Promise<Request> {
  const headers = new Headers(request.headers)
  for (const [name, value] of Object.entries(changes.headers ?? {})) {
    if (value === null) headers.delete(name)
    else headers.set(name, value)
  }
  return new Request(request.url, {
    method: request.method,
    headers,
    body: changes.body ?? (await request.clone().arrayBuffer()),
  })
}

const bodyOf = async (request: Request) => new Uint8Array(await request.clone().arrayBuffer())

/** Verifies at 12:00:00 (the signing time) with KEY configured; `credentials: null` configures none. */
async function verify(
  request: Request,
  options: { credentials?: CredentialsOption | null; now?: number; service?: string } = {}
) {
  const { credentials = [KEY], now = SIGNED_AT_MS, service } = options
  return verifySigV4(request, await bodyOf(request), {
    now: () => now,
    ...(credentials === null ? {} : { credentials }),
    ...(service === undefined ? {} : { service }),
  })
}

/** Asserts an AwsServiceError of that type and status, and returns it for message checks. */
async function rejection(promise: Promise<unknown>, type: string, status = 400) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(AwsServiceError)
  expect(error).toMatchObject({ type, status })
  return error as AwsServiceError
}

const authOf = (request: Request) => request.headers.get('authorization') ?? ''

describe('verifySigV4', () => {
  describe('accepted requests', () => {
    it('verifies the fixed GetSecretValue vector from AWS-CONTRACT.md', async () => {
      const request = new Request(ENDPOINT, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-amz-json-1.1',
          'X-Amz-Target': 'secretsmanager.GetSecretValue',
          'X-Amz-Date': SIGNED_AT,
          Authorization:
            'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/secretsmanager/aws4_request, ' +
            'SignedHeaders=host;x-amz-date;x-amz-target, ' +
            'Signature=10d8cbe97bc170084e7c3d315a820f0824e6e3d3725b2c7bbc24de9403329a96',
        },
        body: BODY,
      })
      await expect(verify(request)).resolves.toEqual({
        accessKeyId: 'AKIDEXAMPLE',
        region: 'us-east-1',
        signatureChecked: true,
      })
    })

    it('accepts an aws4fetch request with the key in a credentials array', async () => {
      const other = { accessKeyId: 'AKIDOTHER', secretAccessKey: 'other-secret' }
      const request = await signAws4fetch({ region: 'eu-west-1' })
      await expect(verify(request, { credentials: [other, KEY] })).resolves.toEqual({
        accessKeyId: 'AKIDEXAMPLE',
        region: 'eu-west-1',
        signatureChecked: true,
      })
    })

    it('accepts keys from a sync or async lookup function', async () => {
      const request = await signAws4fetch()
      const lookup = (id: string) => (id === KEY.accessKeyId ? KEY.secretAccessKey : undefined)
      await expect(verify(request, { credentials: lookup })).resolves.toMatchObject({
        signatureChecked: true,
      })
      await expect(
        verify(request, { credentials: async (id) => lookup(id) })
      ).resolves.toMatchObject({ signatureChecked: true })
    })

    it('accepts any access key without credentials, and reports the HMAC as unchecked', async () => {
      const request = await signAws4fetch({
        key: { accessKeyId: 'ANYKEY', secretAccessKey: 'whatever' },
      })
      await expect(verify(request, { credentials: null })).resolves.toEqual({
        accessKeyId: 'ANYKEY',
        region: 'us-east-1',
        signatureChecked: false,
      })
    })

    it('accepts @smithy/signature-v4 (the AWS SDK signer), which signs more headers', async () => {
      const request = await signSmithy()
      expect(authOf(request)).toContain(
        'SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target'
      )
      await expect(verify(request)).resolves.toMatchObject({ signatureChecked: true })
    })

    it('takes Host from the URL and Content-Length from the body when the Request lacks them', async () => {
      // fetch() forbids both headers, so an in-process Request often carries neither.
      const request = await alter(await signSmithy(), {
        headers: { host: null, 'content-length': null },
      })
      expect(request.headers.has('host')).toBe(false)
      await expect(verify(request)).resolves.toMatchObject({ signatureChecked: true })
    })

    it('accepts a signed x-amz-security-token from both signers', async () => {
      const fromAws4fetch = await signAws4fetch({ sessionToken: 'FwoGZXIvYXdzEXAMPLE' })
      const fromSmithy = await signSmithy({ sessionToken: 'FwoGZXIvYXdzEXAMPLE' })
      for (const request of [fromAws4fetch, fromSmithy]) {
        expect(authOf(request)).toContain('x-amz-security-token')
        await expect(verify(request)).resolves.toMatchObject({ signatureChecked: true })
      }
    })

    it('ignores headers that are not in SignedHeaders', async () => {
      const request = await alter(await signAws4fetch(), {
        headers: {
          'user-agent': 'aws-sdk-js/3.0.0',
          'amz-sdk-invocation-id': '9f1b6c2e-5d3a-4f7b-8e2c-1a0b9c8d7e6f',
          'amz-sdk-request': 'attempt=1; max=3',
          'content-type': 'application/json',
        },
      })
      await expect(verify(request)).resolves.toMatchObject({ signatureChecked: true })
    })

    it('accepts an Authorization header without spaces after the commas', async () => {
      const signed = await signAws4fetch()
      const request = await alter(signed, {
        headers: { authorization: authOf(signed).replaceAll(', ', ',') },
      })
      await expect(verify(request)).resolves.toMatchObject({ signatureChecked: true })
    })

    it('accepts an X-Amz-Date 14 minutes behind or ahead of the clock', async () => {
      const request = await signAws4fetch()
      for (const offset of [-14 * MINUTE, 14 * MINUTE]) {
        await expect(verify(request, { now: SIGNED_AT_MS + offset })).resolves.toMatchObject({
          signatureChecked: true,
        })
      }
    })

    it('canonicalizes a non-root path and query string as both signers do', async () => {
      const url = `https://${HOST}/a%20b/c*d/?z=1&a=2&a=1&sp=x%20y&star=*`
      const fromAws4fetch = await signAws4fetch({ url })
      await expect(verify(fromAws4fetch)).resolves.toMatchObject({ signatureChecked: true })

      const signed = await smithySigner().sign(
        {
          ...smithyRequest(),
          path: '/a%20b/c*d/',
          query: { z: '1', a: ['2', '1'], sp: 'x y', star: '*' },
        },
        { signingDate: new Date(SIGNED_AT_MS) }
      )
      const fromSmithy = new Request(url, {
        method: 'POST',
        headers: signed.headers,
        body: signed.body,
      })
      await expect(verify(fromSmithy)).resolves.toMatchObject({ signatureChecked: true })
    })

    it('trims signed header values and collapses their inner whitespace', async () => {
      const value = ' two   spaces\tand a tab '
      const fromAws4fetch = await signAws4fetch({ headers: { 'X-Amz-Meta-Note': value } })
      expect(authOf(fromAws4fetch)).toContain('x-amz-meta-note')
      await expect(verify(fromAws4fetch)).resolves.toMatchObject({ signatureChecked: true })

      const request = smithyRequest()
      const signed = await smithySigner().sign(
        { ...request, headers: { ...request.headers, 'x-amz-meta-note': value } },
        { signingDate: new Date(SIGNED_AT_MS) }
      )
      const fromSmithy = new Request(ENDPOINT, {
        method: 'POST',
        headers: signed.headers,
        body: signed.body,
      })
      expect(fromSmithy.headers.get('x-amz-meta-note')).toBe('two   spaces\tand a tab')
      await expect(verify(fromSmithy)).resolves.toMatchObject({ signatureChecked: true })
    })

    it('uses a rotated secret from the lookup function at once', async () => {
      let secret = KEY.secretAccessKey
      const options = { credentials: () => secret }
      await expect(verify(await signAws4fetch(), options)).resolves.toBeTruthy()
      secret = 'rotated-secret'
      const rotated = await signAws4fetch({ key: { ...KEY, secretAccessKey: secret } })
      await expect(verify(rotated, options)).resolves.toBeTruthy()
      await rejection(verify(await signAws4fetch(), options), 'InvalidSignatureException')
    })

    it('checks the scope against the service option', async () => {
      const request = await signAws4fetch({ service: 'kms' })
      await expect(verify(request, { service: 'kms' })).resolves.toMatchObject({
        signatureChecked: true,
      })
    })

    it('accepts presigned URLs from aws4fetch and from @smithy/signature-v4', async () => {
      const fromAws4fetch = await signAws4fetch({ signQuery: true })
      expect(fromAws4fetch.headers.has('authorization')).toBe(false)
      await expect(verify(fromAws4fetch)).resolves.toMatchObject({ signatureChecked: true })

      const presigned = await smithySigner().presign(smithyRequest(), {
        signingDate: new Date(SIGNED_AT_MS),
        expiresIn: 3600,
      })
      const url = new URL(ENDPOINT)
      for (const [name, value] of Object.entries(presigned.query ?? {})) {
        url.searchParams.set(name, String(value))
      }
      const fromSmithy = new Request(url, {
        method: 'POST',
        headers: presigned.headers,
        body: presigned.body,
      })
      // Inside X-Amz-Expires, a presigned URL outlives the 15-minute skew.
      await expect(verify(fromSmithy, { now: SIGNED_AT_MS + 59 * MINUTE })).resolves.toEqual({
        accessKeyId: 'AKIDEXAMPLE',
        region: 'us-east-1',
        signatureChecked: true,
      })
      const expired = await rejection(
        verify(fromSmithy, { now: SIGNED_AT_MS + 61 * MINUTE }),
        'InvalidSignatureException'
      )
      expect(expired.message).toBe(
        'Signature expired: 20261123T120000Z is now earlier than 20261123T120100Z ' +
          '(20261123T130100Z - 60 min.)'
      )
    })
  })

  describe('missing or malformed signatures', () => {
    it('answers MissingAuthenticationTokenException (403) without an Authorization header', async () => {
      const request = await alter(await signAws4fetch(), { headers: { authorization: null } })
      const error = await rejection(verify(request), 'MissingAuthenticationTokenException', 403)
      expect(error.message).toBe('Missing Authentication Token')
    })

    it.each([
      {
        name: 'a non-SigV4 scheme',
        auth: 'Bearer abc.def',
        message:
          "'abc.def' not a valid key=value pair (missing equal-sign) in Authorization header: " +
          "'Bearer abc.def'.",
      },
      {
        name: 'the algorithm alone',
        auth: 'AWS4-HMAC-SHA256',
        message:
          "Authorization header requires 'Credential' parameter. " +
          "Authorization header requires 'Signature' parameter. " +
          "Authorization header requires 'SignedHeaders' parameter. " +
          'Authorization=AWS4-HMAC-SHA256',
      },
      {
        name: 'no Signature',
        auth: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date',
        message:
          "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 " +
          'Credential=AKIDEXAMPLE/20261123/us-east-1/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date',
      },
      {
        name: 'a space inside Credential',
        auth: `AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE/20261123/us-east-1/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'a'.repeat(64)}`,
        message:
          "'AKIDEXAMPLE/20261123/us-east-1/secretsmanager/aws4_request' not a valid key=value pair",
      },
      {
        name: 'a credential with four elements',
        auth: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'a'.repeat(64)}`,
        message:
          'Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, ' +
          "got 'AKIDEXAMPLE/20261123/us-east-1/aws4_request'",
      },
      {
        name: 'another algorithm',
        auth: `AWS4-HMAC-SHA1 Credential=AKIDEXAMPLE/20261123/us-east-1/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'a'.repeat(64)}`,
        message: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1' (only AWS4-HMAC-SHA256 for now).",
      },
      {
        name: 'a signed header the request lacks',
        auth: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date;x-amz-missing, Signature=${'a'.repeat(64)}`,
        message:
          "Header 'x-amz-missing' is listed in SignedHeaders but is missing from the request.",
      },
    ])('answers IncompleteSignatureException for $name', async ({ auth, message }) => {
      const request = await alter(await signAws4fetch(), { headers: { authorization: auth } })
      for (const credentials of [[KEY], null]) {
        const error = await rejection(
          verify(request, { credentials }),
          'IncompleteSignatureException'
        )
        expect(error.message).toContain(message)
      }
    })

    it('answers IncompleteSignatureException without X-Amz-Date or Date', async () => {
      const request = await alter(await signAws4fetch(), { headers: { 'x-amz-date': null } })
      const error = await rejection(verify(request), 'IncompleteSignatureException')
      expect(error.message).toBe(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. " +
          `Authorization=${authOf(request)}`
      )
    })

    it('answers IncompleteSignatureException for an X-Amz-Date not in ISO 8601 basic format', async () => {
      for (const date of ['2026-11-23T12:00:00Z', '20261123T120000', '20260230T120000Z']) {
        const request = await alter(await signAws4fetch(), { headers: { 'x-amz-date': date } })
        const error = await rejection(verify(request), 'IncompleteSignatureException')
        expect(error.message).toBe(
          `Date must be in ISO-8601 'basic format'. Got '${date}'. See http://en.wikipedia.org/wiki/ISO_8601`
        )
      }
    })

    it('answers InvalidSignatureException when host is not signed', async () => {
      const signed = await signAws4fetch()
      const request = await alter(signed, {
        headers: { authorization: authOf(signed).replace('host;', '') },
      })
      const error = await rejection(verify(request), 'InvalidSignatureException')
      expect(error.message).toBe("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    })

    it('answers InvalidSignatureException for a signature that is not 64 hex digits', async () => {
      const signed = await signAws4fetch()
      const request = await alter(signed, {
        headers: { authorization: authOf(signed).replace(/Signature=\w+/, 'Signature=xyz') },
      })
      for (const credentials of [[KEY], null]) {
        const error = await rejection(verify(request, { credentials }), 'InvalidSignatureException')
        expect(error.message).toBe(MISMATCH)
      }
    })
  })

  describe('credential scope', () => {
    it('names the expected service when the scope has another one', async () => {
      const request = await signAws4fetch({ service: 'kms' })
      const error = await rejection(verify(request), 'InvalidSignatureException')
      expect(error.message).toBe(
        "Credential should be scoped to correct service: 'secretsmanager'."
      )
    })

    it('refuses a scope date that is not the X-Amz-Date day, and a wrong terminator', async () => {
      const signed = await signAws4fetch()
      const request = await alter(signed, {
        headers: {
          authorization: authOf(signed)
            .replace('/20261123/', '/20261122/')
            .replace('aws4_request', 'aws5_request'),
        },
      })
      const error = await rejection(verify(request), 'InvalidSignatureException')
      expect(error.message).toBe(
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. " +
          'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ' +
          "'20261122' != '20261123', from '20261123T120000Z'."
      )
    })
  })

  describe('clock skew', () => {
    it('reports a date 16 minutes in the past as expired', async () => {
      const request = await signAws4fetch()
      const error = await rejection(
        verify(request, { now: SIGNED_AT_MS + 16 * MINUTE }),
        'InvalidSignatureException'
      )
      expect(error.message).toBe(
        'Signature expired: 20261123T120000Z is now earlier than 20261123T120100Z ' +
          '(20261123T121600Z - 15 min.)'
      )
    })

    it('words the expiry exactly as AWS-CONTRACT.md quotes it', async () => {
      const error = await rejection(
        verify(await signAws4fetch(), {
          credentials: null,
          now: SIGNED_AT_MS + 31 * MINUTE,
        }),
        'InvalidSignatureException'
      )
      expect(error.message).toBe(
        'Signature expired: 20261123T120000Z is now earlier than 20261123T121600Z ' +
          '(20261123T123100Z - 15 min.)'
      )
    })

    it('reports a date 16 minutes in the future as not yet current', async () => {
      const request = await signAws4fetch({ datetime: '20261123T121600Z' })
      const error = await rejection(verify(request), 'InvalidSignatureException')
      expect(error.message).toBe(
        'Signature not yet current: 20261123T121600Z is still later than 20261123T121500Z ' +
          '(20261123T120000Z + 15 min.)'
      )
    })
  })

  describe('keys and tampering', () => {
    it('answers UnrecognizedClientException for an unknown access key', async () => {
      const request = await signAws4fetch({
        key: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: KEY.secretAccessKey },
      })
      for (const credentials of [[KEY], () => undefined]) {
        const error = await rejection(
          verify(request, { credentials }),
          'UnrecognizedClientException'
        )
        expect(error.message).toBe('The security token included in the request is invalid.')
      }
    })

    it('requires the session token of temporary credentials, from both signers', async () => {
      const sts = { ...KEY, sessionToken: 'FwoGZXIvYXdzEXAMPLE' }
      for (const credentials of [[sts], () => sts]) {
        for (const request of [
          await signAws4fetch({ sessionToken: 'FwoGZXIvYXdzEXAMPLE' }),
          await signSmithy({ sessionToken: 'FwoGZXIvYXdzEXAMPLE' }),
        ]) {
          await expect(verify(request, { credentials })).resolves.toMatchObject({
            signatureChecked: true,
          })
        }
        const missing = await signAws4fetch()
        await rejection(verify(missing, { credentials }), 'UnrecognizedClientException')
        const wrong = await signAws4fetch({ sessionToken: 'FwoGZXIvYXdzOTHER' })
        await rejection(verify(wrong, { credentials }), 'UnrecognizedClientException')
      }
    })

    it('answers InvalidSignatureException for a wrong secret key', async () => {
      const request = await signAws4fetch({ key: { ...KEY, secretAccessKey: 'not-the-secret' } })
      const error = await rejection(verify(request), 'InvalidSignatureException')
      expect(error.message).toBe(MISMATCH)
    })

    it('answers InvalidSignatureException when the body changed after signing', async () => {
      const request = await alter(await signAws4fetch(), {
        body: BODY.replace('prod/app/db', 'prod/app/dc'),
      })
      const error = await rejection(verify(request), 'InvalidSignatureException')
      expect(error.message).toBe(MISMATCH)
    })

    it('answers InvalidSignatureException when a signed header changed after signing', async () => {
      const request = await alter(await signAws4fetch(), {
        headers: { 'x-amz-target': 'secretsmanager.DeleteSecret' },
      })
      const error = await rejection(verify(request), 'InvalidSignatureException')
      expect(error.message).toBe(MISMATCH)
    })

    it('refuses an x-amz-content-sha256 that is not the body hash, even without credentials', async () => {
      const request = await alter(await signSmithy(), { body: '{}' })
      await rejection(verify(request), 'InvalidSignatureException')
      const error = await rejection(
        verify(request, { credentials: null }),
        'InvalidSignatureException'
      )
      expect(error.message).toBe(MISMATCH)
    })

    it('verifies any signed body and refuses it after any single-byte change', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ minLength: 1, maxLength: 256 }),
          fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          async (body, secretAccessKey, position, flip) => {
            const key = { accessKeyId: 'AKIDPROPERTY', secretAccessKey }
            const request = await signAws4fetch({
              key,
              body: new Uint8Array(body),
              headers: { 'Content-Type': 'application/octet-stream' },
            })
            const options = { credentials: [key], now: () => SIGNED_AT_MS }
            await expect(verifySigV4(request, new Uint8Array(body), options)).resolves.toEqual({
              accessKeyId: 'AKIDPROPERTY',
              region: 'us-east-1',
              signatureChecked: true,
            })
            const changed = new Uint8Array(body)
            const index = position % changed.length
            changed[index] = (changed[index] ?? 0) ^ flip
            await expect(verifySigV4(request, changed, options)).rejects.toMatchObject({
              type: 'InvalidSignatureException',
              message: MISMATCH,
            })
          }
        ),
        { numRuns: 100 }
      )
    })
  })
})
