// SigV4 for the one request shape this client sends: a POST of a JSON body to a fixed endpoint,
// with a handful of headers. Everything the endpoint decides (host, canonical URI and query) is
// worked out once per transport; a signature is then string building, one SHA-256 and one HMAC,
// with no URL, Headers or WebCrypto call. aws4fetch's AwsV4Signer, which this replaces, built a
// URL, a Headers object and its URLSearchParams on every call: about 100 µs of workerd CPU per
// signed call against a local stub, and a further 100 µs for its signing (bench/2-workerd),
// besides 2.2 KB gzipped of S3 and presigning code in every bundle. The canonical forms are
// aws4fetch's and @smithy/signature-v4's for non-S3 services; test/node/client/signing.test.ts
// checks the signatures against both, byte for byte, for random endpoints, headers and bodies.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html

import { type HmacKey, hex, hmacKey, hmacSha256, sha256 } from './sha256.js'

const ALGORITHM = 'AWS4-HMAC-SHA256'
const ENCODER = new TextEncoder()
const HMAC_SHA256 = { name: 'HMAC', hash: 'SHA-256' }

/** One request to sign, for {@link JsonRequestSigner}. */
export interface SigningInput {
  /**
   * The request's headers to sign, with lowercase names; not `host` or `x-amz-date`. Like
   * aws4fetch, this client leaves `content-type` unsigned (the AWS-CONTRACT.md vector).
   */
  headers: Record<string, string>
  /** The SHA-256 of the body, from {@link hexSha256}. */
  bodySha256: string
  /** The signing time, `YYYYMMDDTHHMMSSZ`. */
  datetime: string
  accessKeyId: string
  sessionToken?: string | undefined
  /** The signing key of the datetime's day, from {@link signingKey}. */
  key: HmacKey
}

/**
 * Signs requests to one endpoint. Returns the signed headers to send with `x-amz-date`,
 * `x-amz-security-token` (with a session token) and `authorization`; Host is left to fetch.
 */
export type JsonRequestSigner = (input: SigningInput) => Record<string, string>

/**
 * Prepares the signing of POST requests to one endpoint, for one region and service.
 *
 * @param endpoint The absolute URL every request is POSTed to.
 * @param region The region requests are signed for.
 * @param service The signing name of the service.
 * @returns The signer.
 */
export function jsonRequestSigner(
  endpoint: string,
  region: string,
  service: string
): JsonRequestSigner {
  const url = new URL(endpoint)
  const host = url.host
  // Non-S3 services: repeated slashes collapsed, then every segment percent-encoded again.
  const path = encodeRfc3986(url.pathname.replace(/\/+/g, '/')).replace(/%2F/g, '/')
  const query = [...url.searchParams]
    .filter(([name]) => name !== '')
    .map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value)] as const)
    .sort(([n1, v1], [n2, v2]) => (n1 < n2 ? -1 : n1 > n2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&')
  const scopeTail = `/${region}/${service}/aws4_request`
  return ({ headers, bodySha256, datetime, accessKeyId, sessionToken, key }) => {
    const sent: Record<string, string> = { ...headers, 'x-amz-date': datetime }
    if (sessionToken) sent['x-amz-security-token'] = sessionToken
    const all = Object.entries({ ...sent, host }).sort(([a], [b]) => (a < b ? -1 : 1))
    const signedHeaders = all.map(([name]) => name).join(';')
    let canonicalHeaders = ''
    for (const [name, value] of all) {
      canonicalHeaders += `${name}:${value.trim().replace(/\s+/g, ' ')}\n`
    }
    const scope = datetime.slice(0, 8) + scopeTail
    const canonicalRequest = `POST\n${path}\n${query}\n${canonicalHeaders}\n${signedHeaders}\n${bodySha256}`
    const stringToSign = `${ALGORITHM}\n${datetime}\n${scope}\n${hexSha256(canonicalRequest)}`
    const signature = hex(hmacSha256(key, stringToSign))
    sent.authorization = `${ALGORITHM} Credential=${accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`
    return sent
  }
}

/**
 * The SigV4 signing key of one day, region and service: the HMAC chain of `AWS4<secret>`, the
 * date, the region, the service and `aws4_request`. The chain runs on WebCrypto: it runs once a
 * day per key, often on an isolate's first call, where native code beats JavaScript that has not
 * been compiled yet (in JavaScript it made a Worker's first response about 4 ms slower in
 * bench/2-workerd's start figure). Every signature after it hashes in JavaScript.
 *
 * @param secretAccessKey The secret access key.
 * @param date The day, `YYYYMMDD`.
 * @param region The region.
 * @param service The signing name of the service.
 * @returns The key, prepared for HMAC.
 */
export async function signingKey(
  secretAccessKey: string,
  date: string,
  region: string,
  service: string
): Promise<HmacKey> {
  let key: ArrayBuffer = new Uint8Array(ENCODER.encode(`AWS4${secretAccessKey}`)).buffer
  for (const part of [date, region, service, 'aws4_request']) {
    const cryptoKey = await crypto.subtle.importKey('raw', key, HMAC_SHA256, false, ['sign'])
    // Each step's key is zeroed once the next is made (the secret's own bytes too).
    new Uint8Array(key).fill(0)
    key = await crypto.subtle.sign('HMAC', cryptoKey, ENCODER.encode(part))
  }
  const bytes = new Uint8Array(key)
  const prepared = hmacKey(bytes)
  bytes.fill(0)
  return prepared
}

/**
 * The SHA-256 of a text's UTF-8 bytes, in lowercase hex.
 *
 * @param text The text.
 * @returns 64 hex digits.
 */
export function hexSha256(text: string): string {
  return hex(sha256(text))
}

// encodeURIComponent, plus the characters it leaves but RFC 3986 reserves.
function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
  )
}
