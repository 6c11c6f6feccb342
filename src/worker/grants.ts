import { isAccessKeyId } from './keys.js'
import { isCanonicalName } from './secret-id.js'

/** What a grant may do. */
export type GrantAction = 'read' | 'write' | 'delete' | 'list' | 'random-password'

/**
 * One caller's access: its credentials (the hashes of its bearer tokens, the ids of its
 * worker-issued AWS keys, or both), its actions and the secrets they apply to. Holds no secret,
 * so the grant list may be bundled with the worker.
 *
 * @example
 * ```json
 * { "name": "ci-deploy", "tokenSha256": ["9f86d0…"], "accessKeyIds": ["ESKA01…"],
 *   "actions": ["read"], "secrets": ["prod/app/*", "prod/shared/db"],
 *   "expiresAt": "2027-01-01T00:00:00Z" }
 * ```
 */
export interface Grant {
  /** Unique: the rate limits' key, and what the log line names. */
  name: string
  /** Lowercase hex SHA-256 of each bearer token; two while a token is rotated. */
  tokenSha256?: string[]
  /**
   * Worker-issued AWS access key ids (`ESKA…`), for the AWS wire protocol on `POST /`. Their
   * secrets are derived from `ACCESS_KEY_MASTER`, never stored.
   */
  accessKeyIds?: string[]
  actions: GrantAction[]
  /** Exact names, or `prefix/*` for every name under `prefix/` at any depth. */
  secrets: string[]
  /** An ISO date after which the grant is refused. */
  expiresAt?: string
}

/** A grant list that parsed, ready to authenticate against. */
export interface GrantSet {
  grants: readonly Grant[]
  // Every token hash, decoded once, with the grant it belongs to.
  hashes: readonly { bytes: Uint8Array; grant: Grant }[]
  /** The grant of each worker-issued access key id. */
  keyIds: ReadonlyMap<string, Grant>
}

/** The prefix of every token, so that secret scanners can spot a leaked one. */
export const TOKEN_PREFIX = 'esk_'

export const GRANT_ACTIONS: readonly GrantAction[] = [
  'read',
  'write',
  'delete',
  'list',
  'random-password',
]
const GRANT_MEMBERS = new Set([
  'name',
  'tokenSha256',
  'accessKeyIds',
  'actions',
  'secrets',
  'expiresAt',
])
const SHA256_HEX = /^[0-9a-f]{64}$/
// An ISO 8601 date, or date and time with a zone (what `new Date().toISOString()` writes).
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/
// A token: the prefix, then at least 32 characters of base64url.
const TOKEN_SHAPE = /^esk_[A-Za-z0-9_-]{32,256}$/

/**
 * Parses and checks a grant list (the `GRANTS` secret's JSON text, or the bundled file's
 * value). Strict: an unknown member, a malformed hash or pattern, a repeated name or token hash
 * makes the whole list invalid, so a typo never widens or silently drops access.
 *
 * @param config The JSON text or the parsed value: an array of grants.
 * @returns The grants, ready for {@link authenticate}.
 * @throws {TypeError} Naming what is wrong (never a token: the list holds none).
 */
export function parseGrants(config: unknown): GrantSet {
  let value = config
  if (typeof config === 'string') {
    try {
      value = JSON.parse(config)
    } catch {
      throw new TypeError('grants are not valid JSON')
    }
  }
  if (!Array.isArray(value)) throw new TypeError('grants must be a JSON array of grants')
  const names = new Set<string>()
  const seen = new Set<string>()
  const grants: Grant[] = []
  const hashes: { bytes: Uint8Array; grant: Grant }[] = []
  const keyIds = new Map<string, Grant>()
  for (const [i, raw] of value.entries()) {
    const grant = checkGrant(raw, `grants[${i}]`)
    if (names.has(grant.name)) throw new TypeError(`grant name "${grant.name}" is repeated`)
    names.add(grant.name)
    for (const hash of grant.tokenSha256 ?? []) {
      if (seen.has(hash)) throw new TypeError(`a token hash of grant "${grant.name}" is repeated`)
      seen.add(hash)
      hashes.push({ bytes: fromHex(hash), grant })
    }
    for (const id of grant.accessKeyIds ?? []) {
      if (keyIds.has(id)) throw new TypeError(`access key id ${id} is repeated`)
      keyIds.set(id, grant)
    }
    grants.push(grant)
  }
  return { grants, hashes, keyIds }
}

/**
 * Finds the grant of a bearer token. Every stored hash is compared in constant time, whether or
 * not an earlier one matched, so the time taken says nothing about the hashes.
 *
 * @param set The parsed grants.
 * @param token The token as presented.
 * @returns The grant, or `undefined` when the token matches none.
 */
export async function authenticate(set: GrantSet, token: string): Promise<Grant | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))
  )
  let found: Grant | undefined
  for (const { bytes, grant } of set.hashes) {
    if (timingSafeEqual(bytes, digest) && found === undefined) found = grant
  }
  return found
}

/**
 * Whether a grant has expired at `nowMs`.
 *
 * @param grant The grant.
 * @param nowMs Epoch milliseconds.
 */
export function isExpired(grant: Grant, nowMs: number): boolean {
  return grant.expiresAt !== undefined && Date.parse(grant.expiresAt) <= nowMs
}

/**
 * Whether `name` matches one of the grant's patterns: an exact name, or `prefix/*` for names
 * that start with `prefix/` and go on (not `prefix` itself, not `prefix-other/…`).
 *
 * @param grant The grant.
 * @param name A canonical secret name (see `secret-id.ts`).
 */
export function coversName(grant: Grant, name: string): boolean {
  return grant.secrets.some((pattern) => {
    if (!pattern.endsWith('/*')) return pattern === name
    const prefix = pattern.slice(0, -1)
    return name.length > prefix.length && name.startsWith(prefix)
  })
}

/**
 * Makes a fresh bearer token and the SHA-256 its grant stores.
 *
 * @returns `{ token, tokenSha256 }`: show the token once, store only the hash.
 */
export async function createToken(): Promise<{ token: string; tokenSha256: string }> {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  const token = TOKEN_PREFIX + base64Url(bytes)
  return { token, tokenSha256: await hashToken(token) }
}

/**
 * The lowercase hex SHA-256 of a token: what a grant's `tokenSha256` holds.
 *
 * @param token A bearer token.
 */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

// --- private --------------------------------------------------------------------------------

function checkGrant(raw: unknown, where: string): Grant {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TypeError(`${where} must be an object`)
  }
  const record = raw as Record<string, unknown>
  for (const key of Object.keys(record)) {
    if (!GRANT_MEMBERS.has(key)) throw new TypeError(`${where} has an unknown member "${key}"`)
  }
  const { name, tokenSha256, accessKeyIds, actions, secrets, expiresAt } = record
  if (typeof name !== 'string' || !/^[A-Za-z0-9._@:-]{1,128}$/.test(name)) {
    throw new TypeError(`${where}.name must be 1-128 characters of A-Z a-z 0-9 . _ @ : -`)
  }
  const at = `grant "${name}"`
  if (tokenSha256 === undefined && accessKeyIds === undefined) {
    throw new TypeError(`${at}: needs tokenSha256, accessKeyIds or both`)
  }
  if (tokenSha256 !== undefined) {
    if (!isStringArray(tokenSha256) || tokenSha256.length === 0) {
      throw new TypeError(`${at}: tokenSha256 must be a non-empty array of hashes`)
    }
    for (const hash of tokenSha256) {
      if (!SHA256_HEX.test(hash)) {
        throw new TypeError(`${at}: tokenSha256 entries must be 64 lowercase hex digits`)
      }
    }
  }
  if (accessKeyIds !== undefined) {
    if (!isStringArray(accessKeyIds) || accessKeyIds.length === 0) {
      throw new TypeError(`${at}: accessKeyIds must be a non-empty array of key ids`)
    }
    for (const id of accessKeyIds) {
      if (!isAccessKeyId(id)) {
        throw new TypeError(
          `${at}: accessKeyIds entries must be worker-issued key ids (ESKA, 2 digits, 16 of A-Z 2-7)`
        )
      }
    }
  }
  if (!isStringArray(actions) || actions.length === 0) {
    throw new TypeError(`${at}: actions must be a non-empty array`)
  }
  for (const action of actions) {
    if (!(GRANT_ACTIONS as readonly string[]).includes(action)) {
      throw new TypeError(`${at}: unknown action "${action}" (one of ${GRANT_ACTIONS.join(', ')})`)
    }
  }
  if (!isStringArray(secrets)) throw new TypeError(`${at}: secrets must be an array of patterns`)
  for (const pattern of secrets) {
    const name = pattern.endsWith('/*') ? pattern.slice(0, -2) : pattern
    if (!isCanonicalName(name)) {
      throw new TypeError(
        `${at}: "${pattern}" is not a secret name or a "prefix/*" pattern (ASCII letters, digits and /_+=.@-, no empty, "." or ".." segments)`
      )
    }
  }
  if (expiresAt !== undefined) {
    if (
      typeof expiresAt !== 'string' ||
      !ISO_DATE.test(expiresAt) ||
      !Number.isFinite(Date.parse(expiresAt)) ||
      !isCalendarDate(expiresAt.slice(0, 10))
    ) {
      throw new TypeError(`${at}: expiresAt must be an ISO date such as 2027-01-31T00:00:00Z`)
    }
  }
  return {
    name,
    ...(tokenSha256 === undefined ? {} : { tokenSha256: [...(tokenSha256 as string[])] }),
    ...(accessKeyIds === undefined ? {} : { accessKeyIds: [...(accessKeyIds as string[])] }),
    actions: [...actions] as GrantAction[],
    secrets: [...secrets],
    ...(expiresAt === undefined ? {} : { expiresAt }),
  }
}

// Date.parse rolls "2027-04-31" over to May 1: a typo must not move the expiry.
function isCalendarDate(date: string): boolean {
  return new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) === date
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return bytes
}

// Compares every byte, whatever the first difference (both are SHA-256 digests: same length).
function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number)
  return diff === 0
}

function base64Url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
