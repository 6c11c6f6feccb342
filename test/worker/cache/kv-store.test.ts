// KvStore on the real miniflare KV binding, behind SecretCache. Storage is shared by every test
// in this file, so each test works under its own key prefix (KvStore's `prefix` option) and with
// its own secret ids, and never counts entries it did not write.
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import {
  type CacheKey,
  type CacheReadOptions,
  type KvNamespaceLike,
  KvStore,
  type KvStoreOptions,
  SecretCache,
  type SecretCacheClient,
} from '../../../src/cache/index.js'
import { SecretsManagerClient, SecretsManagerError } from '../../../src/client/index.js'
import type { GetSecretValueRequest, GetSecretValueResponse } from '../../../src/client/types.js'
import { createEmulator } from '../../../src/emulator/index.js'

const kv = env.SECRETS_CACHE

let counter = 0
/** A string unique within this file. */
const unique = (label: string) => `${label}-${++counter}-${crypto.randomUUID().slice(0, 8)}`
/** A KV key prefix of this test's own. */
const uniquePrefix = () => `${unique('t')}:`

/** A fresh base64 256-bit key. */
const newKey = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))

const toHex = (text: string) =>
  [...new TextEncoder().encode(text)].map((b) => b.toString(16).padStart(2, '0')).join('')
const toBase64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)))

// --- a fake upstream ------------------------------------------------------------------------------

interface FakeVersion {
  VersionId: string
  SecretString: string
  VersionStages: string[]
}

interface FakeSecret {
  Name: string
  ARN: string
  CreatedDate: Date
  current: FakeVersion
  previous: FakeVersion
}

// Every secret any fake client can answer for; each test adds its own.
const upstreamSecrets = new Map<string, FakeSecret>()

/** Adds a secret with an AWSCURRENT and an AWSPREVIOUS version, both with distinctive values. */
function addSecret(label: string): FakeSecret {
  const Name = unique(`prod/${label}/password`)
  const secret: FakeSecret = {
    Name,
    ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${Name}-AbCdEf`,
    CreatedDate: new Date(1_700_000_000_000),
    current: {
      VersionId: crypto.randomUUID(),
      SecretString: JSON.stringify({ password: `hunter2-${crypto.randomUUID()}`, note: 'a "b"' }),
      VersionStages: ['AWSCURRENT'],
    },
    previous: {
      VersionId: crypto.randomUUID(),
      SecretString: `previous-${crypto.randomUUID()}`,
      VersionStages: ['AWSPREVIOUS'],
    },
  }
  upstreamSecrets.set(Name, secret)
  upstreamSecrets.set(secret.ARN, secret)
  return secret
}

/** A client over {@link upstreamSecrets} that records every call. */
function countingClient(): SecretCacheClient & { calls: GetSecretValueRequest[] } {
  const calls: GetSecretValueRequest[] = []
  return {
    calls,
    async getSecretValue(input: GetSecretValueRequest): Promise<GetSecretValueResponse> {
      calls.push({ ...input })
      const secret = upstreamSecrets.get(input.SecretId)
      const version =
        secret === undefined
          ? undefined
          : [secret.current, secret.previous].find((v) =>
              input.VersionId !== undefined
                ? v.VersionId === input.VersionId
                : v.VersionStages.includes(input.VersionStage ?? 'AWSCURRENT')
            )
      if (secret === undefined || version === undefined) {
        throw new SecretsManagerError({
          operation: 'GetSecretValue',
          code: 'ResourceNotFoundException',
          detail: 'not found',
          status: 400,
          retryable: false,
        })
      }
      return {
        ARN: secret.ARN,
        Name: secret.Name,
        CreatedDate: new Date(secret.CreatedDate.getTime()),
        ...version,
        VersionStages: [...version.VersionStages],
      }
    },
  }
}

// --- stores, caches, KV ---------------------------------------------------------------------------

/** A KV namespace that passes everything to the binding, except what `overrides` replaces. */
function wrapKv(overrides: Partial<KvNamespaceLike> = {}): KvNamespaceLike {
  return {
    get: (name, type) => kv.get(name, type),
    put: (name, value, options) => kv.put(name, value, options),
    delete: (name) => kv.delete(name),
    list: (options) => kv.list(options),
    ...overrides,
  }
}

/** A KV namespace that records the options of every put. */
function recordingKv() {
  const puts: { name: string; value: string; options: unknown }[] = []
  const namespace = wrapKv({
    put: (name, value, options) => {
      puts.push({ name, value, options })
      return kv.put(name, value, options)
    },
  })
  return { namespace, puts }
}

/** A cache with a counting client on a KvStore of its own (as a new isolate would build it). */
function cacheOn(
  prefix: string,
  options: KvStoreOptions,
  namespace: KvNamespaceLike = kv
): { cache: SecretCache; client: ReturnType<typeof countingClient> } {
  const client = countingClient()
  const store = new KvStore(namespace, { prefix, ...options })
  return { cache: new SecretCache({ client, store }), client }
}

/** Reads through the cache and waits for its background work (the store write) to finish. */
async function readThrough(
  cache: SecretCache,
  secretId: string,
  opts: CacheReadOptions = {}
): Promise<GetSecretValueResponse> {
  const background: Promise<unknown>[] = []
  const value = await cache.getSecretValue(secretId, {
    ...opts,
    waitUntil: (promise) => background.push(promise),
  })
  await Promise.all(background)
  return value
}

/** Every KV key name under `prefix` (all of the namespace without one). */
async function listNames(prefix?: string): Promise<string[]> {
  const names: string[] = []
  let cursor: string | undefined
  for (;;) {
    const page = await kv.list({
      ...(prefix === undefined ? {} : { prefix }),
      ...(cursor === undefined ? {} : { cursor }),
    })
    for (const key of page.keys) names.push(key.name)
    if (page.list_complete) return names
    cursor = page.cursor
  }
}

/** The names under `prefix` that `run` added. */
async function namesAddedBy(prefix: string, run: () => Promise<unknown>): Promise<string[]> {
  const before = new Set(await listNames(prefix))
  await run()
  return (await listNames(prefix)).filter((name) => !before.has(name))
}

async function rawValue(name: string): Promise<string> {
  const text = await kv.get(name, 'text')
  if (text === null) throw new Error(`no KV value under ${name}`)
  return text
}

/** The part of a key name shared by every entry of one secret under one key: up to the last `:`. */
const idPart = (name: string) => name.slice(0, name.lastIndexOf(':') + 1)

const current = (SecretId: string): CacheKey => ({ SecretId, VersionStage: 'AWSCURRENT' })

describe('KvStore', () => {
  describe('sharing', () => {
    it('serves a second SecretCache on the namespace with no upstream call', async () => {
      const prefix = uniquePrefix()
      const key = newKey()
      const secret = addSecret('shared')
      const first = cacheOn(prefix, { encryptionKeys: [key] })
      const read = await readThrough(first.cache, secret.Name)
      expect(read.SecretString).toBe(secret.current.SecretString)
      expect(first.client.calls).toHaveLength(1)

      const second = cacheOn(prefix, { encryptionKeys: [key] })
      expect(await second.cache.getSecretValue(secret.Name)).toEqual({
        ARN: secret.ARN,
        Name: secret.Name,
        VersionId: secret.current.VersionId,
        SecretString: secret.current.SecretString,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: secret.CreatedDate,
      })
      expect(second.client.calls).toEqual([])
      expect(second.cache.stats()).toMatchObject({ upstreamCalls: 0, storeHits: 1, misses: 0 })
    })

    it('shares a secret read through SecretsManagerClient from the emulator', async () => {
      const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'cache-test-secret-key' }
      const emulator = createEmulator({ credentials: [credentials] })
      let requests = 0
      const client = () =>
        new SecretsManagerClient({
          region: 'us-east-1',
          credentials,
          random: () => 0,
          fetch: (input, init) => {
            requests++
            return emulator.fetch(new Request(input, init))
          },
        })
      const Name = unique('prod/emulated')
      await client().createSecret({ Name, SecretString: 'from the emulator' })
      const prefix = uniquePrefix()
      const key = newKey()
      const store = () => new KvStore(kv, { prefix, encryptionKeys: [key] })

      const first = new SecretCache({ client: client(), store: store() })
      expect((await readThrough(first, Name)).SecretString).toBe('from the emulator')
      const afterFirst = requests

      const second = new SecretCache({ client: client(), store: store() })
      expect(await second.getSecretString(Name)).toBe('from the emulator')
      expect(requests).toBe(afterFirst)
      expect(second.stats()).toMatchObject({ upstreamCalls: 0, storeHits: 1 })
    })

    it('shares binary secrets and pinned versions byte for byte', async () => {
      const prefix = uniquePrefix()
      const key = newKey()
      const bytes = crypto.getRandomValues(new Uint8Array(300))
      bytes.set(Uint8Array.from({ length: 256 }, (_, i) => i))
      const SecretId = unique('prod/binary')
      const client: SecretCacheClient = {
        getSecretValue: async (input) => ({
          Name: SecretId,
          VersionId: input.VersionId ?? 'v-current',
          SecretBinary: bytes.slice(),
        }),
      }
      const write = new SecretCache({
        client,
        store: new KvStore(kv, { prefix, encryptionKeys: [key] }),
      })
      await readThrough(write, SecretId)
      await readThrough(write, SecretId, { VersionId: 'v-pinned' })

      const { cache, client: counting } = cacheOn(prefix, { encryptionKeys: [key] })
      expect(await cache.getSecretBinary(SecretId)).toEqual(bytes)
      expect(await cache.getSecretBinary(SecretId, { VersionId: 'v-pinned' })).toEqual(bytes)
      expect(counting.calls).toEqual([])
      expect(cache.stats()).toMatchObject({ upstreamCalls: 0, storeHits: 2 })
    })

    it('does not share entries across prefixes', async () => {
      const key = newKey()
      const secret = addSecret('prefixed')
      const prefix = uniquePrefix()
      await readThrough(cacheOn(prefix, { encryptionKeys: [key] }).cache, secret.Name)

      const other = cacheOn(uniquePrefix(), { encryptionKeys: [key] })
      await readThrough(other.cache, secret.Name)
      expect(other.client.calls).toHaveLength(1)
      expect(await listNames(prefix)).toHaveLength(1)
    })
  })

  describe('confidentiality', () => {
    // The forms in which a value or a name could leak through trivially.
    const forms = (text: string) => [
      text,
      JSON.stringify(text),
      JSON.stringify(text).slice(1, -1),
      encodeURIComponent(text),
      toBase64(text),
      toHex(text),
    ]

    it('keeps secret values and names out of KV key names and values', async () => {
      const prefix = uniquePrefix()
      const key = newKey()
      const secret = addSecret('confidential')
      const { cache } = cacheOn(prefix, { encryptionKeys: [key] })
      const written = await namesAddedBy(prefix, async () => {
        await readThrough(cache, secret.Name)
        await readThrough(cache, secret.Name, { VersionStage: 'AWSPREVIOUS' })
        await readThrough(cache, secret.Name, { VersionId: secret.current.VersionId })
        await readThrough(cache, secret.ARN)
      })
      expect(written).toHaveLength(4)

      const needles = [
        ...forms(secret.Name),
        ...forms(secret.ARN),
        ...forms(secret.current.SecretString),
        ...forms(secret.previous.SecretString),
        // The distinctive part of the JSON value, on its own.
        ...forms((JSON.parse(secret.current.SecretString) as { password: string }).password),
      ]
      // The whole namespace: nothing this test wrote may mention them, under any name.
      for (const name of await listNames()) {
        for (const needle of needles) expect(name).not.toContain(needle)
        const value = await rawValue(name)
        for (const needle of needles) expect(value).not.toContain(needle)
      }
      for (const name of written) expect(await rawValue(name)).toMatch(/^v1:/)
    })

    it('keeps key names short and nameless for a 2,048-character secret id', async () => {
      const prefix = uniquePrefix()
      const key = newKey()
      const SecretId = unique('prod/long').padEnd(2048, 'x')
      upstreamSecrets.set(SecretId, { ...addSecret('long'), Name: SecretId })
      const { cache } = cacheOn(prefix, { encryptionKeys: [key] })
      const [name, ...more] = await namesAddedBy(prefix, () => readThrough(cache, SecretId))
      expect(more).toEqual([])
      expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(512)
      expect(name).not.toContain(SecretId.slice(0, 20))

      const second = cacheOn(prefix, { encryptionKeys: [key] })
      await readThrough(second.cache, SecretId)
      expect(second.cache.stats()).toMatchObject({ upstreamCalls: 0, storeHits: 1 })
    })
  })

  describe('corrupt entries', () => {
    interface Scenario {
      prefix: string
      key: string
      secret: FakeSecret
      // The KV name and raw value of the secret's AWSCURRENT entry.
      name: string
      raw: string
    }

    // Replaces the base64 character at `index` of the sealed body with a different one.
    const flipAt = (raw: string, index: number) => {
      const at = 'v1:'.length + index
      const char = raw[at] === 'A' ? 'B' : 'A'
      return raw.slice(0, at) + char + raw.slice(at + 1)
    }
    const body = (raw: string) => raw.slice('v1:'.length)

    // The serialized cache entry a plaintext store on the same prefix writes for `SecretId`.
    async function plaintextEntry(prefix: string, SecretId: string, VersionStage = 'AWSCURRENT') {
      const { cache } = cacheOn(prefix, { allowPlaintext: true })
      const [name] = await namesAddedBy(prefix, () =>
        readThrough(cache, SecretId, { VersionStage })
      )
      return rawValue(name as string)
    }

    const corruptions: { label: string; make: (s: Scenario) => Promise<string> | string }[] = [
      // 12 bytes of IV are 16 base64 characters; the ciphertext follows, the 16-byte tag ends it.
      { label: 'a flipped ciphertext character', make: (s) => flipAt(s.raw, 20) },
      { label: 'a flipped tag character', make: (s) => flipAt(s.raw, body(s.raw).length - 8) },
      { label: 'a flipped IV character', make: (s) => flipAt(s.raw, 3) },
      { label: 'a truncated tag', make: (s) => s.raw.slice(0, -8) },
      { label: 'less than an IV and a tag', make: (s) => `v1:${body(s.raw).slice(0, 24)}` },
      { label: 'the format marker alone', make: () => 'v1:' },
      { label: 'bad base64', make: (s) => `v1:!!${body(s.raw)}` },
      { label: 'an empty value', make: () => '' },
      {
        label: 'random junk',
        make: () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(64)))),
      },
      {
        label: "another secret's entry",
        make: async (s) => {
          const other = addSecret('other')
          const { cache } = cacheOn(s.prefix, { encryptionKeys: [s.key] })
          const [name] = await namesAddedBy(s.prefix, () => readThrough(cache, other.Name))
          return rawValue(name as string)
        },
      },
      {
        label: "another stage's entry of the same secret",
        make: async (s) => {
          const { cache } = cacheOn(s.prefix, { encryptionKeys: [s.key] })
          const [name] = await namesAddedBy(s.prefix, () =>
            readThrough(cache, s.secret.Name, { VersionStage: 'AWSPREVIOUS' })
          )
          return rawValue(name as string)
        },
      },
      {
        label: 'an entry sealed under another key',
        make: async (s) => {
          const { cache } = cacheOn(s.prefix, { encryptionKeys: [newKey()] })
          const [name] = await namesAddedBy(s.prefix, () => readThrough(cache, s.secret.Name))
          return rawValue(name as string)
        },
      },
      {
        label: 'a plaintext-format entry of the same secret',
        make: (s) => plaintextEntry(s.prefix, s.secret.Name),
      },
    ]

    // Entries KvStore opens (right key, right name) but that are not this key's cache entry.
    const sealedCorruptions: { label: string; make: (s: Scenario) => Promise<string> }[] = [
      { label: 'a sealed value that is not JSON', make: async () => 'not a cache entry' },
      {
        label: "a sealed copy of another secret's cache entry",
        make: async (s) =>
          (await plaintextEntry(s.prefix, addSecret('inner').Name)).slice('p1:'.length),
      },
      {
        label: 'a sealed entry of another format version',
        make: async (s) => {
          const entry = JSON.parse((await plaintextEntry(s.prefix, s.secret.Name)).slice(3))
          return JSON.stringify({ ...entry, format: 2 })
        },
      },
    ]

    async function scenario(): Promise<Scenario> {
      const prefix = uniquePrefix()
      const key = newKey()
      const secret = addSecret('corrupt')
      const { cache } = cacheOn(prefix, { encryptionKeys: [key] })
      const [name, ...more] = await namesAddedBy(prefix, () => readThrough(cache, secret.Name))
      expect(more).toEqual([])
      return { prefix, key, secret, name: name as string, raw: await rawValue(name as string) }
    }

    // A new cache misses (calls upstream), replaces the entry, and a third cache reads that.
    async function expectMissAndReplaced(s: Scenario, bad: string) {
      const second = cacheOn(s.prefix, { encryptionKeys: [s.key] })
      expect((await readThrough(second.cache, s.secret.Name)).SecretString).toBe(
        s.secret.current.SecretString
      )
      expect(second.client.calls).toEqual([{ SecretId: s.secret.Name, VersionStage: 'AWSCURRENT' }])
      expect(second.cache.stats()).toMatchObject({ storeHits: 0, misses: 1, upstreamCalls: 1 })

      const replaced = await rawValue(s.name)
      expect(replaced).not.toBe(bad)
      const third = cacheOn(s.prefix, { encryptionKeys: [s.key] })
      expect((await readThrough(third.cache, s.secret.Name)).SecretString).toBe(
        s.secret.current.SecretString
      )
      expect(third.cache.stats()).toMatchObject({ upstreamCalls: 0, storeHits: 1 })
    }

    it.each(corruptions)('treats $label as a miss and replaces it', async ({ make }) => {
      const s = await scenario()
      const bad = await make(s)
      expect(bad).not.toBe(s.raw)
      await kv.put(s.name, bad)
      await expectMissAndReplaced(s, bad)
    })

    it.each(sealedCorruptions)('treats $label as a miss and replaces it', async ({ make }) => {
      const s = await scenario()
      const plain = await make(s)
      // Sealed properly under the secret's own name, by a store of the same key.
      const writer = new KvStore(kv, { prefix: s.prefix, encryptionKeys: [s.key] })
      await writer.put(current(s.secret.Name), plain)
      const bad = await rawValue(s.name)
      expect(bad).not.toBe(s.raw)
      expect(await writer.get(current(s.secret.Name))).toBe(plain)
      await expectMissAndReplaced(s, bad)
    })
  })

  describe('key rotation', () => {
    it('reads entries of the old key, writes with the new one', async () => {
      const prefix = uniquePrefix()
      const keyA = newKey()
      const keyB = newKey()
      const old = addSecret('rotated-old')
      const fresh = addSecret('rotated-new')
      const underA = await namesAddedBy(prefix, () =>
        readThrough(cacheOn(prefix, { encryptionKeys: [keyA] }).cache, old.Name)
      )

      const rotated = cacheOn(prefix, { encryptionKeys: [keyB, keyA] })
      expect((await readThrough(rotated.cache, old.Name)).SecretString).toBe(
        old.current.SecretString
      )
      expect(rotated.client.calls).toEqual([])
      expect(rotated.cache.stats()).toMatchObject({ upstreamCalls: 0, storeHits: 1 })

      // A new write by the rotated store is sealed with B.
      const underB = await namesAddedBy(prefix, () => readThrough(rotated.cache, fresh.Name))
      expect(rotated.client.calls).toHaveLength(1)
      expect(underB).toHaveLength(1)
      const onlyB = cacheOn(prefix, { encryptionKeys: [keyB] })
      await readThrough(onlyB.cache, fresh.Name)
      expect(onlyB.cache.stats()).toMatchObject({ upstreamCalls: 0, storeHits: 1 })
      const onlyA = cacheOn(prefix, { encryptionKeys: [keyA] })
      await readThrough(onlyA.cache, fresh.Name)
      expect(onlyA.cache.stats()).toMatchObject({ upstreamCalls: 1, storeHits: 0 })
      // Different keys, different names: the A-only store wrote its own entry beside B's.
      expect(idPart(underB[0] as string)).not.toBe(idPart(underA[0] as string))
    })

    it('rewrites a refreshed old-key entry with the new key', async () => {
      const prefix = uniquePrefix()
      const keyA = newKey()
      const keyB = newKey()
      const secret = addSecret('refreshed')
      await readThrough(cacheOn(prefix, { encryptionKeys: [keyA] }).cache, secret.Name)

      const rotated = cacheOn(prefix, { encryptionKeys: [keyB, keyA] })
      const background: Promise<unknown>[] = []
      expect(
        await rotated.cache.refreshNow(secret.Name, { waitUntil: (p) => background.push(p) })
      ).toBe(true)
      await Promise.all(background)
      expect(rotated.client.calls).toHaveLength(1)

      const onlyB = cacheOn(prefix, { encryptionKeys: [keyB] })
      await readThrough(onlyB.cache, secret.Name)
      expect(onlyB.cache.stats()).toMatchObject({ upstreamCalls: 0, storeHits: 1 })
    })
  })

  describe('store failures', () => {
    it('keeps a read successful when the KV write fails', async () => {
      const prefix = uniquePrefix()
      const secret = addSecret('throttled')
      let puts = 0
      const failing = wrapKv({
        put: async () => {
          puts++
          throw new Error('KV PUT failed: 429 Too Many Requests')
        },
      })
      const { cache, client } = cacheOn(prefix, { encryptionKeys: [newKey()] }, failing)
      expect((await readThrough(cache, secret.Name)).SecretString).toBe(secret.current.SecretString)
      expect(puts).toBe(1)
      expect(client.calls).toHaveLength(1)
      expect(cache.stats()).toMatchObject({ storeWrites: 1, storeErrors: 1 })
      expect(await listNames(prefix)).toEqual([])
      // The memory tier still has it.
      expect(await cache.getSecretString(secret.Name)).toBe(secret.current.SecretString)
      expect(client.calls).toHaveLength(1)
    })

    it('keeps a read successful when the KV read fails', async () => {
      const prefix = uniquePrefix()
      const secret = addSecret('unreadable')
      const failing = wrapKv({
        get: async () => {
          throw new Error('KV GET failed: 500 Internal Server Error')
        },
      })
      const { cache } = cacheOn(prefix, { encryptionKeys: [newKey()] }, failing)
      expect((await readThrough(cache, secret.Name)).SecretString).toBe(secret.current.SecretString)
      expect(cache.stats()).toMatchObject({ storeReads: 1, storeErrors: 1, upstreamCalls: 1 })
    })

    it('counts a failed invalidation instead of throwing', async () => {
      const prefix = uniquePrefix()
      const secret = addSecret('undeletable')
      const failing = wrapKv({
        list: async () => {
          throw new Error('KV LIST failed: 503 Service Unavailable')
        },
      })
      const { cache } = cacheOn(prefix, { encryptionKeys: [newKey()] }, failing)
      await readThrough(cache, secret.Name)
      await expect(cache.invalidate(secret.Name)).resolves.toBeUndefined()
      expect(cache.stats().storeErrors).toBe(1)
    })
  })

  describe('invalidate', () => {
    it("removes every stage and version of an id, and nothing of another id's", async () => {
      const prefix = uniquePrefix()
      const key = newKey()
      const doomed = addSecret('doomed')
      const kept = addSecret('kept')
      const { cache } = cacheOn(prefix, { encryptionKeys: [key] })
      const doomedNames = await namesAddedBy(prefix, async () => {
        await readThrough(cache, doomed.Name)
        await readThrough(cache, doomed.Name, { VersionStage: 'AWSPREVIOUS' })
        await readThrough(cache, doomed.Name, { VersionId: doomed.previous.VersionId })
      })
      expect(doomedNames).toHaveLength(3)
      const keptNames = await namesAddedBy(prefix, async () => {
        await readThrough(cache, kept.Name)
        await readThrough(cache, kept.Name, { VersionStage: 'AWSPREVIOUS' })
      })
      expect(keptNames).toHaveLength(2)

      await cache.invalidate(doomed.Name)
      expect((await listNames(prefix)).sort()).toEqual([...keptNames].sort())

      // Another isolate misses it now, and still finds the other id.
      const other = cacheOn(prefix, { encryptionKeys: [key] })
      await readThrough(other.cache, doomed.Name)
      await readThrough(other.cache, kept.Name)
      expect(other.client.calls).toEqual([{ SecretId: doomed.Name, VersionStage: 'AWSCURRENT' }])
    })

    it('removes entries written under an older key of the store', async () => {
      const prefix = uniquePrefix()
      const keyA = newKey()
      const keyB = newKey()
      const secret = addSecret('rotated-doomed')
      await readThrough(cacheOn(prefix, { encryptionKeys: [keyA] }).cache, secret.Name, {
        VersionStage: 'AWSPREVIOUS',
      })
      const { cache } = cacheOn(prefix, { encryptionKeys: [keyB, keyA] })
      await readThrough(cache, secret.Name)
      expect(await listNames(prefix)).toHaveLength(2)

      await cache.invalidate(secret.Name)
      expect(await listNames(prefix)).toEqual([])
    })

    it('removes more entries of an id than one KV list page holds', {
      timeout: 30_000,
    }, async () => {
      const prefix = uniquePrefix()
      const store = new KvStore(kv, { prefix, encryptionKeys: [newKey()] })
      const SecretId = unique('prod/many-versions')
      const keys = Array.from({ length: 1_005 }, (_, i) => ({ SecretId, VersionId: `v-${i}` }))
      await Promise.all(keys.map((key) => store.put(key, 'x')))
      const other = { SecretId: unique('prod/bystander'), VersionStage: 'AWSCURRENT' }
      await store.put(other, 'y')
      expect(await listNames(prefix)).toHaveLength(1_006)

      await store.delete(SecretId)
      expect(await listNames(prefix)).toHaveLength(1)
      expect(await store.get(other)).toBe('y')
      expect(await store.get({ SecretId, VersionId: 'v-1004' })).toBeUndefined()
    })
  })

  describe('one write per key per second', () => {
    it('defers a second write within the second and writes only the newest value', async () => {
      const prefix = uniquePrefix()
      const { namespace, puts } = recordingKv()
      let nowMs = 1_700_000_000_000
      const store = new KvStore(namespace, {
        prefix,
        encryptionKeys: [newKey()],
        now: () => nowMs,
      })
      const key = current(unique('prod/busy'))

      await store.put(key, 'one')
      expect(puts).toHaveLength(1)
      const name = puts[0]?.name
      const putsOf = () => puts.filter((put) => put.name === name)

      // 5 ms before the second has passed: two more writes of the same key.
      nowMs += 995
      const two = store.put(key, 'two')
      const three = store.put(key, 'three')
      // A write of another key, started after them, is not held back; by the time it is done
      // the two above have been queued, and neither has reached KV.
      await store.put(current(unique('prod/bystander')), 'other')
      expect(putsOf()).toHaveLength(1)
      expect(await store.get(key)).toBe('one')

      await Promise.all([two, three])
      expect(putsOf()).toHaveLength(2)
      expect(await store.get(key)).toBe('three')

      // A later second writes at once.
      nowMs += 2_000
      await store.put(key, 'four')
      expect(putsOf()).toHaveLength(3)
      expect(await store.get(key)).toBe('four')
    })

    it('does not let a deferred write that never fired hold the key back', async () => {
      const prefix = uniquePrefix()
      let nowMs = 1_700_000_000_000
      const store = new KvStore(kv, { prefix, encryptionKeys: [newKey()], now: () => nowMs })
      const key = current(unique('prod/stuck'))
      await store.put(key, 'one')
      nowMs += 500
      // Waits for the rest of the second (in workerd its request may be cancelled meanwhile).
      const two = store.put(key, 'two')
      await store.put(current(unique('prod/bystander')), 'other')
      // Long after that write was due, it has still not fired: a new write goes ahead at once.
      nowMs += 3_000
      await store.put(key, 'three')
      expect(await store.get(key)).toBe('three')
      await two
      expect(await store.get(key)).toBe('three')
    })

    it('drops a deferred write when the id is invalidated meanwhile', async () => {
      const prefix = uniquePrefix()
      let nowMs = 1_700_000_000_000
      const store = new KvStore(kv, { prefix, encryptionKeys: [newKey()], now: () => nowMs })
      const key = current(unique('prod/deferred'))
      await store.put(key, 'one')
      nowMs += 995
      const two = store.put(key, 'two')
      // Let the second put reach its wait before deleting.
      await store.put(current(unique('prod/bystander')), 'other')
      await store.delete(key.SecretId)
      await two
      expect(await store.get(key)).toBeUndefined()
    })
  })

  describe('constructor', () => {
    it('refuses a store with neither encryption keys nor allowPlaintext', () => {
      expect(() => new KvStore(kv)).toThrow(TypeError)
      expect(() => new KvStore(kv, { encryptionKeys: [] })).toThrow(TypeError)
      expect(() => new KvStore(kv, { allowPlaintext: false })).toThrow(TypeError)
    })

    it('requires a namespace', () => {
      // @ts-expect-error: a JavaScript caller can still forget the binding
      expect(() => new KvStore(undefined, { encryptionKeys: [newKey()] })).toThrow(TypeError)
    })

    it.each([
      ['16 bytes', btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))))],
      ['33 bytes', btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(33))))],
      ['not base64', 'correct horse battery staple, not base64!'],
      ['hex', toHex('a 32-byte key written out in hex')],
    ])('refuses a key of %s without quoting it', (_, bad) => {
      let error: unknown
      try {
        new KvStore(kv, { encryptionKeys: [newKey(), bad] })
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(TypeError)
      const message = (error as TypeError).message
      expect(message).not.toContain(bad)
      expect(message).not.toContain(bad.slice(0, 8))
    })

    it('refuses a prefix that would push key names past 512 bytes', () => {
      expect(
        () => new KvStore(kv, { encryptionKeys: [newKey()], prefix: 'é'.repeat(129) })
      ).toThrow(TypeError)
      expect(
        () => new KvStore(kv, { encryptionKeys: [newKey()], prefix: 'p'.repeat(256) })
      ).not.toThrow()
    })

    it('refuses kvTtlSeconds under 60', () => {
      const encryptionKeys = [newKey()]
      expect(() => new KvStore(kv, { encryptionKeys, kvTtlSeconds: 59 })).toThrow(TypeError)
      expect(() => new KvStore(kv, { encryptionKeys, kvTtlSeconds: 60 })).not.toThrow()
    })

    it('passes kvTtlSeconds to KV as expirationTtl', async () => {
      const prefix = uniquePrefix()
      const { namespace, puts } = recordingKv()
      const secret = addSecret('ttl')
      const { cache } = cacheOn(
        prefix,
        { encryptionKeys: [newKey()], kvTtlSeconds: 120 },
        namespace
      )
      await readThrough(cache, secret.Name)
      expect(puts.map(({ options }) => options)).toEqual([{ expirationTtl: 120 }])

      const defaults = new KvStore(namespace, { prefix, encryptionKeys: [newKey()] })
      await defaults.put(current(unique('prod/default-ttl')), 'x')
      expect(puts[1]?.options).toEqual({ expirationTtl: 86_400 })
    })
  })

  describe('plaintext opt-out', () => {
    it('still hashes key names', async () => {
      const prefix = uniquePrefix()
      const secret = addSecret('plaintext')
      const first = cacheOn(prefix, { allowPlaintext: true })
      const written = await namesAddedBy(prefix, async () => {
        await readThrough(first.cache, secret.Name)
        await readThrough(first.cache, secret.Name, { VersionId: secret.previous.VersionId })
      })
      expect(written).toHaveLength(2)
      for (const name of written) {
        for (const needle of [secret.Name, secret.ARN, encodeURIComponent(secret.Name)]) {
          expect(name).not.toContain(needle)
        }
        expect(name).not.toContain(secret.current.VersionId)
        expect(name).not.toContain(secret.previous.VersionId)
        expect(await rawValue(name)).toMatch(/^p1:/)
      }

      const second = cacheOn(prefix, { allowPlaintext: true })
      await readThrough(second.cache, secret.Name)
      expect(second.cache.stats()).toMatchObject({ upstreamCalls: 0, storeHits: 1 })
    })

    it('encrypts when keys are given, allowPlaintext or not', async () => {
      const prefix = uniquePrefix()
      const secret = addSecret('keyed')
      const { cache } = cacheOn(prefix, { encryptionKeys: [newKey()], allowPlaintext: true })
      const [name] = await namesAddedBy(prefix, () => readThrough(cache, secret.Name))
      const raw = await rawValue(name as string)
      expect(raw).toMatch(/^v1:/)
      expect(raw).not.toContain(secret.current.SecretString)
    })
  })
})
