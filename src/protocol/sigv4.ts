/**
 * SigV4 verification: the server half of what aws4fetch and the AWS SDKs sign, shared by the
 * emulator and the worker's AWS route (this folder imports nothing from either). It rejects
 * requests with the error types and messages Secrets Manager sends, so a caller meets the same
 * failures it would meet in AWS. Runtime-neutral: it uses only `crypto.subtle`, `TextEncoder` and
 * the web `Request`.
 *
 * @module
 */
import { AwsServiceError } from './errors.js'

/** One key pair a verifier accepts. */
export interface SigV4Credential {
  accessKeyId: string
  secretAccessKey: string
  /**
   * Marks temporary credentials: a request must then carry exactly this `X-Amz-Security-Token`,
   * as AWS requires for keys issued by STS, or it is refused with UnrecognizedClientException.
   */
  sessionToken?: string
}

/**
 * Which access keys are accepted.
 *
 * `undefined` accepts any access key (as moto does): the structure, the credential scope and the
 * date are still checked, but the HMAC cannot be, since the secret is unknown. An array or a
 * lookup function accepts only those keys: an unknown key gives `UnrecognizedClientException`,
 * and a wrong secret or a request changed after signing gives `InvalidSignatureException`.
 * The lookup function returns the secret access key (or a whole {@link SigV4Credential}) for a
 * key id, or `undefined` if it is unknown.
 */
export type CredentialsOption =
  | SigV4Credential[]
  | ((
      accessKeyId: string
    ) => string | SigV4Credential | undefined | Promise<string | SigV4Credential | undefined>)

/** Options of {@link verifySigV4}. */
export interface VerifyOptions {
  /**
   * The accepted key pairs, see {@link CredentialsOption}.
   * @default undefined (any access key, signature not checked)
   */
  credentials?: CredentialsOption
  /** The current time in epoch milliseconds; compared with `X-Amz-Date` (±15 minutes). */
  now: () => number
  /**
   * The service name the credential scope must name.
   * @default 'secretsmanager'
   */
  service?: string
  /**
   * The one region the credential scope must name, as an AWS endpoint serves one region.
   * @default any region-shaped name (the emulator serves every region)
   */
  region?: string
}

/** What a verified request was signed with. */
export interface VerifiedRequest {
  /** The access key id from the credential scope. */
  accessKeyId: string
  /** The region from the credential scope. */
  region: string
  /** `false` when no credentials are configured, so only structure, scope and date were checked. */
  signatureChecked: boolean
}

const ALGORITHM = 'AWS4-HMAC-SHA256'
const TERMINATOR = 'aws4_request'
const DEFAULT_SERVICE = 'secretsmanager'
// AWS accepts a request whose X-Amz-Date is within 15 minutes of its own clock.
const MAX_SKEW_MS = 15 * 60 * 1000
// A presigned URL lives at most 7 days, as in the SDKs (MAX_PRESIGNED_TTL).
const MAX_EXPIRES_S = 7 * 24 * 60 * 60
// Enough for a handful of key pairs across regions and a day boundary; the SDK signer keeps 50.
const SIGNING_KEY_CACHE_SIZE = 50

const encoder = new TextEncoder()
// lib.dom types encode() as Uint8Array<ArrayBuffer>, workers-types as Uint8Array<ArrayBufferLike>;
// it is always backed by a plain ArrayBuffer, and crypto.subtle in lib.dom wants one.
const utf8 = (text: string) => encoder.encode(text) as Uint8Array<ArrayBuffer>

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS ' +
  'Secret Access Key and signing method. Consult the service documentation for details.'

// The messages below are the ones AWS JSON services (Secrets Manager, DynamoDB) send; the
// signature ones are quoted in the IAM guide "Troubleshoot signed requests for AWS APIs":
// https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html
const missingToken = () =>
  new AwsServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403)
const incomplete = (message: string) =>
  new AwsServiceError('IncompleteSignatureException', message, 400)
const invalid = (message: string) => new AwsServiceError('InvalidSignatureException', message, 400)
const unrecognized = () =>
  new AwsServiceError(
    'UnrecognizedClientException',
    'The security token included in the request is invalid.',
    400
  )

/** The signature fields, from the `Authorization` header or from presigned-URL query parameters. */
interface SignedParts {
  algorithm: string
  credential: string
  signedHeaders: string[]
  signature: string
  amzDate: string
  /** Seconds a presigned URL stays valid; absent for header authentication. */
  expires?: number
  /** Presigned URLs sign every query parameter except the signature itself. */
  presigned: boolean
}

/**
 * Verifies the SigV4 signature of an emulator request, the way AWS does before it runs an operation.
 * Both header authentication (`Authorization`) and presigned URLs (`X-Amz-Signature` in the query)
 * are accepted. Headers not named in `SignedHeaders` (`User-Agent`, `amz-sdk-invocation-id`, …) are
 * ignored. `X-Amz-Security-Token` is accepted but not checked.
 *
 * @param request The incoming request. Its body is not read: pass it as `body`.
 * @param body The exact raw request body bytes.
 * @param options The accepted credentials and the clock.
 * @returns The access key id and region of the credential scope, and whether the HMAC was checked.
 * @throws {AwsServiceError} `MissingAuthenticationTokenException` (403) without any signature;
 *   `IncompleteSignatureException` (400) for a malformed one; `InvalidSignatureException` (400) for a
 *   wrong scope, a date more than 15 minutes off or a signature that does not match;
 *   `UnrecognizedClientException` (400) for an access key that is not configured.
 * @example
 * ```ts
 * const body = new Uint8Array(await request.arrayBuffer())
 * const { accessKeyId, region } = await verifySigV4(request, body, {
 *   credentials: [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }],
 *   now: Date.now,
 * })
 * ```
 */
export async function verifySigV4(
  request: Request,
  body: Uint8Array,
  options: VerifyOptions
): Promise<VerifiedRequest> {
  const url = new URL(request.url)
  const parts = readSignedParts(request, url)

  // AWS checks in this order (observed responses, recorded in dynalite's index.js): date format,
  // clock skew, `host` signed, algorithm, credential shape, credential scope, access key, signature.
  const requestMs = parseAmzDate(parts.amzDate)
  checkClock(parts, requestMs, options.now())
  if (!parts.signedHeaders.includes('host')) {
    throw invalid("'Host' must be a 'SignedHeader' in the AWS Authorization.")
  }
  if (parts.algorithm !== ALGORITHM) {
    throw incomplete(
      `Unsupported AWS 'algorithm': '${parts.algorithm}' (only ${ALGORITHM} for now). `
    )
  }
  // Trailing slashes are ignored by AWS when counting the elements.
  const credential = parts.credential.replace(/\/+$/, '')
  const scopeParts = credential.split('/')
  if (scopeParts.length !== 5) {
    throw incomplete(
      'Credential must have exactly 5 slash-delimited elements, ' +
        `e.g. keyid/date/region/service/term, got '${credential}'`
    )
  }
  const [accessKeyId = '', date = '', region = '', scopeService = '', terminator = ''] = scopeParts
  checkScope({ date, region, service: scopeService, terminator }, options, parts.amzDate)

  const canonicalHeaders = readCanonicalHeaders(request, url, parts.signedHeaders, body)
  const credentials = options.credentials
  if (accessKeyId === '') throw unrecognized()
  let secret: string | undefined
  if (credentials !== undefined) {
    const found = Array.isArray(credentials)
      ? credentials.find((c) => c.accessKeyId === accessKeyId)
      : await credentials(accessKeyId)
    if (found === undefined) throw unrecognized()
    const credential: SigV4Credential =
      typeof found === 'string' ? { accessKeyId, secretAccessKey: found } : found
    secret = credential.secretAccessKey
    // STS keys are only valid with their session token; AWS answers a missing or wrong one as an
    // invalid security token.
    if (credential.sessionToken !== undefined) {
      const token =
        request.headers.get('x-amz-security-token') ?? url.searchParams.get('X-Amz-Security-Token')
      if (token !== credential.sessionToken) throw unrecognized()
    }
  }

  // A signature is 64 lowercase hex digits; anything else can never match, and is refused the same
  // way even when no secret is known, so a broken signer is caught in "any key" mode too.
  if (!/^[0-9a-f]{64}$/.test(parts.signature)) throw invalid(SIGNATURE_MISMATCH)

  // Non-S3 services always hash the payload. A signer that also sends x-amz-content-sha256 (the SDK
  // does) signs with the header's value, so a value that is not the body's hash cannot verify.
  // The cast only narrows the type: a body read with arrayBuffer() is never a SharedArrayBuffer.
  const payloadHash = toHex(await crypto.subtle.digest('SHA-256', body as Uint8Array<ArrayBuffer>))
  const declaredHash = request.headers.get('x-amz-content-sha256')
  if (declaredHash !== null && declaredHash !== payloadHash) throw invalid(SIGNATURE_MISMATCH)

  if (credentials === undefined || secret === undefined) {
    return { accessKeyId, region, signatureChecked: false }
  }

  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(url.pathname),
    canonicalQuery(url, parts.presigned),
    canonicalHeaders,
    parts.signedHeaders.join(';'),
    payloadHash,
  ].join('\n')
  const scope = `${date}/${region}/${scopeService}/${terminator}`
  const stringToSign = [
    ALGORITHM,
    parts.amzDate,
    scope,
    toHex(await crypto.subtle.digest('SHA-256', utf8(canonicalRequest))),
  ].join('\n')

  const key = await signingKey(credentials, accessKeyId, secret, date, region, scopeService)
  // subtle.verify compares in constant time, so the check leaks nothing about the expected value.
  const ok = await crypto.subtle.verify('HMAC', key, fromHex(parts.signature), utf8(stringToSign))
  if (!ok) throw invalid(SIGNATURE_MISMATCH)
  return { accessKeyId, region, signatureChecked: true }
}

// Header authentication wins when both are present; the query then is an ordinary signed query.
function readSignedParts(request: Request, url: URL): SignedParts {
  const auth = request.headers.get('authorization')?.trim() ?? ''
  if (auth !== '') return parseAuthorization(auth, request)
  const query = url.searchParams
  if (query.has('X-Amz-Signature') || query.has('X-Amz-Algorithm')) return parseQuery(query)
  throw missingToken()
}

// AWS splits the header into the algorithm and then key=value pairs separated by commas or
// whitespace, which is why "Credential= AKID/…" (a stray space) is reported as a pair without '='.
function parseAuthorization(auth: string, request: Request): SignedParts {
  const space = auth.search(/\s/)
  const algorithm = space === -1 ? auth : auth.slice(0, space)
  const rest = space === -1 ? '' : auth.slice(space)
  const fields = new Map<string, string>()
  for (const pair of rest.split(/[\s,]+/)) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    if (eq === -1) {
      throw incomplete(
        `'${pair}' not a valid key=value pair (missing equal-sign) in Authorization header: '${auth}'.`
      )
    }
    fields.set(pair.slice(0, eq), pair.slice(eq + 1))
  }

  const amzDate = request.headers.get('x-amz-date') ?? request.headers.get('date') ?? ''
  const problems: string[] = []
  for (const name of ['Credential', 'Signature']) {
    if (!fields.get(name)) problems.push(`Authorization header requires '${name}' parameter.`)
  }
  // An empty SignedHeaders passes here and fails the `host` check, as in AWS.
  if (!fields.has('SignedHeaders')) {
    problems.push("Authorization header requires 'SignedHeaders' parameter.")
  }
  if (amzDate === '') {
    problems.push(
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    )
  }
  if (problems.length > 0) throw incomplete(`${problems.join(' ')} Authorization=${auth}`)

  return {
    algorithm,
    credential: fields.get('Credential') ?? '',
    signedHeaders: splitSignedHeaders(fields.get('SignedHeaders') ?? ''),
    signature: fields.get('Signature') ?? '',
    amzDate,
    presigned: false,
  }
}

// Presigned URLs carry the same fields as query parameters (SigV4 "query string authentication").
function parseQuery(query: URLSearchParams): SignedParts {
  const required = [
    'X-Amz-Algorithm',
    'X-Amz-Credential',
    'X-Amz-Date',
    'X-Amz-SignedHeaders',
    'X-Amz-Signature',
  ]
  const missing = required.filter((name) => !query.get(name))
  if (missing.length > 0) {
    throw incomplete(
      missing.map((name) => `AWS query-string parameters must include '${name}'.`).join(' ') +
        ' Re-examine the query-string parameters.'
    )
  }
  const parts: SignedParts = {
    algorithm: query.get('X-Amz-Algorithm') ?? '',
    credential: query.get('X-Amz-Credential') ?? '',
    signedHeaders: splitSignedHeaders(query.get('X-Amz-SignedHeaders') ?? ''),
    signature: query.get('X-Amz-Signature') ?? '',
    amzDate: query.get('X-Amz-Date') ?? '',
    presigned: true,
  }
  // aws4fetch leaves X-Amz-Expires out for services other than S3; then only the skew applies.
  const expires = query.get('X-Amz-Expires')
  if (expires !== null) {
    if (!/^\d+$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_EXPIRES_S) {
      throw incomplete(
        `X-Amz-Expires must be a number of seconds from 1 to ${MAX_EXPIRES_S}, got '${expires}'.`
      )
    }
    parts.expires = Number(expires)
  }
  return parts
}

// An HTTP token (RFC 9110): anything else cannot name a header, and Headers.get would throw.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

function splitSignedHeaders(list: string): string[] {
  const names = list.split(';').filter((name) => name !== '')
  const invalid = names.find((name) => !HEADER_NAME.test(name))
  if (invalid !== undefined) {
    throw incomplete(`'${invalid}' in SignedHeaders is not a valid header name.`)
  }
  return names.map((name) => name.toLowerCase())
}

// SigV4 dates are ISO 8601 "basic format" in UTC: 20261123T120000Z.
function parseAmzDate(value: string): number {
  const iso = value.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z')
  const ms = iso === value ? Number.NaN : Date.parse(iso)
  // Some engines roll 2026-02-30 over to March 2nd; a round trip catches impossible dates.
  if (Number.isNaN(ms) || formatAmzDate(ms) !== value) {
    throw incomplete(
      `Date must be in ISO-8601 'basic format'. Got '${value}'. See http://en.wikipedia.org/wiki/ISO_8601`
    )
  }
  return ms
}

const formatAmzDate = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '')

// The messages name the request date, the bound and the server clock, as AWS words them:
// "Signature expired: 20261123T120000Z is now earlier than 20261123T121600Z (20261123T123100Z - 15 min.)"
function checkClock(parts: SignedParts, requestMs: number, nowMs: number): void {
  const now = formatAmzDate(nowMs)
  const lifetimeMs = parts.expires === undefined ? MAX_SKEW_MS : parts.expires * 1000
  if (requestMs < nowMs - lifetimeMs) {
    throw invalid(
      `Signature expired: ${parts.amzDate} is now earlier than ` +
        `${formatAmzDate(nowMs - lifetimeMs)} (${now} - ${formatDuration(lifetimeMs)}.)`
    )
  }
  if (requestMs > nowMs + MAX_SKEW_MS) {
    throw invalid(
      `Signature not yet current: ${parts.amzDate} is still later than ` +
        `${formatAmzDate(nowMs + MAX_SKEW_MS)} (${now} + ${formatDuration(MAX_SKEW_MS)}.)`
    )
  }
}

const formatDuration = (ms: number) =>
  ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.floor(ms / 1000)} sec`

// AWS reports every scope problem at once, in this order, as one InvalidSignatureException.
function checkScope(
  scope: { date: string; region: string; service: string; terminator: string },
  options: VerifyOptions,
  amzDate: string
): void {
  const service = options.service ?? DEFAULT_SERVICE
  const problems: string[] = []
  if (!/^[a-z0-9-]+$/.test(scope.region)) {
    problems.push(`Credential should be scoped to a valid region, not '${scope.region}'.`)
  } else if (options.region !== undefined && scope.region !== options.region) {
    // A regional endpoint's words for a key scoped to another region.
    problems.push('Credential should be scoped to a valid region.')
  }
  if (scope.service !== service) {
    problems.push(`Credential should be scoped to correct service: '${service}'.`)
  }
  if (scope.terminator !== TERMINATOR) {
    problems.push(
      `Credential should be scoped with a valid terminator: '${TERMINATOR}', not '${scope.terminator}'.`
    )
  }
  const day = amzDate.slice(0, 8)
  if (scope.date !== day) {
    problems.push(
      'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ' +
        `'${scope.date}' != '${day}', from '${amzDate}'.`
    )
  }
  if (problems.length > 0) throw invalid(problems.join(' '))
}

// Canonical headers: only the signed ones, lowercase names, values trimmed with inner whitespace
// runs collapsed, each line ending in "\n" (hence the blank line before the signed-header list).
function readCanonicalHeaders(
  request: Request,
  url: URL,
  names: string[],
  body: Uint8Array
): string {
  let lines = ''
  for (const name of names) {
    let value = request.headers.get(name)
    // fetch() forbids setting Host and Content-Length, so a Request built in process (tests, a
    // Worker calling the emulator directly) may lack them although the signer signed them.
    if (value === null && name === 'host') value = url.host
    if (value === null && name === 'content-length') value = String(body.byteLength)
    if (value === null) {
      throw incomplete(
        `Header '${name}' is listed in SignedHeaders but is missing from the request.`
      )
    }
    lines += `${name}:${value.trim().replace(/\s+/g, ' ')}\n`
  }
  return lines
}

// Non-S3 services encode each path segment twice: once on the wire (url.pathname keeps that
// encoding) and once more here, after removing empty, "." and ".." segments.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
function canonicalUri(pathname: string): string {
  const segments: string[] = []
  for (const segment of pathname.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') segments.pop()
    else segments.push(segment)
  }
  if (segments.length === 0) return '/'
  const trailing = pathname.endsWith('/') ? '/' : ''
  return `/${segments.map(uriEncode).join('/')}${trailing}`
}

// Parameters sorted by encoded name, then value; a presigned URL leaves its own signature out.
function canonicalQuery(url: URL, presigned: boolean): string {
  const pairs: [string, string][] = []
  for (const [name, value] of url.searchParams) {
    if (name === '' || (presigned && name === 'X-Amz-Signature')) continue
    pairs.push([uriEncode(name), uriEncode(value)])
  }
  pairs.sort(([n1, v1], [n2, v2]) => (n1 < n2 ? -1 : n1 > n2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
  return pairs.map(([name, value]) => `${name}=${value}`).join('&')
}

// RFC 3986: encodeURIComponent leaves !'()* alone, SigV4 encodes them.
const uriEncode = (value: string) =>
  encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
  )

// Derived keys are cached per credentials option (not in a module-wide cache), so each emulator
// instance keeps its own, and a key pair that is dropped from the options is dropped with it.
const signingKeyCaches = new WeakMap<object, Map<string, CryptoKey>>()

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). Four
// HMACs per request add up, and the result only changes daily, so it is cached.
async function signingKey(
  owner: object,
  accessKeyId: string,
  secret: string,
  date: string,
  region: string,
  service: string
): Promise<CryptoKey> {
  let cache = signingKeyCaches.get(owner)
  if (cache === undefined) {
    cache = new Map()
    signingKeyCaches.set(owner, cache)
  }
  // The secret is part of the key, so a lookup function that rotates a secret never gets a stale key.
  const cacheKey = [accessKeyId, secret, date, region, service].join('\n')
  const cached = cache.get(cacheKey)
  if (cached !== undefined) return cached

  let k: ArrayBuffer | Uint8Array<ArrayBuffer> = utf8(`AWS4${secret}`)
  for (const part of [date, region, service, TERMINATOR]) k = await hmac(k, part)
  const key = await crypto.subtle.importKey('raw', k, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'verify',
  ])
  // A Map iterates in insertion order, so the first key is the oldest one.
  if (cache.size >= SIGNING_KEY_CACHE_SIZE) {
    const oldest = cache.keys().next()
    if (oldest.done !== true) cache.delete(oldest.value)
  }
  cache.set(cacheKey, key)
  return key
}

async function hmac(key: ArrayBuffer | Uint8Array<ArrayBuffer>, data: string) {
  const cryptoKey = await crypto.subtle.importKey(
    'raw',
    key,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign']
  )
  return crypto.subtle.sign('HMAC', cryptoKey, utf8(data))
}

const toHex = (buffer: ArrayBuffer) =>
  Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('')

// Only called on a string already checked to be 64 lowercase hex digits.
function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return bytes
}
