// Worker-issued AWS keys. The worker stores no secret access key: each is derived from a master
// key (a Worker secret) and the key id, so a grant names key ids only and a key is revoked by
// removing its id from its grant. The id carries the master key's version, so a new master key
// can be introduced while keys under the old one keep working until their grants are moved.

/** The prefix of every worker-issued access key id, so that a leaked one can be spotted. */
export const ACCESS_KEY_PREFIX = 'ESKA'

// ESKA, the master key's version as two digits (01-99), then 16 random base32 characters
// (80 bits): 22 characters, in the alphabet and length range of AWS key ids.
const ACCESS_KEY_ID = /^ESKA(\d{2})[A-Z2-7]{16}$/
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
// Domain separation: a master key's HMACs under this label are access keys and nothing else.
const LABEL = 'edge-secrets access key v1\n'
const MASTER_ENTRY = /^(\d{1,2}):([A-Za-z0-9+/]{43}=)$/

/** The master keys in force, by version, as parsed from `ACCESS_KEY_MASTER`. */
export interface MasterKeys {
  /** The highest version: the one new keys are issued under. */
  readonly newest: number
  readonly keys: ReadonlyMap<number, Uint8Array>
}

/**
 * Whether `id` has the shape of a worker-issued access key id.
 *
 * @param id A candidate access key id.
 */
export function isAccessKeyId(id: string): boolean {
  return ACCESS_KEY_ID.test(id)
}

/**
 * The master key version an access key id was issued under.
 *
 * @param id A worker-issued access key id.
 * @returns The version, or `undefined` when `id` is not of that shape.
 */
export function versionOf(id: string): number | undefined {
  const match = ACCESS_KEY_ID.exec(id)
  return match === null ? undefined : Number(match[1])
}

/**
 * Parses `ACCESS_KEY_MASTER`: comma-separated `version:base64` entries, each the base64 of 32
 * random bytes under a version from 1 to 99, e.g. `2:…,1:…` while keys move to version 2.
 *
 * @param text The secret's value.
 * @returns The keys by version.
 * @throws {TypeError} Naming the entry that is wrong (never a key).
 */
export function parseMasterKeys(text: string): MasterKeys {
  const keys = new Map<number, Uint8Array>()
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  if (entries.length === 0) throw new TypeError('ACCESS_KEY_MASTER holds no key')
  for (const [i, entry] of entries.entries()) {
    const match = MASTER_ENTRY.exec(entry)
    const version = match === null ? 0 : Number(match[1])
    if (match === null || version < 1) {
      throw new TypeError(
        `ACCESS_KEY_MASTER entry ${i + 1} must be "version:base64 of 32 bytes", version 1-99`
      )
    }
    if (keys.has(version)) throw new TypeError(`ACCESS_KEY_MASTER repeats version ${version}`)
    keys.set(
      version,
      Uint8Array.from(atob(match[2] as string), (c) => c.charCodeAt(0))
    )
  }
  return { newest: Math.max(...keys.keys()), keys }
}

/**
 * Makes a fresh master key entry for `ACCESS_KEY_MASTER`.
 *
 * @param version The version to give it (1-99), one above the newest in use.
 * @returns `version:base64`.
 */
export function createMasterKey(version: number): string {
  if (!Number.isInteger(version) || version < 1 || version > 99) {
    throw new TypeError('a master key version is 1-99')
  }
  return `${version}:${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`
}

/**
 * Issues an access key under the newest master key: a fresh id (80 random bits, so an id is
 * never issued twice, a revoked one included) and its secret.
 *
 * @param master The master keys.
 * @returns The key pair. Show the secret once; a grant stores only the id.
 */
export async function createAccessKey(
  master: MasterKeys
): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  let random = ''
  for (const byte of crypto.getRandomValues(new Uint8Array(16))) random += BASE32[byte & 31]
  const accessKeyId = `${ACCESS_KEY_PREFIX}${String(master.newest).padStart(2, '0')}${random}`
  const secretAccessKey = await deriveSecretAccessKey(master, accessKeyId)
  if (secretAccessKey === undefined) throw new TypeError('no master key for the new key id')
  return { accessKeyId, secretAccessKey }
}

// Imported master keys, per key material, so an isolate imports each once. The key is kept, not
// its promise: in workerd a promise of one request must not be awaited by another.
const imported = new WeakMap<Uint8Array, CryptoKey>()

/**
 * The secret access key of a worker-issued key id: the first 40 characters of the base64 of
 * HMAC-SHA256(master key of the id's version, label + id).
 *
 * @param master The master keys.
 * @param accessKeyId A key id.
 * @returns The secret, or `undefined` when the id is not worker-issued or its version's master
 *   key is not configured.
 */
export async function deriveSecretAccessKey(
  master: MasterKeys,
  accessKeyId: string
): Promise<string | undefined> {
  const version = versionOf(accessKeyId)
  const raw = version === undefined ? undefined : master.keys.get(version)
  if (raw === undefined) return undefined
  let key = imported.get(raw)
  if (key === undefined) {
    key = await crypto.subtle.importKey(
      'raw',
      raw as Uint8Array<ArrayBuffer>,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign']
    )
    imported.set(raw, key)
  }
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(LABEL + accessKeyId))
  return btoa(String.fromCharCode(...new Uint8Array(mac))).slice(0, 40)
}
